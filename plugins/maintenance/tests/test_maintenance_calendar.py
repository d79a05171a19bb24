"""Calendars (docs/api.md#calendars): one maintenance at /maintenance/<id>/calendar and its API twin, and the
subscribable feed /maintenance.ics, parsed back with the icalendar library (RFC 5545)."""

import datetime as dt

import pytest
from icalendar import Calendar

from prodmanager.db import utcnow
from prodmanager.timeline import EventType
from prodmanager_maintenance.models import Maintenance

START = dt.datetime(2031, 3, 4, 22, 30, tzinfo=dt.UTC)


def parse(response) -> Calendar:
  assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
  return Calendar.from_ical(response.body)


def only_event(calendar: Calendar):
  [event] = calendar.walk("VEVENT")
  return event


@pytest.fixture
def work(world):
  return world.maintenance(
    "Core router upgrade",
    "scheduled",
    world.lyon,
    world.network,
    start=START,
    hours=2.5,
    service_status="down",
    external_reference="CHG000387",
    description="Upgrade of the **core** routers.\n\n<script>alert(1)</script>See [the plan](https://example.com/plan).",
  )


@pytest.mark.parametrize("path", ["/maintenance/{id}/calendar", "/api/maintenance/{id}/calendar"])
def test_one_maintenance_is_a_complete_rfc5545_event(webapp, world, work, path):
  response = webapp.get(path.format(id=work.id))
  assert response.headers["Content-Disposition"] == f'attachment; filename="maintenance-{work.id}.ics"'
  calendar = parse(response)
  assert str(calendar["VERSION"]) == "2.0"
  assert str(calendar["PRODID"]) == "-//ProdManager//Maintenance calendar//EN"
  assert str(calendar["CALSCALE"]) == "GREGORIAN"
  assert str(calendar["METHOD"]) == "PUBLISH"
  event = only_event(calendar)
  assert str(event["UID"]) == f"maintenance-{work.id}@localhost"
  # The scheduled window, in UTC (written with a Z), whatever the time zone of the instance.
  assert event.decoded("DTSTART") == START and event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
  assert event.decoded("DTEND") == START + dt.timedelta(hours=2, minutes=30)
  assert b"DTSTART:20310304T223000Z" in response.body and b"DTEND:20310305T010000Z" in response.body
  assert event.decoded("DTSTAMP").utcoffset() == dt.timedelta(0)
  assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP")
  assert event.decoded("SEQUENCE") == 0
  assert str(event["SUMMARY"]) == "Core router upgrade"
  assert str(event["URL"]) == f"http://localhost/maintenance/{work.id}"
  assert str(event["STATUS"]) == "CONFIRMED"
  description = str(event["DESCRIPTION"])
  assert description.startswith("Upgrade of the core routers.\n\nSee the plan.")  # plain text
  assert "<" not in description and "*" not in description and "alert(1)" not in description
  for line in (
    "Expected service status: Down",
    "Scope: Lyon DC",
    "Service: Network",
    "External reference: CHG000387",
    f"http://localhost/maintenance/{work.id}",
  ):
    assert line in description
  [alarm] = event.walk("VALARM")
  assert alarm.decoded("TRIGGER") == -dt.timedelta(minutes=15)
  assert str(alarm["ACTION"]) == "DISPLAY"
  assert str(alarm["DESCRIPTION"]) == "Maintenance “Core router upgrade” starts in 15 minutes"


def test_a_canceled_maintenance_is_cancelled_without_alarm(webapp, world):
  row = world.maintenance("Called off", "canceled", start=START, end_date=utcnow())
  event = only_event(parse(webapp.get(f"/maintenance/{row.id}/calendar")))
  assert str(event["STATUS"]) == "CANCELLED"
  assert event.walk("VALARM") == []


def test_the_uid_is_stable_and_the_sequence_follows_the_updates(webapp, token_headers, world, work):
  first = only_event(parse(webapp.get(f"/api/maintenance/{work.id}/calendar")))
  webapp.patch_json(
    f"/api/maintenance/{work.id}", {"name": "Core router upgrade (v2)"}, headers=token_headers
  )
  webapp.patch_json(f"/api/maintenance/{work.id}", {"status": "in-progress"}, headers=token_headers)
  second = only_event(parse(webapp.get(f"/api/maintenance/{work.id}/calendar")))
  assert str(second["UID"]) == str(first["UID"])
  assert second.decoded("SEQUENCE") == 2
  assert second.decoded("LAST-MODIFIED") >= first.decoded("LAST-MODIFIED")
  assert str(second["SUMMARY"]) == "Core router upgrade (v2)"


def test_the_file_name_is_safe_whatever_the_name(webapp, world):
  row = world.maintenance('Evil "name"\r\nX-Injected: 1; filename=../../etc/passwd é', start=START)
  response = webapp.get(f"/maintenance/{row.id}/calendar")
  assert response.headers["Content-Disposition"] == f'attachment; filename="maintenance-{row.id}.ics"'
  assert "X-Injected" not in response.headers
  assert str(only_event(parse(response))["SUMMARY"]).startswith('Evil "name"')


