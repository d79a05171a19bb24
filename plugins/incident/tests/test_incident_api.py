"""Functional tests of the incident API: compat paths and REST verbs (docs/api.md#endpoints-of-a-resource-type), the object
shape, errors for every field (docs/api.md#errors), permissions, the weather endpoint, counts on scopes/services."""

import datetime as dt

import pytest

from prodmanager_incident.models import Incident, IncidentEvent

API = "http://localhost/api"

MAX_TEXT = 64 * 1024


class Clock:
  """The window of a request: a date the server set "now" lies between its start (to the minute) and its end."""

  def __init__(self):
    self.start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)

  def __contains__(self, text: str) -> bool:
    value = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=dt.UTC)
    return self.start <= value <= dt.datetime.now(dt.UTC)


@pytest.fixture
def full(world) -> dict:
  """Every field of an incident, as an API client sends them."""
  return {
    "name": "Database storage backend is unresponsive",
    "description": "Timeouts during `pg_dump`",
    "external_reference": "INC001287",
    "external_link": "https://itsm.example.com/INC001287",
    "severity": "critical",
    "scope": world.paris.id,
    "service": world.compute.id,
    "start_impact_date": "2024-05-01T10:30",
  }


def expected(ident: int, body: dict, **values) -> dict:
  """The 0.22 shape of an incident (docs/api.md#endpoints-of-a-resource-type) for a create ``body``; ``values`` override."""
  result = {
    "id": ident,
    "name": body["name"],
    "description": body.get("description", ""),
    "external_reference": body.get("external_reference"),
    "external_link": body.get("external_link"),
    "status": body.get("status", "active"),
    "severity": body["severity"],
    "scope": int(body["scope"]),
    "service": int(body["service"]),
    "start_impact_date": body.get("start_impact_date"),
    "investigation_date": body.get("investigation_date"),
    "stable_date": body.get("stable_date"),
    "resolve_date": body.get("resolve_date"),
    **values,
  }
  result["links"] = {
    "self": f"{API}/incident/{ident}",
    "scope": f"{API}/scope/{result['scope']}",
    "service": f"{API}/service/{result['service']}",
  }
  return result


def without(body: dict, *keys) -> dict:
  return {key: value for key, value in body.items() if key not in keys}


def test_create_with_json_answers_200_with_the_0_22_shape(webapp, token_headers, world, full):
  clock = Clock()
  response = webapp.post_json("/api/incident/create", full, headers=token_headers)
  body = response.json
  ident = body["id"]
  assert list(body) == [
    "id",
    "name",
    "description",
    "external_reference",
    "external_link",
    "status",
    "severity",
    "scope",
    "service",
    "creation_date",
    "start_impact_date",
    "investigation_date",
    "stable_date",
    "resolve_date",
    "events",
    "links",
  ]
  assert body["creation_date"] in clock
  assert without(body, "creation_date", "events") == expected(ident, full)
  # One internal create event, with the values the incident was created with.
  assert len(body["events"]) == 1
  event = body["events"][0]
  assert (event["type"], event["internal"]) == ("create", True)
  assert len(event["creation_date"]) == len("2024-05-01T10:30")
  row = world.row(Incident, ident)
  assert (row.name, row.status.value, row.severity.value, row.external_reference) == (
    full["name"],
    "active",
    "critical",
    "INC001287",
  )
  assert row.start_impact_date == dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.UTC)


def test_create_from_a_form_with_defaults(webapp, token_headers, world):
  clock = Clock()
  body = {
    "name": "Ping lost",
    "severity": "minor",
    "scope": str(world.lyon.id),
    "service": str(world.network.id),
  }
  response = webapp.post("/api/incident/create", body, headers=token_headers)
  created = response.json
  # New incidents are active, their impact starts now, the description is stored as empty text.
  assert created["start_impact_date"] in clock and created["creation_date"] in clock
  assert without(created, "creation_date", "start_impact_date", "events") == without(
    expected(created["id"], body), "start_impact_date"
  )
  row = world.row(Incident, created["id"])
  assert (row.description, row.status.value, row.investigation_date, row.resolve_date) == (
    "",
    "active",
    None,
    None,
  )


