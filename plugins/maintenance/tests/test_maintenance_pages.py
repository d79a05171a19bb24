"""Maintenance pages (docs/user-guide.md): list with filter controls and pagination, detail page, forms,
and the maintenance sections of the dashboard and of scope/service pages."""

import datetime as dt

import feedparser
import pytest

from prodmanager.db import utcnow
from prodmanager.state import app_state
from prodmanager.testing import page_form as form_of
from prodmanager.timeline import EventType
from prodmanager_maintenance.models import Maintenance, MaintenanceEvent
from prodmanager_service.models import Service


def listed_names(page) -> list[str]:
  return [cell.select_one("a").get_text(strip=True) for cell in page.html.select("tbody tr td:first-child")]


def selected(page, name: str) -> list[str]:
  return [option["value"] for option in page.html.select(f"select[name={name}] option[selected]")]


def field_errors(page, name: str) -> str:
  container = page.html.select_one(f"#field-{name}").find_parent("div")
  return " ".join(error.get_text(" ", strip=True) for error in container.select(".field-error"))


# -- list -------------------------------------------------------------------------------------------


def test_list_paginates_by_20_in_the_default_order_and_keeps_the_filters(webapp, world):
  start = utcnow() + dt.timedelta(days=1)
  for number in range(22):
    world.maintenance(f"Work {number:02d}", "scheduled", start=start + dt.timedelta(hours=number))
  world.maintenance("Running", "in-progress")
  first = webapp.get("/maintenance", {"status": "scheduled"})
  assert listed_names(first) == [f"Work {number:02d}" for number in range(21, 1, -1)]  # latest start first
  assert "Page 1 of 2 (22 items)" in first.text
  next_link = first.html.select_one("a[rel=next]")["href"]
  assert next_link == "/maintenance?status=scheduled&page=2"
  assert listed_names(webapp.get(next_link)) == ["Work 01", "Work 00"]


def test_list_rows_show_badges_axes_and_window(webapp, world):
  start = dt.datetime(2031, 5, 1, 6, 0, tzinfo=dt.UTC)
  world.maintenance(
    "Rack move",
    "in-progress",
    world.lyon,
    world.network,
    start=start,
    service_status="down",
    external_reference="CHG42",
  )
  row = webapp.get("/maintenance").html.select_one("tbody tr")
  cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
  assert cells == [
    "Rack move CHG42",
    "In progress",
    "Down",
    "Lyon DC",
    "Network",
    "2031-05-01 06:00 UTC",
    "2031-05-01 08:00 UTC",
  ]
  assert [badge["class"] for badge in row.select(".badge")] == [
    ["badge", "badge-maintenance_status-in-progress"],
    ["badge", "badge-service_status-down"],
  ]
  assert row.select_one("time")["datetime"] == "2031-05-01T06:00+00:00"


def test_list_filter_controls_show_the_current_values(webapp, world):
  start = dt.datetime(2031, 5, 1, 6, 0, tzinfo=dt.UTC)
  world.maintenance(
    "Match one", "scheduled", world.lyon, start=start, service_status="down", description="disk"
  )
  world.maintenance("Match two", "failed", world.lyon, start=start, service_status="down", description="disk")
  world.maintenance(
    "Too early",
    "scheduled",
    world.lyon,
    start=start - dt.timedelta(days=2),
    service_status="down",
    description="disk",
  )
  world.maintenance(
    "Wrong scope", "scheduled", world.paris, start=start, service_status="down", description="disk"
  )
  page = webapp.get(
    "/maintenance",
    [
      ("status", "scheduled"),
      ("status", "failed"),
      ("service_status", "down"),
      ("scope", str(world.lyon.id)),
      ("start_after", "2031-04-30T00:00"),
      ("q", "disk"),
    ],
  )
  assert sorted(listed_names(page)) == ["Match one", "Match two"]
  assert selected(page, "status") == ["scheduled", "failed"]
  assert selected(page, "service_status") == ["down"]
  assert selected(page, "scope") == [str(world.lyon.id)]
  assert selected(page, "service") == []
  inputs = {field["name"]: field for field in page.html.select("form.filters input")}
  assert {
    name: inputs[name]["type"] for name in ("start_after", "start_before", "end_after", "end_before")
  } == (dict.fromkeys(("start_after", "start_before", "end_after", "end_before"), "datetime-local"))
  assert inputs["start_after"]["value"] == "2031-04-30T00:00" and inputs["q"]["value"] == "disk"
  labels = [label.get_text(strip=True) for label in page.html.select("form.filters label")]
  assert labels == [
    "Search",
    "Status",
    "Expected service status",
    "Scope",
    "Service",
    "External reference",
    "Starts after",
    "Starts before",
    "Ends after",
    "Ends before",
  ]
  options = [option.get_text() for option in page.html.select("select[name=status] option")]
  assert options == ["All", "Scheduled", "In progress", "Succeeded", "Failed", "Canceled"]


