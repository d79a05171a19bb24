"""Milestone dates follow the status (docs/user-guide.md#incidents): moving to a status whose date is empty fills it
with now; moving back below a status clears its date; skipped statuses get no date; a date given
explicitly by the caller wins, on update and on creation. Resolved incidents show their duration."""

import datetime as dt

import pytest

from prodmanager_incident.models import Incident

START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
INV = dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC)
STAB = dt.datetime(2024, 5, 1, 13, 0, tzinfo=dt.UTC)
RES = dt.datetime(2024, 5, 1, 14, 0, tzinfo=dt.UTC)
ALL = {"investigation_date": INV, "stable_date": STAB, "resolve_date": RES}
NOW = "now"
DATES = ("investigation_date", "stable_date", "resolve_date")


def text(value: dt.datetime) -> str:
  return value.strftime("%Y-%m-%dT%H:%M")


# (case, (status, stored dates), update body, expected (status, investigation, stable, resolve));
# NOW means "filled by the server during the request".
TRANSITIONS = [
  # forward, one step at a time
  ("active→investigating", ("active", {}), {"status": "investigating"}, ("investigating", NOW, None, None)),
  ("investigating→stable", ("investigating", {"investigation_date": INV}), {"status": "stable"}, ("stable", INV, NOW, None)),
  ("stable→resolved", ("stable", {"investigation_date": INV, "stable_date": STAB}), {"status": "resolved"}, ("resolved", INV, STAB, NOW)),
  # forward past skipped statuses: nothing for them
  ("active→stable (skip)", ("active", {}), {"status": "stable"}, ("stable", None, NOW, None)),
  ("active→resolved (skip)", ("active", {}), {"status": "resolved"}, ("resolved", None, None, NOW)),
  ("investigating→resolved (skip)", ("investigating", {"investigation_date": INV}), {"status": "resolved"}, ("resolved", INV, None, NOW)),
  # backward: the dates above the new status are cleared, the ones below kept
  ("resolved→stable", ("resolved", ALL), {"status": "stable"}, ("stable", INV, STAB, None)),
  ("stable→investigating", ("stable", {"investigation_date": INV, "stable_date": STAB}), {"status": "investigating"}, ("investigating", INV, None, None)),
  ("resolved→active", ("resolved", ALL), {"status": "active"}, ("active", None, None, None)),
  # back to a status that was skipped: its date is empty, so it is filled
  ("resolved (skipped)→investigating", ("resolved", {"resolve_date": RES}), {"status": "investigating"}, ("investigating", NOW, None, None)),
  # moving to a status whose date is already set keeps it
  ("active (dates set)→stable", ("active", {"stable_date": STAB}), {"status": "stable"}, ("stable", None, STAB, None)),
  # explicit dates win
  ("explicit investigation date", ("active", {}), {"status": "investigating", "investigation_date": "2024-05-01T12:10"},
   ("investigating", dt.datetime(2024, 5, 1, 12, 10, tzinfo=dt.UTC), None, None)),
  ("explicit date of a skipped status", ("active", {}), {"status": "resolved", "stable_date": "2024-05-01 13:30"},
   ("resolved", None, dt.datetime(2024, 5, 1, 13, 30, tzinfo=dt.UTC), NOW)),
  ("explicit date kept when moving back", ("resolved", ALL), {"status": "stable", "resolve_date": "2024-05-02T09:00:00+02:00"},
   ("stable", INV, STAB, dt.datetime(2024, 5, 2, 7, 0, tzinfo=dt.UTC))),
  ("explicit dates without status change", ("active", {}), {"stable_date": "2024-05-01T13:30Z"},
   ("active", None, dt.datetime(2024, 5, 1, 13, 30, tzinfo=dt.UTC), None)),
  # the HTML form sends every date back, pre-filled (empty when unset): only the status decides
  ("form round trip forward", ("stable", {"investigation_date": INV, "stable_date": STAB}),
   {"status": "resolved", "investigation_date": text(INV), "stable_date": text(STAB), "resolve_date": "", "start_impact_date": text(START)},
   ("resolved", INV, STAB, NOW)),
  ("form round trip backward", ("resolved", ALL),
   {"status": "stable", "investigation_date": text(INV), "stable_date": text(STAB), "resolve_date": text(RES)},
   ("stable", INV, STAB, None)),
  ("form round trip, empty status", ("investigating", {"investigation_date": INV}),
   {"status": "", "investigation_date": text(INV), "stable_date": "", "resolve_date": ""},
   ("investigating", INV, None, None)),
]  # fmt: skip