def test_unknown_maintenance_is_404(webapp, world):
  webapp.get("/maintenance/999999/calendar", status=404)
  response = webapp.get("/api/maintenance/999999/calendar", status=404)
  assert response.content_type == "application/json"


def test_calendars_answer_304_to_a_matching_etag(webapp, world, work):
  for path in (
    f"/maintenance/{work.id}/calendar",
    f"/api/maintenance/{work.id}/calendar",
    "/maintenance.ics",
  ):
    etag = webapp.get(path).headers["ETag"]
    assert webapp.get(path).headers["ETag"] == etag  # the same bytes every time (DTSTAMP included)
    webapp.get(path, headers={"If-None-Match": etag}, status=304)


def test_detail_page_links_to_the_calendar(webapp, world, work):
  link = webapp.get(f"/maintenance/{work.id}").html.select_one("#calendar-link")
  assert link["href"] == f"http://localhost/maintenance/{work.id}/calendar"
  assert webapp.get(link["href"]).content_type == "text/calendar"


# -- the feed ---------------------------------------------------------------------------------------


def summaries(response) -> list[str]:
  return sorted(str(event["SUMMARY"]) for event in parse(response).walk("VEVENT"))


def test_feed_has_upcoming_running_and_recently_ended_maintenances(webapp, world):
  now = utcnow()
  world.maintenance("Next week", "scheduled", start=now + dt.timedelta(days=7))
  world.maintenance("Forgotten", "scheduled", start=now - dt.timedelta(days=90))  # overdue: still on
  world.maintenance("Running", "in-progress", start=now - dt.timedelta(hours=1))
  world.maintenance(
    "Done yesterday", "succeed", start=now - dt.timedelta(days=1), end_date=now - dt.timedelta(days=1)
  )
  world.maintenance("Called off", "canceled", start=now + dt.timedelta(days=2), end_date=now)
  world.maintenance(
    "Failed long ago", "failed", start=now - dt.timedelta(days=60), end_date=now - dt.timedelta(days=60)
  )
  world.maintenance("Old, never closed properly", "succeed", start=now - dt.timedelta(days=45))
  response = webapp.get("/maintenance.ics")
  assert response.headers["Content-Disposition"] == 'inline; filename="maintenance.ics"'
  calendar = parse(response)
  assert (str(calendar["VERSION"]), str(calendar["METHOD"]), str(calendar["CALSCALE"])) == (
    "2.0",
    "PUBLISH",
    "GREGORIAN",
  )
  assert str(calendar["PRODID"]) and str(calendar["X-WR-CALNAME"]) == "ProdManager · Maintenances"
  assert summaries(response) == ["Called off", "Done yesterday", "Forgotten", "Next week", "Running"]
  statuses = {str(event["SUMMARY"]): str(event["STATUS"]) for event in calendar.walk("VEVENT")}
  assert statuses["Called off"] == "CANCELLED" and statuses["Running"] == "CONFIRMED"
  uids = [str(event["UID"]) for event in calendar.walk("VEVENT")]
  assert len(set(uids)) == 5 and all(uid.endswith("@localhost") for uid in uids)


def test_feed_filters_by_scope_and_service(webapp, world):
  world.maintenance("Paris compute", "scheduled", world.paris, world.compute)
  world.maintenance("Paris network", "scheduled", world.paris, world.network)
  world.maintenance("Lyon network", "in-progress", world.lyon, world.network)
  assert summaries(webapp.get("/maintenance.ics", {"scope": str(world.paris.id)})) == [
    "Paris compute",
    "Paris network",
  ]
  assert summaries(webapp.get("/maintenance.ics", {"service": str(world.network.id)})) == [
    "Lyon network",
    "Paris network",
  ]
  assert summaries(
    webapp.get("/maintenance.ics", {"scope": str(world.paris.id), "service": str(world.network.id)})
  ) == ["Paris network"]
  assert summaries(webapp.get("/maintenance.ics", {"scope": "999999"})) == []


@pytest.mark.parametrize("params", [{"scope": "abc"}, {"service": "-3"}, {"scope": "1e3"}])
def test_feed_refuses_bad_ids(webapp, world, params):
  response = webapp.get("/maintenance.ics", params, status=400)
  assert "Invalid feed parameters" in response.text


def test_feed_runs_a_constant_number_of_queries(webapp, world, count_queries):
  counts = []
  for total in (1, 20):
    while world.count(Maintenance) < total:
      row = world.maintenance(f"Work {world.count(Maintenance)}", "scheduled")
      world.maintenance_event(row, '{"name": ["a", "b"]}', True, EventType.UPDATE)
    webapp.get("/maintenance.ics")
    with count_queries() as queries:
      assert len(parse(webapp.get("/maintenance.ics")).walk("VEVENT")) == total
    counts.append(len(queries))
  assert counts[0] == counts[1]