def test_rest_create_answers_201_with_location(webapp, token_headers, world, full):
  response = webapp.post_json("/api/incident", full, headers=token_headers, status=201)
  assert (
    response.headers["Location"] == f"{API}/incident/{response.json['id']}" == response.json["links"]["self"]
  )
  assert world.count(Incident) == 1 and world.count(IncidentEvent) == 1


def test_get_one(webapp, world):
  incident = world.incident(
    "Unable to mount",
    "stable",
    "critical",
    world.lyon,
    world.network,
    external_reference="INC003421",
    description="Block *storage*",
    investigation_date=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
    stable_date=dt.datetime(2024, 5, 1, 13, 45, tzinfo=dt.UTC),
  )
  body = webapp.get(f"/api/incident/{incident.id}").json
  assert body == {
    "id": incident.id,
    "name": "Unable to mount",
    "description": "Block *storage*",
    "external_reference": "INC003421",
    "external_link": None,
    "status": "stable",
    "severity": "critical",
    "scope": world.lyon.id,
    "service": world.network.id,
    "creation_date": "2024-05-01T12:00",
    "start_impact_date": "2024-05-01T12:00",
    "investigation_date": "2024-05-01T12:30",
    "stable_date": "2024-05-01T13:45",
    "resolve_date": None,
    "events": [],
    "links": {
      "self": f"{API}/incident/{incident.id}",
      "scope": f"{API}/scope/{world.lyon.id}",
      "service": f"{API}/service/{world.network.id}",
    },
  }
  # The links are absolute URLs of the API twins.
  assert webapp.get(body["links"]["scope"]).json["name"] == "Lyon DC"
  assert webapp.get(body["links"]["service"]).json["name"] == "Network"
  webapp.get("/api/incident/9999", status=404)


@pytest.mark.parametrize(("path", "method"), [("{id}/update", "post"), ("{id}", "patch")])
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_update_keeps_omitted_fields(webapp, token_headers, world, full, path, method, encoding):
  ident = webapp.post_json("/api/incident/create", full, headers=token_headers).json["id"]
  send = getattr(webapp, f"{method}_json" if encoding == "json" else method)
  response = send("/api/incident/" + path.format(id=ident), {"severity": "low"}, headers=token_headers)
  assert response.status_int == 200
  assert without(response.json, "creation_date", "events") == expected(ident, {**full, "severity": "low"})
  # One internal update event, with the structured diff.
  assert world.incident_events(ident)[1:] == [("update", '{"severity": ["critical", "low"]}', True)]