@pytest.mark.parametrize(
  ("stored", "body", "result"), [case[1:] for case in TRANSITIONS], ids=[case[0] for case in TRANSITIONS]
)
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_milestones_follow_the_status(webapp, token_headers, world, stored, body, result, encoding):
  status, dates = stored
  incident = world.incident("Milestones", status, start_impact_date=START, **dates)
  before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
  if encoding == "json":  # JSON clients send null where forms send empty text
    body = {key: None if value == "" else value for key, value in body.items()}
    response = webapp.post_json(f"/api/incident/{incident.id}/update", body, headers=token_headers)
  else:
    response = webapp.post(f"/api/incident/{incident.id}/update", body, headers=token_headers)
  after = dt.datetime.now(dt.UTC)
  row = world.row(Incident, incident.id)
  assert row.status.value == result[0] == response.json["status"]
  assert row.start_impact_date == START  # never cleared nor moved by a status change
  for name, want in zip(DATES, result[1:], strict=True):
    value = getattr(row, name)
    if want == NOW:
      assert value is not None and before <= value <= after, name
    else:
      assert value == want, name
    assert response.json[name] == (value and text(value))


def test_a_status_change_records_the_milestones_in_the_diff(webapp, token_headers, world):
  incident = world.incident("Diff", "investigating", investigation_date=INV)
  webapp.post_json(f"/api/incident/{incident.id}/update", {"status": "active"}, headers=token_headers)
  assert world.incident_events(incident.id) == [
    (
      "update",
      '{"investigation_date": ["2024-05-01T12:30", null], "status": ["investigating", "active"]}',
      True,
    )
  ]


def test_dates_sent_back_to_the_minute_are_not_changes(webapp, token_headers, world):
  """Stored dates may carry seconds; the form shows them to the minute and sends them back so."""
  seconds = dict(start_impact_date=START.replace(second=42), investigation_date=INV.replace(second=7))
  incident = world.incident("Seconds", "investigating", **seconds)
  body = {"status": "investigating", "start_impact_date": text(START), "investigation_date": text(INV)}
  webapp.post(f"/api/incident/{incident.id}/update", body, headers=token_headers)
  row = world.row(Incident, incident.id)
  assert (row.start_impact_date, row.investigation_date) == (
    seconds["start_impact_date"],
    seconds["investigation_date"],
  )
  assert world.incident_events(incident.id) == []  # nothing changed, no update event


def test_the_start_of_impact_cannot_be_emptied(webapp, token_headers, world):
  incident = world.incident("Start", start_impact_date=START)
  webapp.post(f"/api/incident/{incident.id}/update", {"start_impact_date": ""}, headers=token_headers)
  assert world.row(Incident, incident.id).start_impact_date == START
  webapp.post_json(
    f"/api/incident/{incident.id}/update", {"start_impact_date": "2024-04-30T08:00"}, headers=token_headers
  )
  assert world.row(Incident, incident.id).start_impact_date == dt.datetime(2024, 4, 30, 8, 0, tzinfo=dt.UTC)