@pytest.mark.parametrize(
  ("params", "message"),
  [
    ({"status": "done"}, "must be one of: scheduled, in-progress, succeed, failed, canceled"),
    ({"end_before": "next tuesday"}, "expected a date"),
  ],
)
def test_list_bad_filter_is_400_with_the_error_next_to_the_control(webapp, world, params, message):
  world.maintenance("Hidden")
  page = webapp.get("/maintenance", params, status=400)
  name = next(iter(params))
  assert message in page.html.select_one(f"#filter-{name}").find_parent("div").get_text()
  assert listed_names(page) == []


# -- detail -----------------------------------------------------------------------------------------


def test_detail_page(webapp, token_headers, world, full):
  body = {**full, "description": "Add a **/24**\n\n<script>alert('xss')</script><img src=x onerror=alert(1)>"}
  ident = webapp.post_json("/api/maintenance/create", body, headers=token_headers).json["id"]
  webapp.patch_json(f"/api/maintenance/{ident}", {"status": "in-progress"}, headers=token_headers)
  page = webapp.get(f"/maintenance/{ident}")
  assert page.html.select_one("h1").get_text(strip=True) == full["name"]
  assert [badge.get_text() for badge in page.html.select("p.badges .badge")] == ["In progress", "Degraded"]
  properties = page.html.select_one("dl.properties")
  terms = [term.get_text() for term in properties.select("dt")]
  assert terms == [
    "Status",
    "Expected service status",
    "Scope",
    "Service",
    "External reference",
    "External link",
    "Scheduled start",
    "Scheduled end",
    "Actual start",
    "Creation date",
  ]
  assert properties.select_one(f'a[href="/scope/{world.paris.id}"]').get_text() == "Paris DC"
  assert properties.select_one('a[href="https://change.example.com/CHG000387"]')["rel"] == [
    "noopener",
    "noreferrer",
    "nofollow",
  ]
  markdown = page.html.select_one("section.markdown")
  assert markdown.select_one("strong").get_text() == "/24"
  assert "<script" not in page.text.split("<main", 1)[1] and "onerror" not in page.text
  milestones = [
    (
      item.select_one(".milestone-label").get_text(),
      "milestone-reached" in item["class"],
      bool(item.select_one("time")),
    )
    for item in page.html.select("ol.milestones li")
  ]
  # In time order: started early (now, by in-progress), before the window scheduled for tomorrow.
  assert milestones == [
    ("Actual start", True, True),
    ("Scheduled start", False, True),
    ("Scheduled end", False, True),
    ("Actual end", False, False),
  ]


def test_detail_page_of_a_past_maintenance(webapp, world):
  start = utcnow() - dt.timedelta(days=2)
  row = world.maintenance(
    "Done", "succeed", start=start, start_date=start, end_date=start + dt.timedelta(hours=1)
  )
  page = webapp.get(f"/maintenance/{row.id}")
  assert [("milestone-reached" in item["class"]) for item in page.html.select("ol.milestones li")] == [
    True
  ] * 4
  assert page.html.select(".badge-overdue") == []
  webapp.get("/maintenance/999999", status=404)


