"""Functional tests of the maintenance API: compat paths and REST verbs (docs/api.md#endpoints-of-a-resource-type), the
object's shape, lists, filters and orders (docs/api.md#filters-search-and-order), errors (docs/api.md#errors), the end ≥ start rule (docs/user-guide.md#dates) and the
weather endpoint."""

import datetime as dt

import pytest

from prodmanager.db import utcnow
from prodmanager_maintenance.models import Maintenance, MaintenanceEvent
from prodmanager_maintenance.testing import API, minute

MAX_TEXT = 64 * 1024


def names(response) -> list[str]:
  return [item["name"] for item in response.json["items"]]


# -- create, read, update, delete -------------------------------------------------------------------


def test_create_with_json_answers_200_with_the_whole_object(webapp, token_headers, world, full, expected):
  before = utcnow().replace(second=0, microsecond=0)
  response = webapp.post_json("/api/maintenance/create", full, headers=token_headers)
  body = response.json
  ident = body["id"]
  # The server sets the creation date; the token (maintenance_api) sees the internal create event.
  assert before <= dt.datetime.fromisoformat(body.pop("creation_date")).replace(tzinfo=dt.UTC) <= utcnow()
  [event] = body.pop("events")
  assert body == expected(ident, full)
  assert (event["type"], event["internal"]) == ("create", True)
  [row] = world.table(Maintenance)
  assert (row.name, row.status, row.service_status.value, row.external_reference) == (
    full["name"],
    row.status,
    "degraded",
    "CHG000387",
  )
  assert row.status.value == "scheduled" and row.start_date is None and row.end_date is None


def test_create_from_a_form_with_defaults(webapp, token_headers, world, window, expected):
  body = {
    "name": "Kernel upgrade",
    "service_status": "down",
    "scope": str(world.lyon.id),
    "service": str(world.network.id),
    "scheduled_start_date": minute(window[0]),
    "scheduled_end_date": minute(window[1]),
  }
  response = webapp.post("/api/maintenance/create", body, headers=token_headers)
  ident = response.json["id"]
  wanted = expected(ident, {**body, "scope": world.lyon.id, "service": world.network.id})
  assert {key: response.json[key] for key in wanted} == wanted  # scheduled, empty description, nulls
  [row] = world.table(Maintenance)
  assert (row.description, row.external_reference, row.external_link, row.status.value) == (
    "",
    None,
    None,
    "scheduled",
  )


def test_rest_create_answers_201_with_location(webapp, token_headers, world, full):
  response = webapp.post_json("/api/maintenance", full, headers=token_headers, status=201)
  assert response.headers["Location"] == f"{API}/maintenance/{response.json['id']}"
  assert response.headers["Location"] == response.json["links"]["self"]
  assert world.count(Maintenance) == 1


def test_get_one_with_absolute_links(webapp, world):
  row = world.maintenance("Rack move", "in-progress", world.lyon, world.network, external_reference="CHG1")
  body = webapp.get(f"/api/maintenance/{row.id}").json
  assert body["links"] == {
    "self": f"{API}/maintenance/{row.id}",
    "scope": f"{API}/scope/{world.lyon.id}",
    "service": f"{API}/service/{world.network.id}",
    "calendar": f"{API}/maintenance/{row.id}/calendar",
  }
  assert webapp.get(body["links"]["scope"]).json["name"] == "Lyon DC"
  assert webapp.get(body["links"]["service"]).json["name"] == "Network"
  assert webapp.get(body["links"]["calendar"]).content_type == "text/calendar"
  assert (body["status"], body["scheduled_start_date"]) == ("in-progress", minute(row.scheduled_start_date))
  webapp.get("/api/maintenance/999999", status=404)


@pytest.mark.parametrize(("path", "method"), [("{id}/update", "post"), ("{id}", "patch")])
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_update_keeps_omitted_fields(webapp, token_headers, world, full, path, method, encoding):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  send = getattr(webapp, f"{method}_json" if encoding == "json" else method)
  response = send(
    "/api/maintenance/" + path.format(id=ident), {"service_status": "down"}, headers=token_headers
  )
  assert response.status_int == 200
  body = response.json
  for key in ("name", "description", "external_reference", "external_link", "scope", "service"):
    assert body[key] == full[key]
  assert (body["service_status"], body["scheduled_start_date"]) == ("down", full["scheduled_start_date"])
  # One internal update event with the structured diff.
  assert [(event["type"], event["content"]) for event in body["events"]][1:] == [
    ("update", '{"service_status": ["degraded", "down"]}')
  ]