# -- creation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
  ("body", "result"),
  [
    ({}, ("active", NOW, None, None, None)),
    ({"status": "investigating"}, ("investigating", NOW, NOW, None, None)),
    ({"status": "resolved"}, ("resolved", NOW, None, None, NOW)),
    (
      {
        "status": "resolved",
        "start_impact_date": text(START),
        **{name: text(value) for name, value in ALL.items()},
      },
      ("resolved", START, INV, STAB, RES),
    ),
    (
      {"status": "stable", "start_impact_date": text(START), "investigation_date": text(INV)},
      ("stable", START, INV, NOW, None),
    ),
    ({"start_impact_date": text(START), "resolve_date": text(RES)}, ("active", START, None, None, RES)),
  ],
  ids=[
    "default",
    "investigating",
    "resolved",
    "resolved with its dates",
    "stable with one date",
    "explicit date",
  ],
)
def test_creation_fills_the_date_of_the_initial_status(webapp, token_headers, world, body, result):
  body = {"name": "Created", "severity": "high", "scope": world.paris.id, "service": world.compute.id, **body}
  before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
  ident = webapp.post_json("/api/incident/create", body, headers=token_headers).json["id"]
  after = dt.datetime.now(dt.UTC)
  row = world.row(Incident, ident)
  assert row.status.value == result[0]
  for name, want in zip(("start_impact_date", *DATES), result[1:], strict=True):
    value = getattr(row, name)
    if want == NOW:
      assert value is not None and before <= value <= after, name
    else:
      assert value == want, name


def test_resolution_before_the_start_is_refused(webapp, token_headers, world):
  incident = world.incident("Order", "stable", start_impact_date=START)
  response = webapp.post_json(
    f"/api/incident/{incident.id}/update",
    {"status": "resolved", "resolve_date": "2024-05-01T11:59"},
    headers=token_headers,
    status=400,
  )
  assert list(response.json["reasons"]) == ["resolve_date"]
  response = webapp.post_json(
    f"/api/incident/{incident.id}/update", {"start_impact_date": "2024-05-01T15:00"}, headers=token_headers
  )  # no resolve date yet: a later start is fine
  resolved = world.incident("Resolved", "resolved", start_impact_date=START, resolve_date=RES)
  response = webapp.post_json(
    f"/api/incident/{resolved.id}/update",
    {"start_impact_date": "2024-05-01T15:00"},
    headers=token_headers,
    status=400,
  )
  assert list(response.json["reasons"]) == ["resolve_date"]
  assert (
    world.row(Incident, resolved.id).start_impact_date == START and world.incident_events(resolved.id) == []
  )


# -- duration ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
  ("resolve", "shown"),
  [
    (START + dt.timedelta(minutes=42), "42 min"),
    (START + dt.timedelta(hours=2, minutes=5), "2 h 5 min"),
    (START + dt.timedelta(days=3, hours=1, minutes=7, seconds=50), "3 d 1 h 7 min"),
  ],
)
def test_resolved_incidents_show_their_duration(webapp, world, resolve, shown):
  incident = world.incident("Resolved one", "resolved", start_impact_date=START, resolve_date=resolve)
  world.incident("Still stable", "stable", start_impact_date=START, resolve_date=resolve)
  page = webapp.get(f"/incident/{incident.id}")
  assert page.html.select_one("dd.incident-duration").get_text(strip=True) == shown
  rows = webapp.get("/incident").html.select("tbody tr")
  durations = {
    row.select_one("td a").get_text(): row.select_one("td.incident-duration").get_text(strip=True)
    for row in rows
  }
  assert durations == {"Resolved one": shown, "Still stable": ""}


def test_ongoing_incidents_show_no_duration(webapp, world):
  incident = world.incident("Ongoing", "stable", start_impact_date=START, stable_date=STAB)
  assert webapp.get(f"/incident/{incident.id}").html.select("dd.incident-duration") == []


def test_duration_is_translated(webapp, world):
  incident = world.incident(
    "Résolu", "resolved", start_impact_date=START, resolve_date=START + dt.timedelta(days=1, hours=2)
  )
  page = webapp.get(f"/incident/{incident.id}", headers={"Accept-Language": "fr"})
  assert page.html.select_one("dd.incident-duration").get_text(strip=True) == "1 j 2 h 0 min"