def test_detail_page_in_french(webapp, world):
  row = world.maintenance("Travaux", "canceled", service_status="degraded")
  page = webapp.get(f"/maintenance/{row.id}", headers={"Accept-Language": "fr"})
  assert [badge.get_text() for badge in page.html.select("p.badges .badge")] == ["Annulée", "Dégradé"]
  assert "Ajouter à mon agenda (.ics)" in page.html.select_one("#calendar-link").get_text()


# -- forms ------------------------------------------------------------------------------------------


def test_operators_see_the_actions_visitors_do_not(webapp, world, operator, new_client):
  row = world.maintenance("Work")
  anonymous = new_client()
  assert anonymous.get(f"/maintenance/{row.id}").html.select(".actions") == []
  assert anonymous.get("/maintenance/create").status_int in (302, 303)
  actions = webapp.get(f"/maintenance/{row.id}").html.select_one(".actions")
  assert [link["href"] for link in actions.select("a")] == [
    f"http://localhost/maintenance/{row.id}/update",
    f"http://localhost/maintenance/{row.id}/delete",
  ]


def test_create_update_and_delete_through_the_forms(webapp, operator, world, window):
  form = form_of(webapp.get("/maintenance/create"))
  assert [name for name in form.fields if name not in ("csrf_token", None)] == [
    "name",
    "description",
    "external_reference",
    "external_link",
    "status",
    "service_status",
    "scope",
    "service",
    "scheduled_start_date",
    "scheduled_end_date",
    "start_date",
    "end_date",
  ]
  form["name"] = "Web maintenance"
  form["service_status"] = "degraded"
  form["scope"] = str(world.lyon.id)
  form["service"] = str(world.compute.id)
  form["scheduled_start_date"] = window[0].strftime("%Y-%m-%dT%H:%M")
  form["scheduled_end_date"] = window[1].strftime("%Y-%m-%dT%H:%M")
  response = form.submit(status=303)
  [row] = world.table(Maintenance)
  assert response.headers["Location"] == f"http://localhost/maintenance/{row.id}"
  assert (row.name, row.status.value, row.scheduled_start_date) == ("Web maintenance", "scheduled", window[0])

  form = form_of(webapp.get(f"/maintenance/{row.id}/update"))
  assert (form["name"].value, form["scope"].value) == ("Web maintenance", str(world.lyon.id))
  form["external_reference"] = "CHG9"
  form.submit(status=303)
  assert world.table(Maintenance)[0].external_reference == "CHG9"

  confirm = webapp.get(f"/maintenance/{row.id}/delete")
  assert "Web maintenance" in confirm.text and world.count(Maintenance) == 1  # GET deletes nothing
  form_of(confirm).submit(status=303)
  assert world.count(Maintenance) == 0 and world.count(MaintenanceEvent) == 0


def test_form_errors_are_shown_next_to_the_fields_and_nothing_is_written(webapp, operator, world, window):
  form = form_of(webapp.get("/maintenance/create"))
  form["name"] = "abc"
  form["scope"] = str(world.lyon.id)
  form["service"] = str(world.compute.id)
  form["service_status"] = "up"
  form["scheduled_start_date"] = window[1].strftime("%Y-%m-%dT%H:%M")
  form["scheduled_end_date"] = window[0].strftime("%Y-%m-%dT%H:%M")
  page = form.submit(status=400)
  assert "must be at least 4 characters long" in field_errors(page, "name")
  assert form_of(page)["scope"].value == str(world.lyon.id)  # what was typed is kept
  form = form_of(page)
  form["name"] = "Long enough"
  page = form.submit(status=400)
  assert "must not be before Scheduled start" in field_errors(page, "scheduled_end_date")
  assert world.count(Maintenance) == 0 and world.count(MaintenanceEvent) == 0