def test_update_without_change_writes_no_event(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/incident/create", full, headers=token_headers).json["id"]
  webapp.post_json(
    f"/api/incident/{ident}/update", {"severity": "critical", "name": full["name"]}, headers=token_headers
  )
  assert [event[0] for event in world.incident_events(ident)] == ["create"]


def test_update_moves_an_incident(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/incident/create", full, headers=token_headers).json["id"]
  body = webapp.patch_json(
    f"/api/incident/{ident}", {"scope": world.lyon.id, "service": world.network.id}, headers=token_headers
  ).json
  assert (body["scope"], body["service"]) == (world.lyon.id, world.network.id)
  assert body["links"]["scope"] == f"{API}/scope/{world.lyon.id}"
  row = world.row(Incident, ident)
  assert (row.scope_id, row.service_id) == (world.lyon.id, world.network.id)


def test_update_can_clear_optional_fields(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/incident/create", full, headers=token_headers).json["id"]
  cleared = {"description": "", "external_reference": "", "external_link": ""}
  body = webapp.post(f"/api/incident/{ident}/update", cleared, headers=token_headers).json
  assert (body["description"], body["external_reference"], body["external_link"]) == ("", None, None)
  row = world.row(Incident, ident)
  assert (row.description, row.external_reference, row.external_link) == ("", None, None)


def test_compat_delete_answers_200_and_removes_the_events(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/incident/create", full, headers=token_headers).json["id"]
  webapp.post(f"/api/incident/{ident}/comment", {"comment": "Looking"}, headers=token_headers)
  response = webapp.post(f"/api/incident/{ident}/delete", headers=token_headers)
  assert response.json == {"message": f"Incident {ident} deleted"}
  assert world.count(Incident) == 0 and world.count(IncidentEvent) == 0
  webapp.get(f"/api/incident/{ident}", status=404)


def test_rest_delete_answers_204(webapp, token_headers, world):
  incident = world.incident("Short lived", events=[("comment", "gone soon", False)])
  response = webapp.delete(f"/api/incident/{incident.id}", headers=token_headers, status=204)
  assert response.body == b""
  assert world.count(Incident) == 0 and world.count(IncidentEvent) == 0


# -- errors -----------------------------------------------------------------------------------------

# (encoding, changes to the valid body, field, start of the reason)
BAD_BODIES = [
  ("json", {"name": 1234}, "name", "expected a value of type string"),
  ("json", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("form", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("json", {"name": "x" * 256}, "name", "must be at most 255 characters long"),
  ("form", {"description": "x" * (MAX_TEXT + 1)}, "description", "must be at most 65536 characters long"),
  ("json", {"external_reference": "x" * 256}, "external_reference", "must be at most 255 characters long"),
  (
    "json",
    {"external_link": "ftp://files.example.com/x"},
    "external_link",
    "expected an http:// or https:// URL",
  ),
  ("form", {"external_link": "javascript:alert(1)"}, "external_link", "expected an http:// or https:// URL"),
  ("json", {"severity": "blocker"}, "severity", "must be one of: critical, high, moderate, low, minor"),
  ("form", {"severity": "blocker"}, "severity", "must be one of: critical, high, moderate, low, minor"),
  ("json", {"status": "closed"}, "status", "must be one of: active, investigating, stable, resolved"),
  ("form", {"status": "closed"}, "status", "must be one of: active, investigating, stable, resolved"),
  ("json", {"scope": 9999}, "scope", "no Scope with id 9999"),
  ("form", {"scope": "abc"}, "scope", "expected an integer id"),
  ("form", {"service": "9999"}, "service", "no Service with id 9999"),
  ("json", {"service": "0"}, "service", "expected a positive integer id"),
  ("json", {"start_impact_date": "yesterday"}, "start_impact_date", "expected a date"),
  ("form", {"start_impact_date": "2024-13-01T10:00"}, "start_impact_date", "expected a date"),
  ("json", {"investigation_date": "01/05/2024"}, "investigation_date", "expected a date"),
  ("form", {"stable_date": "soon"}, "stable_date", "expected a date"),
  ("json", {"resolve_date": "2024-05-01T25:00"}, "resolve_date", "expected a date"),
  (
    "json",
    {"resolve_date": "2024-05-01T10:29"},
    "resolve_date",
    "must not be before Start of impact",
  ),
]


def send(webapp, encoding: str, path: str, body: dict, **kwargs):
  if encoding == "json":
    return webapp.post_json(path, body, **kwargs)
  return webapp.post(path, {key: str(value) for key, value in body.items()}, **kwargs)


@pytest.mark.parametrize(("encoding", "changes", "field", "reason"), BAD_BODIES)
def test_create_with_bad_input_is_400(webapp, token_headers, world, full, encoding, changes, field, reason):
  response = send(
    webapp, encoding, "/api/incident/create", {**full, **changes}, headers=token_headers, status=400
  )
  assert response.json["message"] in ("Invalid request", "Incident creation failed")
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert world.count(Incident) == 0 and world.count(IncidentEvent) == 0


@pytest.mark.parametrize(
  ("encoding", "changes", "field", "reason"),
  BAD_BODIES
  + [
    ("form", {"name": ""}, "name", "this field cannot be emptied"),
    ("json", {"severity": ""}, "severity", "must be one of: critical"),
    ("form", {"severity": ""}, "severity", "must be one of: critical"),
    ("json", {"scope": ""}, "scope", "this field cannot be emptied"),
    ("form", {"service": ""}, "service", "this field cannot be emptied"),
  ],
)
def test_update_with_bad_input_is_400(webapp, token_headers, world, full, encoding, changes, field, reason):
  ident = webapp.post_json("/api/incident/create", full, headers=token_headers).json["id"]
  before, events = world.table(Incident), world.incident_events()
  response = send(
    webapp, encoding, f"/api/incident/{ident}/update", changes, headers=token_headers, status=400
  )
  assert response.json["message"] in ("Invalid request", "Incident update failed")
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert world.table(Incident) == before and world.incident_events() == events


def test_create_without_required_fields_is_400(webapp, token_headers, world):
  response = webapp.post_json(
    "/api/incident/create", {"description": "nothing else"}, headers=token_headers, status=400
  )
  assert set(response.json["reasons"]) == {"name", "severity", "scope", "service"}
  response = webapp.post("/api/incident/create", {"name": "Form only"}, headers=token_headers, status=400)
  assert set(response.json["reasons"]) == {"severity", "scope", "service"}
  assert world.count(Incident) == 0 and world.count(IncidentEvent) == 0


def test_writes_need_a_token_with_the_incident_permission(webapp, make_token, world, full):
  incident = world.incident("Protected")
  before = world.table(Incident)
  writes = [
    ("POST", "/api/incident/create", full),
    ("POST", "/api/incident", full),
    ("POST", f"/api/incident/{incident.id}/update", {"status": "resolved"}),
    ("PATCH", f"/api/incident/{incident.id}", {"status": "resolved"}),
    ("POST", f"/api/incident/{incident.id}/delete", None),
    ("DELETE", f"/api/incident/{incident.id}", None),
    ("POST", f"/api/incident/{incident.id}/comment", {"comment": "hi"}),
    ("POST", f"/api/incident/{incident.id}/events", {"comment": "hi"}),
  ]
  cases = [({}, 401), (make_token(["scope_api", "service_api", "monitor_api"]), 403), (make_token([]), 403)]
  for headers, status in cases:
    for method, path, body in writes:
      call = getattr(webapp, method.lower() if body is None else f"{method.lower()}_json")
      response = call(path, headers=headers, status=status, **({} if body is None else {"params": body}))
      assert set(response.json) == {"message", "reasons"}, (method, path)
  assert world.table(Incident) == before and world.incident_events() == []
  allowed = make_token(["incident_api"])
  webapp.patch_json(f"/api/incident/{incident.id}", {"severity": "low"}, headers=allowed)
  assert world.row(Incident, incident.id).severity.value == "low"


# -- weather ----------------------------------------------------------------------------------------


def test_weather_counts_every_status_with_the_list_filters(webapp, world):
  assert webapp.get("/api/weather/incident").json == {
    "active": 0,
    "investigating": 0,
    "stable": 0,
    "resolved": 0,
  }
  world.incident("One", "active", "critical")
  world.incident("Two", "active", "low", world.lyon)
  world.incident("Three", "resolved", "critical", world.lyon)
  assert webapp.get("/api/weather/incident").json == {
    "active": 2,
    "investigating": 0,
    "stable": 0,
    "resolved": 1,
  }
  assert webapp.get("/api/weather/incident", {"scope": world.lyon.id}).json == {
    "active": 1,
    "investigating": 0,
    "stable": 0,
    "resolved": 1,
  }
  assert webapp.get("/api/weather/incident", {"severity": "critical", "q": "thr"}).json == {
    "active": 0,
    "investigating": 0,
    "stable": 0,
    "resolved": 1,
  }
  response = webapp.get("/api/weather/incident", {"impact_after": "tomorrow"}, status=400)
  assert list(response.json["reasons"]) == ["impact_after"]


# -- scopes and services ----------------------------------------------------------------------------


def test_scopes_and_services_count_their_incidents(webapp, world):
  world.incident("One", "active")
  world.incident("Two", "resolved")
  world.incident("Three", "stable", scope=world.lyon, service=world.network)
  scopes = {item["name"]: item["incidents_count"] for item in webapp.get("/api/scope").json["items"]}
  services = {item["name"]: item["incidents_count"] for item in webapp.get("/api/service").json["items"]}
  assert scopes == {"Paris DC": 2, "Lyon DC": 1}
  assert services == {"Compute": 2, "Network": 1}
  assert webapp.get(f"/api/scope/{world.lyon.id}").json["incidents_count"] == 1


@pytest.mark.parametrize("kind", ["scope", "service"])
def test_a_scope_or_service_with_incidents_cannot_be_deleted(webapp, token_headers, world, kind):
  target = world.lyon if kind == "scope" else world.network
  world.incident("Child", scope=world.lyon, service=world.network)
  response = webapp.delete(f"/api/{kind}/{target.id}", headers=token_headers, status=403)
  assert response.json["reasons"] == {"incidents": ["Incidents: 1 still attached; delete or move them first"]}
  webapp.post(f"/api/{kind}/{target.id}/delete", headers=token_headers, status=403)
  assert webapp.get(f"/api/{kind}/{target.id}").json["incidents_count"] == 1
  assert world.count(Incident) == 1