def test_update_can_clear_optional_fields_but_not_required_ones(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  cleared = {"description": "", "external_reference": "", "external_link": ""}
  body = webapp.post(f"/api/maintenance/{ident}/update", cleared, headers=token_headers).json
  assert (body["description"], body["external_reference"], body["external_link"]) == ("", None, None)
  response = webapp.post(
    f"/api/maintenance/{ident}/update", {"scheduled_start_date": ""}, headers=token_headers, status=400
  )
  assert response.json["reasons"] == {"scheduled_start_date": ["this field cannot be emptied"]}


def test_compat_delete_answers_200_and_removes_the_events(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  webapp.post_json(f"/api/maintenance/{ident}/comment", {"comment": "Soon"}, headers=token_headers)
  assert world.count(MaintenanceEvent) == 2
  response = webapp.post(f"/api/maintenance/{ident}/delete", headers=token_headers)
  assert response.json == {"message": f"Maintenance {ident} deleted"}
  assert world.count(Maintenance) == 0 and world.count(MaintenanceEvent) == 0
  webapp.get(f"/api/maintenance/{ident}", status=404)


def test_rest_delete_answers_204(webapp, token_headers, world):
  row = world.maintenance("Short lived")
  world.maintenance_event(row)
  assert webapp.delete(f"/api/maintenance/{row.id}", headers=token_headers, status=204).body == b""
  assert world.count(Maintenance) == 0 and world.count(MaintenanceEvent) == 0


@pytest.mark.parametrize("permissions", [None, []])
def test_writes_need_a_token_with_maintenance_api(webapp, make_token, world, full, permissions):
  headers = {} if permissions is None else make_token(["scope_api", "incident_api"])
  status = 401 if permissions is None else 403
  row = world.maintenance("Existing")
  webapp.post_json("/api/maintenance/create", full, headers=headers, status=status)
  webapp.post_json("/api/maintenance", full, headers=headers, status=status)
  webapp.patch_json(f"/api/maintenance/{row.id}", {"name": "Renamed"}, headers=headers, status=status)
  webapp.post(f"/api/maintenance/{row.id}/delete", headers=headers, status=status)
  webapp.delete(f"/api/maintenance/{row.id}", headers=headers, status=status)
  assert [(r.name, r.id) for r in world.table(Maintenance)] == [("Existing", row.id)]


# -- end ≥ start ------------------------------------------------------------------------------------


def test_create_with_the_end_before_the_start_is_400(webapp, token_headers, world, full, window):
  body = {**full, "scheduled_end_date": minute(window[0] - dt.timedelta(minutes=1))}
  for path in ("/api/maintenance/create", "/api/maintenance"):
    response = webapp.post_json(path, body, headers=token_headers, status=400)
    assert response.json == {
      "message": "Maintenance creation failed",
      "reasons": {"scheduled_end_date": ["must not be before Scheduled start"]},
    }
  assert world.count(Maintenance) == 0 and world.count(MaintenanceEvent) == 0


def test_a_window_of_zero_minutes_is_accepted(webapp, token_headers, world, full):
  body = {**full, "scheduled_end_date": full["scheduled_start_date"]}
  webapp.post_json("/api/maintenance/create", body, headers=token_headers, status=200)
  assert world.count(Maintenance) == 1


@pytest.mark.parametrize(
  ("change", "field"),
  [
    ({"scheduled_start_date": +3}, "scheduled_end_date"),  # only the start, after the stored end
    ({"scheduled_end_date": -3}, "scheduled_end_date"),  # only the end, before the stored start
    ({"scheduled_start_date": +10, "scheduled_end_date": +9}, "scheduled_end_date"),
  ],
)
def test_update_of_one_date_is_checked_against_the_stored_other(
  webapp, token_headers, world, full, window, change, field
):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  body = {name: minute(window[0] + dt.timedelta(hours=hours)) for name, hours in change.items()}
  for method in ("post_json", "patch_json"):
    path = f"/api/maintenance/{ident}" + ("/update" if method == "post_json" else "")
    response = getattr(webapp, method)(path, body, headers=token_headers, status=400)
    assert response.json["reasons"] == {field: ["must not be before Scheduled start"]}
  [row] = world.table(Maintenance)
  assert (minute(row.scheduled_start_date), minute(row.scheduled_end_date)) == (
    full["scheduled_start_date"],
    full["scheduled_end_date"],
  )
  assert [event[0] for event in world.maintenance_events()] == ["create"]  # no update event either


def test_update_moving_both_dates_together_is_accepted(webapp, token_headers, world, full, window):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  later = {
    "scheduled_start_date": minute(window[0] + dt.timedelta(days=2)),
    "scheduled_end_date": minute(window[1] + dt.timedelta(days=2)),
  }
  body = webapp.patch_json(f"/api/maintenance/{ident}", later, headers=token_headers).json
  assert (body["scheduled_start_date"], body["scheduled_end_date"]) == tuple(later.values())


def test_the_actual_end_cannot_be_before_the_actual_start(webapp, token_headers, world, full, window):
  body = {**full, "start_date": minute(window[0]), "end_date": minute(window[0] - dt.timedelta(hours=1))}
  response = webapp.post_json("/api/maintenance/create", body, headers=token_headers, status=400)
  assert response.json["reasons"] == {"end_date": ["must not be before Start date"]}
  assert world.count(Maintenance) == 0


# -- bad input --------------------------------------------------------------------------------------

# (encoding, changes to the valid body, field, start of the reason)
BAD_BODIES = [
  ("json", {"name": 1234}, "name", "expected a value of type string"),
  ("json", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("form", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("json", {"name": "x" * 256}, "name", "must be at most 255 characters long"),
  ("form", {"name": "   "}, "name", "this field is required"),
  ("form", {"description": "x" * (MAX_TEXT + 1)}, "description", "must be at most 65536 characters long"),
  ("json", {"description": ["a list"]}, "description", "expected a value of type string"),
  ("json", {"external_reference": "x" * 256}, "external_reference", "must be at most 255 characters long"),
  (
    "json",
    {"external_link": "ftp://files.example.com/x"},
    "external_link",
    "expected an http:// or https:// URL",
  ),
  ("form", {"external_link": "javascript:alert(1)"}, "external_link", "expected an http:// or https:// URL"),
  ("json", {"status": "done"}, "status", "must be one of: scheduled, in-progress, succeed, failed, canceled"),
  ("form", {"status": "done"}, "status", "must be one of: scheduled, in-progress, succeed, failed, canceled"),
  ("json", {"service_status": "broken"}, "service_status", "must be one of: up, degraded, down"),
  ("form", {"service_status": "broken"}, "service_status", "must be one of: up, degraded, down"),
  ("json", {"service_status": None}, "service_status", "expected a value of type string"),
  ("form", {"service_status": ""}, "service_status", "must be one of: up, degraded, down"),
  ("json", {"scope": 9999}, "scope", "no Scope with id 9999"),
  ("form", {"scope": "abc"}, "scope", "expected an integer id"),
  ("form", {"service": "9999"}, "service", "no Service with id 9999"),
  ("json", {"service": "0"}, "service", "expected a positive integer id"),
  ("json", {"scheduled_start_date": "tomorrow"}, "scheduled_start_date", "expected a date"),
  ("form", {"scheduled_start_date": "2024-13-01T10:00"}, "scheduled_start_date", "expected a date"),
  ("json", {"scheduled_end_date": "31/12/2030 10:00"}, "scheduled_end_date", "expected a date"),
  ("form", {"scheduled_end_date": ""}, "scheduled_end_date", "this field is required"),
  ("json", {"start_date": "now"}, "start_date", "expected a date"),
  ("form", {"end_date": "2024-01-01T25:00"}, "end_date", "expected a date"),
]


def send(webapp, encoding: str, path: str, body: dict, **kwargs):
  if encoding == "json":
    return webapp.post_json(path, body, **kwargs)
  return webapp.post(path, {key: str(value) for key, value in body.items()}, **kwargs)


@pytest.mark.parametrize(("encoding", "changes", "field", "reason"), BAD_BODIES)
def test_create_with_bad_input_is_400_and_writes_nothing(
  webapp, token_headers, world, full, encoding, changes, field, reason
):
  response = send(
    webapp, encoding, "/api/maintenance/create", {**full, **changes}, headers=token_headers, status=400
  )
  assert response.json["message"] in ("Invalid request", "Maintenance creation failed")
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert world.count(Maintenance) == 0 and world.count(MaintenanceEvent) == 0


@pytest.mark.parametrize(("encoding", "changes", "field", "reason"), BAD_BODIES)
def test_update_with_bad_input_is_400_and_changes_nothing(
  webapp, token_headers, world, full, encoding, changes, field, reason
):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  before = world.table(Maintenance)
  send(webapp, encoding, f"/api/maintenance/{ident}/update", changes, headers=token_headers, status=400)
  assert world.table(Maintenance) == before
  assert [event[0] for event in world.maintenance_events()] == ["create"]


def test_unknown_fields_are_ignored(webapp, token_headers, world, full):
  body = webapp.post_json("/api/maintenance/create", {**full, "color": "blue"}, headers=token_headers).json
  assert "color" not in body


# -- lists, filters and orders ----------------------------------------------------------------------


def test_default_order_is_scheduled_start_desc_then_status_in_declaration_order(webapp, world):
  start = utcnow().replace(second=0, microsecond=0)
  # Same start: statuses stored as strings would sort canceled < in-progress < scheduled < succeed.
  for status in ("succeed", "canceled", "scheduled", "in-progress"):
    world.maintenance(f"Same start {status}", status, start=start)
  world.maintenance("Later", "failed", start=start + dt.timedelta(days=1))
  world.maintenance("Earlier", "scheduled", start=start - dt.timedelta(days=1))
  assert names(webapp.get("/api/maintenance")) == [
    "Later",
    "Same start scheduled",
    "Same start in-progress",
    "Same start succeed",
    "Same start canceled",
    "Earlier",
  ]


@pytest.mark.parametrize(
  ("sort", "expected_names"),
  [
    ("scheduled_start_date", ["First", "Second", "Third"]),
    ("-scheduled_start_date", ["Third", "Second", "First"]),
    ("scheduled_end_date", ["Second", "First", "Third"]),
    ("-scheduled_end_date", ["Third", "First", "Second"]),
    ("status", ["Second", "Third", "First"]),
    ("-status", ["First", "Third", "Second"]),
    ("name", ["First", "Second", "Third"]),
    ("-name", ["Third", "Second", "First"]),
  ],
)
def test_sort_options(webapp, world, sort, expected_names):
  start = utcnow() + dt.timedelta(days=1)
  world.maintenance("First", "canceled", start=start, hours=10)
  world.maintenance("Second", "scheduled", start=start + dt.timedelta(hours=1), hours=1)
  world.maintenance("Third", "in-progress", start=start + dt.timedelta(hours=2), hours=20)
  assert names(webapp.get("/api/maintenance", {"sort": sort})) == expected_names


def test_unknown_sort_is_400(webapp, world):
  response = webapp.get("/api/maintenance", {"sort": "colour"}, status=400)
  assert list(response.json["reasons"]) == ["sort"]


def test_filters_combine_with_and_and_repeat_with_or(webapp, world):
  world.maintenance(
    "Match one",
    "scheduled",
    world.lyon,
    world.network,
    service_status="down",
    external_reference="CHG1",
    description="rack move",
  )
  world.maintenance(
    "Match two", "in-progress", world.lyon, world.network, service_status="down", external_reference="CHG1"
  )
  world.maintenance(
    "Wrong status", "succeed", world.lyon, world.network, service_status="down", external_reference="CHG1"
  )
  world.maintenance(
    "Wrong scope", "scheduled", world.paris, world.network, service_status="down", external_reference="CHG1"
  )
  world.maintenance(
    "Wrong service", "scheduled", world.lyon, world.compute, service_status="down", external_reference="CHG1"
  )
  world.maintenance("Wrong service status", "scheduled", world.lyon, world.network, external_reference="CHG1")
  world.maintenance(
    "Wrong reference",
    "scheduled",
    world.lyon,
    world.network,
    service_status="down",
    external_reference="CHG2",
  )
  params = [
    ("status", "scheduled"),
    ("status", "in-progress"),
    ("scope", str(world.lyon.id)),
    ("service", str(world.network.id)),
    ("service_status", "down"),
    ("external_reference", "CHG1"),
  ]
  response = webapp.get("/api/maintenance", params + [("sort", "name")])
  assert names(response) == ["Match one", "Match two"]
  assert response.headers["x-total"] == "2"
  # Free text looks in names, descriptions and references.
  assert names(webapp.get("/api/maintenance", {"q": "RACK"})) == ["Match one"]
  assert len(webapp.get("/api/maintenance", {"q": "chg2"}).json["items"]) == 1


@pytest.mark.parametrize(
  "spelling",
  [
    lambda value: value.strftime("%Y-%m-%dT%H:%M"),
    lambda value: value.strftime("%Y-%m-%d %H:%M"),
    lambda value: value.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat(),
  ],
  ids=["api-format", "space", "iso8601-offset"],
)
def test_datetime_filters_compare_real_datetimes(webapp, world, spelling):
  base = dt.datetime(2030, 6, 1, 12, 0, tzinfo=dt.UTC)
  world.maintenance("Early", start=base - dt.timedelta(hours=1), hours=1)  # 11:00 → 12:00
  world.maintenance("On time", start=base, hours=2)  # 12:00 → 14:00
  world.maintenance("Late", start=base + dt.timedelta(hours=3), hours=1)  # 15:00 → 16:00

  def listed(**params):
    return sorted(names(webapp.get("/api/maintenance", {k: spelling(v) for k, v in params.items()})))

  assert listed(start_after=base) == ["Late", "On time"]  # >=
  assert listed(start_before=base) == ["Early"]  # <
  assert listed(end_after=base + dt.timedelta(hours=2)) == ["Late", "On time"]
  assert listed(end_before=base + dt.timedelta(hours=2)) == ["Early"]
  assert listed(start_after=base, end_before=base + dt.timedelta(hours=3)) == ["On time"]


@pytest.mark.parametrize("name", ["start_before", "start_after", "end_before", "end_after"])
@pytest.mark.parametrize("value", ["yesterday", "2030-02-30T10:00", "2030-01-01T10:00+25:00"])
def test_bad_datetime_filter_is_400_naming_the_parameter(webapp, world, name, value):
  world.maintenance("Hidden")
  for path in ("/api/maintenance", "/api/weather/maintenance"):
    response = webapp.get(path, {name: value}, status=400)
    assert list(response.json["reasons"]) == [name]
    assert response.json["reasons"][name][0].startswith("expected a date")


@pytest.mark.parametrize(
  ("name", "value"),
  [("status", "done"), ("service_status", "broken"), ("scope", "abc"), ("service", "-1"), ("page", "x")],
)
def test_bad_filter_is_400_naming_the_parameter(webapp, world, name, value):
  response = webapp.get("/api/maintenance", {name: value}, status=400)
  assert list(response.json["reasons"]) == [name]


def test_pagination_headers(webapp, world):
  for number in range(3):
    world.maintenance(f"Maintenance {number}", start=utcnow() + dt.timedelta(days=number + 1))
  response = webapp.get("/api/maintenance", {"per_page": "2", "page": "2"})
  assert names(response) == ["Maintenance 0"]
  assert (response.headers["x-total"], response.headers["x-total-pages"]) == ("3", "2")
  assert (response.headers["x-prev-page"], response.headers["x-next-page"]) == ("1", "None")
  assert webapp.get("/api/maintenance", {"per_page": "0"}).json["items"] == []


# -- weather ----------------------------------------------------------------------------------------


def test_weather_counts_every_status_with_the_list_filters(webapp, world):
  assert webapp.get("/api/weather/maintenance").json == {
    "scheduled": 0,
    "in-progress": 0,
    "succeed": 0,
    "failed": 0,
    "canceled": 0,
  }
  world.maintenance("One", "scheduled")
  world.maintenance("Two", "scheduled", world.lyon)
  world.maintenance("Three", "in-progress", world.lyon, service_status="down")
  world.maintenance("Four", "canceled", world.lyon)
  assert webapp.get("/api/weather/maintenance").json == {
    "scheduled": 2,
    "in-progress": 1,
    "succeed": 0,
    "failed": 0,
    "canceled": 1,
  }
  assert webapp.get(
    "/api/weather/maintenance", {"scope": str(world.lyon.id), "service_status": "up"}
  ).json == {
    "scheduled": 1,
    "in-progress": 0,
    "succeed": 0,
    "failed": 0,
    "canceled": 1,
  }
  response = webapp.get("/api/weather/maintenance", {"status": "purple"}, status=400)
  assert list(response.json["reasons"]) == ["status"]