def test_update_form_checks_the_window_too(webapp, operator, world):
  row = world.maintenance("Work")
  form = form_of(webapp.get(f"/maintenance/{row.id}/update"))
  form["scheduled_end_date"] = (row.scheduled_start_date - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
  page = form.submit(status=400)
  assert "must not be before Scheduled start" in field_errors(page, "scheduled_end_date")
  assert (
    world.table(Maintenance)[0].scheduled_end_date == row.scheduled_end_date
    and world.count(MaintenanceEvent) == 0
  )


# -- dashboard, scope and service pages -------------------------------------------------------------


def panel_names(page, name: str) -> list[str] | None:
  panel = page.html.select_one(f"section.panel-maintenances-{name}")
  return None if panel is None else [link.get_text(strip=True) for link in panel.select("li > a")]


def test_dashboard_sections_are_hidden_when_empty(webapp, world):
  page = webapp.get("/")
  assert panel_names(page, "ongoing") is None and panel_names(page, "scheduled") is None
  assert page.html.select(".panel-maintenances-links") == []
  assert "Under maintenance" not in page.text


def test_dashboard_sections(webapp, world):
  now = utcnow()
  world.maintenance("Running late", "in-progress", start=now - dt.timedelta(hours=3), hours=2)
  world.maintenance("Running", "in-progress", world.lyon, start=now - dt.timedelta(hours=1))
  world.maintenance("Next", "scheduled", start=now + dt.timedelta(days=1))
  world.maintenance("Later", "scheduled", world.lyon, start=now + dt.timedelta(days=3))
  world.maintenance("Forgotten", "scheduled", start=now - dt.timedelta(days=3))
  world.maintenance("Done", "succeed", start=now - dt.timedelta(days=3))
  world.maintenance("Called off", "canceled", start=now - dt.timedelta(days=3))
  page = webapp.get("/")
  assert panel_names(page, "ongoing") == ["Running late", "Running"]  # the one ending first on top
  assert panel_names(page, "scheduled") == ["Forgotten", "Next", "Later"]  # the next one first
  scheduled = page.html.select_one("section.panel-maintenances-scheduled")
  assert [badge.get_text() for badge in scheduled.select(".badge-overdue")] == ["Overdue"]
  past = page.html.select_one(".panel-maintenances-links a.maintenances-past")
  assert past.get_text() == "Past maintenances (2)"
  assert past["href"] == "/maintenance?status=succeed&status=failed&status=canceled"
  assert listed_names(webapp.get(past["href"])) == ["Done", "Called off"]
  calendar = page.html.select_one(".panel-maintenances-links a.maintenances-calendar")
  assert calendar["href"] == "/maintenance.ics" and "Subscribe" in calendar.get_text()
  # Ongoing before scheduled (panel orders 40 and 50).
  sections = [section["class"][-1] for section in page.html.select("section.panel")]
  assert sections.index("panel-maintenances-ongoing") < sections.index("panel-maintenances-scheduled")
  assert page.html.select_one(".banner-maintenance").get_text(strip=True) == "Under maintenance"


def test_dashboard_lists_are_capped_at_10_with_a_more_link(webapp, world):
  for number in range(12):
    world.maintenance(f"Work {number:02d}", "scheduled", start=utcnow() + dt.timedelta(days=number + 1))
  page = webapp.get("/")
  assert panel_names(page, "scheduled") == [f"Work {number:02d}" for number in range(10)]
  more = page.html.select_one("section.panel-maintenances-scheduled .panel-more a")
  assert (more.get_text(), more["href"]) == ("2 more", "/maintenance?status=scheduled")


def test_scope_and_service_pages_show_their_own_maintenances(webapp, world):
  world.maintenance("Paris work", "in-progress", world.paris, world.compute)
  world.maintenance("Lyon work", "scheduled", world.lyon, world.network)
  world.maintenance("Lyon done", "failed", world.lyon, world.compute)
  paris = webapp.get(f"/scope/{world.paris.id}")
  assert panel_names(paris, "ongoing") == ["Paris work"] and panel_names(paris, "scheduled") is None
  assert paris.html.select(".maintenances-past") == []  # none of its maintenances is over
  assert paris.html.select_one(".maintenances-calendar")["href"] == f"/maintenance.ics?scope={world.paris.id}"
  assert paris.html.select_one(".banner-maintenance")
  lyon = webapp.get(f"/scope/{world.lyon.id}")
  assert panel_names(lyon, "ongoing") is None and panel_names(lyon, "scheduled") == ["Lyon work"]
  assert lyon.html.select_one(".maintenances-past")["href"] == (
    f"/maintenance?status=succeed&status=failed&status=canceled&scope={world.lyon.id}"
  )
  assert not lyon.html.select(".banner-maintenance")
  network = webapp.get(f"/service/{world.network.id}")
  assert panel_names(network, "scheduled") == ["Lyon work"] and panel_names(network, "ongoing") is None
  assert network.html.select_one(".maintenances-calendar")["href"] == (
    f"/maintenance.ics?service={world.network.id}"
  )
  # A service without any maintenance shows no maintenance section at all.
  storage = Service(name="Storage", description="")
  world.db.add(storage)
  world.db.flush()
  page = webapp.get(f"/service/{storage.id}")
  assert page.html.select("[class*=panel-maintenances]") == [] and "maintenance.ics" not in str(
    page.html.select_one("main")
  )


def test_a_maintenance_never_hides_an_outage(webapp, world):
  from prodmanager_monitor.models import Monitor, MonitorStatus

  world.maintenance("Expected downtime", "in-progress", service_status="down")
  assert webapp.get("/").html.select_one(".banner-maintenance")
  world.db.add(
    Monitor(
      name="Probe",
      status=MonitorStatus.ALERT,
      scope_id=world.paris.id,
      service_id=world.compute.id,
      description="",
    )
  )
  world.db.flush()
  page = webapp.get("/")
  assert page.html.select_one(".banner-alert") and not page.html.select(".banner-maintenance")


# -- scopes and services: counts and deletion -------------------------------------------------------


def test_scopes_and_services_count_their_maintenances(webapp, world):
  world.maintenance("One", "scheduled", world.paris, world.compute)
  world.maintenance("Two", "succeed", world.paris, world.network)
  world.maintenance("Three", "canceled", world.lyon, world.network)
  scopes = {item["name"]: item["maintenances_count"] for item in webapp.get("/api/scope").json["items"]}
  services = {item["name"]: item["maintenances_count"] for item in webapp.get("/api/service").json["items"]}
  assert scopes == {"Paris DC": 2, "Lyon DC": 1}
  assert services == {"Compute": 1, "Network": 2}
  scope = webapp.get(f"/api/scope/{world.paris.id}").json
  assert webapp.get(scope["links"]["maintenances"]).headers["x-total"] == "2"


@pytest.mark.parametrize("axis", ["scope", "service"])
def test_a_scope_or_service_with_maintenances_cannot_be_deleted(webapp, token_headers, operator, world, axis):
  target = world.lyon if axis == "scope" else world.network
  world.maintenance("Keeps it", "succeed", world.lyon, world.network)
  response = webapp.delete(f"/api/{axis}/{target.id}", headers=token_headers, status=403)
  assert response.json["reasons"]["maintenances"] == [
    "Maintenances: 1 still attached; delete or move them first"
  ]
  page = form_of(webapp.get(f"/{axis}/{target.id}/delete")).submit(status=403)
  link = page.html.select_one(".delete-blockers a[href^='/maintenance?']")
  assert (link.get_text(strip=True), link["href"]) == ("Maintenances (1)", f"/maintenance?{axis}={target.id}")
  webapp.get(f"/api/{axis}/{target.id}", status=200)
  assert world.count(Maintenance) == 1


# -- public history ---------------------------------------------------------------------------------


def test_history_feed_tells_the_public_story_only(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  webapp.patch_json(f"/api/maintenance/{ident}", {"service_status": "down"}, headers=token_headers)
  webapp.patch_json(f"/api/maintenance/{ident}", {"status": "in-progress"}, headers=token_headers)
  webapp.post_json(f"/api/maintenance/{ident}/comment", {"comment": "Range **added**"}, headers=token_headers)
  webapp.post_json(
    f"/api/maintenance/{ident}/comment",
    {"comment": "Router NOC-7 rebooted", "internal": True},
    headers=token_headers,
  )
  other = world.maintenance("Elsewhere", "scheduled", world.lyon, world.network)
  world.maintenance_event(other, "Lyon news")
  feed = feedparser.parse(webapp.get("/history.atom", {"scope": str(world.paris.id)}).body)
  titles = [entry.title for entry in feed.entries]
  assert titles == [
    f"Maintenance update: {full['name']}",
    f"Maintenance {full['name']}: In progress",
    f"Maintenance scheduled: {full['name']}",
  ]
  text = webapp.get("/history.atom").text
  assert "NOC-7" not in text and "service_status" not in text and "degraded" not in text
  assert feed.entries[0].link == f"http://localhost/maintenance/{ident}"
  assert "<strong>added</strong>" in feed.entries[0].content[0].value
  assert "Status changed from Scheduled to In progress." in feed.entries[1].content[0].value
  assert "Scheduled from" in feed.entries[2].content[0].value
  ids = [entry.id for entry in feed.entries]
  assert ids[2] == f"http://localhost/history/maintenance-{ident}" and len(set(ids)) == 3
  everything = feedparser.parse(webapp.get("/history.rss").body)
  assert "Maintenance update: Elsewhere" in [entry.title for entry in everything.entries]


# -- demo data --------------------------------------------------------------------------------------


def test_demo_loader(webapp, registry, dbsession):
  from prodmanager.demo import DemoContext

  context = DemoContext(dbsession)
  loaders = {entry.label: entry for entry in app_state(registry).demo_loaders}
  for label in ("scopes", "services", "maintenances"):
    loaders[label].loader(context)
  assert loaders["maintenances"].order == 50
  rows = {row.name: row for row in context.objects["maintenance"]}
  assert {
    name: (row.status.value, row.service_status.value, row.external_reference) for name, row in rows.items()
  } == {
    "Increase IP range available": ("in-progress", "up", "CHG000387"),
    "Deploy the service in the region": ("succeed", "down", "CHG000176"),
    "Optimize connection pool": ("scheduled", "up", "CHG000412"),
  }
  now = utcnow()
  running, past, future = rows.values()
  assert running.scheduled_start_date < now < running.scheduled_end_date and running.start_date < now
  assert past.end_date < now and future.scheduled_start_date > now
  scopes = {scope.id: scope.name for scope in context.objects["scope"]}
  assert scopes[running.scope_id] == "France DC03"
  events = dbsession.query(MaintenanceEvent).filter(MaintenanceEvent.parent_id == running.id).all()
  assert {(event.type, event.internal) for event in events} == {
    (EventType.CREATE, True),
    (EventType.UPDATE, True),
    (EventType.COMMENT, False),
    (EventType.COMMENT, True),
  }
  page = webapp.get("/")
  assert panel_names(page, "ongoing") == ["Increase IP range available"]
  assert panel_names(page, "scheduled") == ["Optimize connection pool"]
  assert dbsession.query(Maintenance).count() == 3


def test_list_page_links_to_the_calendar_feed(webapp, world):
  link = webapp.get("/maintenance").html.select_one("a.maintenances-calendar")
  assert link["href"] == "/maintenance.ics"
  assert webapp.get(link["href"]).content_type == "text/calendar"
