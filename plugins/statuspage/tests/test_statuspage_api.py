"""The eight /api/v2 endpoints: what each one lists, the components and groups, the page block and
indicator, incident updates from the PUBLIC timeline only, headers (CORS, Cache-Control, ETag/304)
and a constant number of SQL queries."""

import datetime as dt

import pytest

from prodmanager.db import utcnow
from prodmanager.testing import event_diff
from prodmanager_monitor.models import Monitor
from prodmanager_statuspage.testing import ENDPOINTS, at


def ids(items) -> list[str]:
  return [item["id"] for item in items]


# -- page, components, status ------------------------------------------------------------------------


def test_page_block(world, v2):
  world.monitor(since=at(minutes=5))
  world.incident(start_impact_date=at(minutes=1), created=True)
  for path in ENDPOINTS:
    page = v2(path)["page"]
    assert page == {
      "id": "prodmanager",
      "name": "ProdManager",
      "url": "http://localhost",
      "time_zone": "UTC",
      "updated_at": "2024-05-01T12:05:00.000Z",  # the newest public change: the monitor's
    }


def test_page_of_an_empty_instance(v2):
  body = v2("summary.json")
  assert body["page"]["updated_at"] == "1970-01-01T00:00:00.000Z"
  assert body["components"] == body["incidents"] == body["scheduled_maintenances"] == []
  assert body["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_page_time_zone_is_the_configured_one(build_app):
  app = build_app(timezone="Europe/Paris")
  assert app.get("/api/v2/status.json").json["page"]["time_zone"] == "Europe/Paris"


def test_components_and_groups(world, v2):
  world.paris.description, world.network.description = "The Paris datacenter", "Routers"
  world.db.flush()
  world.monitor(status="ok", service=world.network, since=at(minutes=10))
  world.monitor(status="warning", service=world.network, since=at(minutes=20))
  world.monitor(status="ok", since=at(minutes=30))
  world.monitor(status="alert", scope=world.lyon, since=at(days=1))
  empty = world.scope(name="Empty DC")  # no monitor: no group
  storage = world.service(name="Storage")
  world.incident(scope=empty, service=storage, created=True)  # a pair without monitors is no component
  paris, lyon = world.paris.id, world.lyon.id
  compute, network = world.compute.id, world.network.id

  components = v2("components.json")["components"]
  # Groups by name, each followed by its components by name.
  assert ids(components) == [
    f"scope-{lyon}",
    f"scope-{lyon}-service-{compute}",
    f"scope-{paris}",
    f"scope-{paris}-service-{compute}",
    f"scope-{paris}-service-{network}",
  ]
  group, network_component = components[2], components[4]
  assert group == {
    "id": f"scope-{paris}",
    "name": "Paris DC",
    "status": "degraded_performance",
    "created_at": "2024-05-01T12:10:00.000Z",
    "updated_at": "2024-05-01T12:30:00.000Z",
    "position": 2,
    "description": "The Paris datacenter",
    "showcase": False,
    "start_date": None,
    "group_id": None,
    "page_id": "prodmanager",
    "group": True,
    "only_show_if_degraded": False,
    "components": [f"scope-{paris}-service-{compute}", f"scope-{paris}-service-{network}"],
  }
  assert network_component == {
    "id": f"scope-{paris}-service-{network}",
    "name": "Network",
    "status": "degraded_performance",
    "created_at": "2024-05-01T12:10:00.000Z",
    "updated_at": "2024-05-01T12:20:00.000Z",
    "position": 2,
    "description": "Routers",
    "showcase": True,
    "start_date": "2024-05-01",
    "group_id": f"scope-{paris}",
    "page_id": "prodmanager",
    "group": False,
    "only_show_if_degraded": False,
  }
  assert [item["position"] for item in components] == [1, 1, 2, 1, 2]
  assert components[3]["description"] is None  # an empty description is null, as Statuspage's
  assert components[0]["status"] == components[1]["status"] == "major_outage"
  # summary.json lists the same components.
  assert v2("summary.json")["components"] == components


def test_status_follows_components_and_incidents(world, v2):
  world.monitor(status="ok", since=at())
  assert v2("status.json")["status"] == {"indicator": "none", "description": "All Systems Operational"}
  world.maintenance(status="in-progress", start=at(days=-1), hours=10**5, created=True)
  assert v2("status.json")["status"] == {"indicator": "none", "description": "Service Under Maintenance"}
  world.monitor(status="warning", scope=world.lyon, since=at())
  assert v2("status.json")["status"] == {"indicator": "minor", "description": "Minor Service Outage"}
  world.monitor(status="alert", scope=world.lyon, service=world.network, since=at())
  assert v2("status.json")["status"] == {"indicator": "major", "description": "Partial System Outage"}
  world.incident(severity="critical", status="resolved", created=True)  # past: ignored
  assert v2("status.json")["status"]["indicator"] == "major"
  world.incident(severity="critical", status="stable", created=True)
  assert v2("status.json")["status"] == {"indicator": "critical", "description": "Major System Outage"}
  assert v2("summary.json")["status"] == v2("status.json")["status"]


def test_status_indicator_of_an_incident_without_monitors(world, v2):
  """An ongoing incident sets the indicator even on a pair that is not a component."""
  world.incident(severity="moderate", status="investigating", created=True)
  assert v2("components.json")["components"] == []
  assert v2("status.json")["status"] == {"indicator": "minor", "description": "Minor Service Outage"}


# -- incidents -----------------------------------------------------------------------------------------


def test_incidents_lists(world, v2):
  world.monitor(since=at())
  rows = {
    status: world.incident(
      name=f"Incident {status}", status=status, start_impact_date=at(minutes=n), created=True
    )
    for n, status in enumerate(["active", "investigating", "stable", "resolved"])
  }
  newest_first = [f"incident-{rows[s].id}" for s in ("resolved", "stable", "investigating", "active")]
  assert ids(v2("incidents.json")["incidents"]) == newest_first
  assert ids(v2("incidents/unresolved.json")["incidents"]) == newest_first[1:]
  assert ids(v2("summary.json")["incidents"]) == newest_first[1:]


def test_incidents_json_keeps_the_50_most_recent(world, v2):
  rows = [world.incident(start_impact_date=at(minutes=n), status="resolved", created=True) for n in range(52)]
  listed = ids(v2("incidents.json")["incidents"])
  assert listed == [f"incident-{row.id}" for row in reversed(rows)][:50]


def test_incident_fields(world, v2):
  world.monitor(since=at())
  row = world.incident(
    name="Database down",
    status="resolved",
    severity="critical",
    created=True,
    creation_date=at(minutes=10),
    start_impact_date=at(),
    investigation_date=at(minutes=12),
    stable_date=at(minutes=30),
    resolve_date=at(minutes=45),
  )
  (incident,) = v2("incidents.json")["incidents"]
  updates = incident.pop("incident_updates")
  component = incident.pop("components")
  assert incident == {
    "id": f"incident-{row.id}",
    "name": "Database down",
    "status": "resolved",
    "created_at": "2024-05-01T12:10:00.000Z",
    "updated_at": "2024-05-01T12:10:00.000Z",  # its newest public update (here, the creation)
    "monitoring_at": "2024-05-01T12:30:00.000Z",
    "resolved_at": "2024-05-01T12:45:00.000Z",
    "impact": "critical",
    "shortlink": f"http://localhost/incident/{row.id}",
    "started_at": "2024-05-01T12:00:00.000Z",
    "page_id": "prodmanager",
  }
  assert len(updates) == 1
  assert ids(component) == [f"scope-{world.paris.id}-service-{world.compute.id}"]
  assert component == v2("components.json")["components"][1:]


def test_incident_updates_come_from_the_public_timeline_only(world, v2, make_token):
  world.monitor(since=at())
  row = world.incident(
    status="resolved",
    severity="high",
    events=[
      ("create", event_diff(description=[None, "Users cannot log in"], status=[None, "active"]), True),
      ("comment", "We are looking into it.", False),
      ("comment", "SECRET: the root password leaked", True),
      ("update", event_diff(status=["active", "stable"], description=["Users", "SECRET diff"]), True),
      ("update", event_diff(external_reference=[None, "SECRET-REF"]), True),  # no status change: not public
      ("comment", "Fixed, watching.", False),
      ("update", event_diff(status=["stable", "resolved"]), True),
    ],
  )
  component = f"scope-{world.paris.id}-service-{world.compute.id}"
  expected = [
    ("resolved", "Status changed from stable to resolved.", 6, "major_outage", "operational"),
    ("monitoring", "Fixed, watching.", 5, "major_outage", "major_outage"),
    ("monitoring", "Status changed from active to stable.", 3, "major_outage", "major_outage"),
    ("investigating", "We are looking into it.", 1, "major_outage", "major_outage"),
    ("investigating", "Users cannot log in", 0, "operational", "major_outage"),
  ]
  readers = {"anonymous": {}, "token with incident_api": make_token(["incident_api"])}
  for reader, headers in readers.items():
    for path in ("incidents.json", "incidents/unresolved.json"):
      found = v2(path, headers=headers)["incidents"]
      if path != "incidents.json":
        assert found == []  # resolved
        continue
      (incident,) = found
      updates = incident["incident_updates"]
      assert "SECRET" not in str(incident), reader
      assert [
        (
          update["status"],
          update["body"],
          update["created_at"],
          update["affected_components"][0]["old_status"],
          update["affected_components"][0]["new_status"],
        )
        for update in updates
      ] == [
        (status, body, f"2024-05-01T12:{minute:02d}:00.000Z", old, new)
        for status, body, minute, old, new in expected
      ], reader
      first = updates[0]
      assert first["id"].startswith(f"incident-{row.id}-event-")
      assert len({update["id"] for update in updates}) == len(updates)
      assert first["incident_id"] == f"incident-{row.id}"
      assert first["updated_at"] == first["display_at"] == first["created_at"]
      assert first["affected_components"][0]["code"] == component
      assert first["affected_components"][0]["name"] == "Paris DC - Compute"
      assert {update["deliver_notifications"] for update in updates} == {True}
      assert incident["updated_at"] == "2024-05-01T12:06:00.000Z"


def test_internal_comments_never_appear_when_written_through_the_api(webapp, v2, token_headers):
  """The same, with events the timeline itself wrote (create and update diffs, comments)."""
  scope = webapp.post_json("/api/scope", {"name": "Paris DC"}, headers=token_headers).json["id"]
  service = webapp.post_json("/api/service", {"name": "Compute"}, headers=token_headers).json["id"]
  webapp.post_json(
    "/api/monitor", {"name": "Web probe", "scope": scope, "service": service}, headers=token_headers
  )
  incident = webapp.post_json(
    "/api/incident",
    {
      "name": "Login fails",
      "severity": "low",
      "scope": scope,
      "service": service,
      "description": "Public text",
    },
    headers=token_headers,
  ).json["id"]
  base = f"/api/incident/{incident}"
  webapp.post_json(f"{base}/events", {"comment": "Public news"}, headers=token_headers)
  webapp.post_json(f"{base}/events", {"comment": "Internal only", "internal": True}, headers=token_headers)
  webapp.patch_json(
    base, {"external_reference": "INC-HIDDEN", "name": "Login fails badly"}, headers=token_headers
  )
  webapp.patch_json(base, {"status": "investigating"}, headers=token_headers)
  (item,) = v2("incidents.json")["incidents"]
  assert [(u["status"], u["body"]) for u in item["incident_updates"]] == [
    ("investigating", "Status changed from active to investigating."),
    ("investigating", "Public news"),
    ("investigating", "Public text"),
  ]
  assert "Internal only" not in str(item) and "INC-HIDDEN" not in str(item)
  assert item["name"] == "Login fails badly"
  assert item["components"][0]["status"] == "degraded_performance"  # raised by the low incident


def test_updates_of_rows_without_timeline(world, v2):
  """Rows written without events (old data) still have a consistent shape."""
  world.monitor(scope=world.lyon, since=at())
  world.incident()
  (incident,) = v2("incidents.json")["incidents"]
  assert incident["incident_updates"] == []
  assert incident["updated_at"] == incident["created_at"]
  assert incident["components"] == []  # its pair has no monitor


# -- maintenances --------------------------------------------------------------------------------------


def test_maintenances_lists(world, v2):
  world.monitor(since=at())
  soon, later, past = utcnow() + dt.timedelta(days=1), utcnow() + dt.timedelta(days=2), at(days=-30)
  for name, status, start in (
    ("later", "scheduled", later),
    ("soon", "scheduled", soon),
    ("overdue", "scheduled", past),  # still scheduled, window over: not upcoming
    ("running", "in-progress", at()),
    ("done", "succeed", at(days=-1)),
    ("broken", "failed", at(days=-2)),
    ("dropped", "canceled", soon),  # left out everywhere
  ):
    world.maintenance(name=name, status=status, start=start, created=True)

  def names(path):
    return [item["name"] for item in v2(path)["scheduled_maintenances"]]

  assert names("scheduled-maintenances.json") == ["later", "soon", "running", "done", "broken", "overdue"]
  assert names("scheduled-maintenances/upcoming.json") == ["soon", "later"]  # soonest first
  assert names("scheduled-maintenances/active.json") == ["running"]
  assert names("summary.json") == ["running", "soon", "later"]


def test_scheduled_maintenances_json_keeps_the_50_most_recent(world, v2):
  rows = [world.maintenance(start=at(days=n), status="succeed", created=True) for n in range(52)]
  assert (
    ids(v2("scheduled-maintenances.json")["scheduled_maintenances"])
    == [f"maintenance-{row.id}" for row in reversed(rows)][:50]
  )


def test_maintenance_fields_and_updates(world, v2):
  world.monitor(since=at())
  row = world.maintenance(
    name="Kernel upgrade",
    status="succeed",
    start=at(days=1),
    hours=2,
    creation_date=at(),
    start_date=at(days=1, minutes=5),
    end_date=at(days=1, minutes=90),
    events=[
      ("create", event_diff(description=[None, "Reboots ahead"], status=[None, "scheduled"]), True),
      ("comment", "Internal note", True),
      ("comment", "Starting soon", False),
      ("update", event_diff(status=["scheduled", "in-progress"]), True),
      ("update", event_diff(status=["in-progress", "succeed"]), True),
    ],
  )
  (item,) = v2("scheduled-maintenances.json")["scheduled_maintenances"]
  updates = item.pop("incident_updates")
  item.pop("components")
  assert item == {
    "id": f"maintenance-{row.id}",
    "name": "Kernel upgrade",
    "status": "completed",
    "created_at": "2024-05-01T12:00:00.000Z",
    "updated_at": "2024-05-01T12:04:00.000Z",
    "monitoring_at": None,
    "resolved_at": "2024-05-02T13:30:00.000Z",
    "impact": "maintenance",
    "shortlink": f"http://localhost/maintenance/{row.id}",
    "started_at": "2024-05-02T12:05:00.000Z",
    "page_id": "prodmanager",
    "scheduled_for": "2024-05-02T12:00:00.000Z",
    "scheduled_until": "2024-05-02T14:00:00.000Z",
  }
  assert [
    (
      u["status"],
      u["body"],
      u["deliver_notifications"],
      u["affected_components"][0]["old_status"],
      u["affected_components"][0]["new_status"],
    )
    for u in updates
  ] == [
    ("completed", "Status changed from in-progress to succeed.", True, "under_maintenance", "operational"),
    (
      "in_progress",
      "Status changed from scheduled to in-progress.",
      True,
      "operational",
      "under_maintenance",
    ),
    ("scheduled", "Starting soon", False, "operational", "operational"),  # comments are not mailed
    ("scheduled", "Reboots ahead", True, "operational", "operational"),
  ]


# -- headers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_headers_etag_and_304(world, webapp, path):
  world.monitor(since=at())
  world.incident(status="investigating", created=True)
  world.maintenance(status="in-progress", start=at(), created=True)
  response = webapp.get(f"/api/v2/{path}")
  assert response.content_type == "application/json"
  assert response.headers["Access-Control-Allow-Origin"] == "*"
  assert response.headers["Cache-Control"] == "public, max-age=30"
  etag = response.headers["ETag"]
  assert webapp.get(f"/api/v2/{path}").headers["ETag"] == etag  # the same body, the same tag
  again = webapp.get(f"/api/v2/{path}", headers={"If-None-Match": etag}, status=304)
  assert again.body == b""
  assert again.headers["ETag"] == etag
  assert again.headers["Access-Control-Allow-Origin"] == "*"
  assert again.headers["Cache-Control"] == "public, max-age=30"


def test_etag_changes_with_the_data(world, webapp):
  world.monitor(since=at())
  etag = webapp.get("/api/v2/summary.json").headers["ETag"]
  world.monitor(status="alert", since=at(minutes=1))
  response = webapp.get("/api/v2/summary.json", headers={"If-None-Match": etag}, status=200)
  assert response.headers["ETag"] != etag
  assert response.json["components"][0]["status"] == "partial_outage"


@pytest.mark.one_backend  # what it checks does not depend on the database
def test_errors_are_json_with_cors(webapp):
  """Errors are JSON, readable by any origin, and never cached as public."""
  for response in (
    webapp.get("/api/v2/summary.json", headers={"Authorization": "Bearer garbage"}, status=401),
    webapp.get("/api/v2/nothing.json", status=404),
    webapp.post("/api/v2/summary.json", status=405),
  ):
    assert set(response.json) == {"message", "reasons"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" not in response.headers.get("Cache-Control", "")


def test_a_valid_token_reads_the_same(world, webapp, make_token):
  world.monitor(since=at())
  world.incident(events=[("comment", "internal", True), ("comment", "public", False)])
  anonymous = webapp.get("/api/v2/summary.json").json
  assert webapp.get("/api/v2/summary.json", headers=make_token(["incident_api"])).json == anonymous


@pytest.mark.one_backend  # what it checks does not depend on the database
def test_documented_in_the_openapi_document(webapp):
  document = webapp.get("/api/openapi.json").json
  for path in ENDPOINTS:
    operation = document["paths"][f"/api/v2/{path}"]["get"]
    assert {"200", "304", "400", "401", "404", "429"} <= set(operation["responses"])
    assert operation["tags"] == ["statuspage"]


# -- SQL queries ---------------------------------------------------------------------------------------


def fill(make, total: int) -> None:
  """Grow to ``total`` pairs (a scope and a service of their own) with two monitors each, an ongoing
  and a resolved incident, an upcoming and an in-progress maintenance on each, each with a few
  events, public and internal."""
  future = utcnow() + dt.timedelta(days=10)
  for number in range(make.count(Monitor) // 2, total):
    pair = {
      "scope": make.scope(name=f"Scope {number:02d}"),
      "service": make.service(name=f"Service {number:02d}"),
    }
    make.monitor(status="ok", since=at(), **pair)
    make.monitor(status="alert", since=at(), **pair)
    events = [
      ("create", event_diff(status=[None, "active"]), True),
      ("comment", "public", False),
      ("comment", "internal", True),
      ("update", event_diff(status=["active", "stable"]), True),
    ]
    make.incident(status="stable", start_impact_date=at(minutes=number), events=events, **pair)
    make.incident(status="resolved", start_impact_date=at(minutes=number), events=events[:2], **pair)
    maintenance_events = [
      ("create", event_diff(status=[None, "scheduled"]), True),
      ("comment", "public", False),
    ]
    make.maintenance(start=future, events=maintenance_events, **pair)
    make.maintenance(status="in-progress", start=at(), events=maintenance_events, **pair)


def listed(path: str, pairs: int) -> dict[str, int]:
  """The length of every list in the body for ``pairs`` pairs filled as above: a component group per
  scope and a component per pair, both incidents and both maintenances of each pair in the full
  lists (capped at 50), one of each in the unresolved, upcoming and active ones."""
  every = {
    "components": 2 * pairs,
    "incidents": min(2 * pairs, 50),
    "scheduled_maintenances": min(2 * pairs, 50),
  }
  one_each = {"incidents": pairs, "scheduled_maintenances": pairs}
  return {
    "summary.json": {"components": 2 * pairs, "incidents": pairs, "scheduled_maintenances": 2 * pairs},
    "status.json": {},
    "components.json": {"components": every["components"]},
    "incidents.json": {"incidents": every["incidents"]},
    "incidents/unresolved.json": {"incidents": one_each["incidents"]},
    "scheduled-maintenances.json": {"scheduled_maintenances": every["scheduled_maintenances"]},
    "scheduled-maintenances/upcoming.json": {"scheduled_maintenances": one_each["scheduled_maintenances"]},
    "scheduled-maintenances/active.json": {"scheduled_maintenances": one_each["scheduled_maintenances"]},
  }[path]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_constant_number_of_queries(make, webapp, count_queries, path):
  counts = []
  for total in (1, 30):
    fill(make, total)
    webapp.get(f"/api/v2/{path}")  # warm-up
    with count_queries() as queries:
      body = webapp.get(f"/api/v2/{path}").json
    counts.append(len(queries))
    lists = {key: len(value) for key, value in body.items() if isinstance(value, list)}
    assert lists == listed(path, total), path
  assert counts[0] == counts[1], counts
  assert counts[0] <= 10, counts


def test_odd_timelines_never_break_the_payload(world, v2):
  """Unreadable or unexpected event contents fall back to sensible values (and never answer 500)."""
  world.monitor(since=at())
  world.incident(
    status="stable",
    events=[
      ("create", "not JSON {", True),
      ("update", event_diff(status=["active", "exploded"]), True),
      ("update", event_diff(status=[None, "stable"]), True),
    ],
  )
  world.maintenance(
    status="scheduled",
    start=utcnow() + dt.timedelta(days=1),
    events=[
      ("create", event_diff(status=[None, "scheduled"]), True),
      ("update", event_diff(status=["scheduled", "canceled"]), True),
      ("update", event_diff(status=["canceled", "scheduled"]), True),
    ],
  )
  body = v2("summary.json")
  assert [(u["status"], u["body"]) for u in body["incidents"][0]["incident_updates"]] == [
    ("monitoring", "Status changed to stable."),
    ("monitoring", "Status changed from active to exploded."),  # unknown: the current status
    ("investigating", "This incident has been reported."),
  ]
  assert [(u["status"], u["body"]) for u in body["scheduled_maintenances"][0]["incident_updates"]] == [
    ("scheduled", "Status changed from canceled to scheduled."),
    ("completed", "Status changed from scheduled to canceled."),  # canceled for a while: completed
    ("scheduled", "This maintenance has been scheduled."),
  ]


def test_a_status_change_posted_with_its_message_is_one_incident_update(world, v2, webapp, token_headers):
  world.monitor(since=at())
  row = world.incident(severity="high")
  body = {"comment": "We are looking at the login servers.", "status": "investigating"}
  webapp.post_json(f"/api/incident/{row.id}/events", body, headers=token_headers, status=201)
  (incident,) = v2("incidents.json")["incidents"]
  updates = [(update["status"], update["body"]) for update in incident["incident_updates"]]
  assert updates[0] == ("investigating", "We are looking at the login servers.")
  assert not any(text.startswith("Status changed") for _, text in updates)


def test_components_follow_every_change_of_their_values(world, v2, registry):
  # The groups are kept as JSON fragments by their values (prodmanager.fragments): a status, a
  # name, a description that changed is serialised anew, an unchanged group is reused.
  from prodmanager.fragments import fragments

  paris = world.monitor(status="ok", since=at(minutes=10))
  world.monitor(status="ok", scope=world.lyon, since=at(minutes=10))
  kept = fragments(registry)
  kept.clear()  # another test of this process may have serialised the same groups
  paris_compute = f"scope-{world.paris.id}-service-{world.compute.id}"
  lyon_compute = f"scope-{world.lyon.id}-service-{world.compute.id}"

  def components(path="summary.json"):
    return {item["id"]: (item["name"], item["status"]) for item in v2(path)["components"]}

  assert components()[paris_compute] == ("Compute", "operational")
  misses = kept.misses
  paris.status = type(paris.status)("alert")
  world.db.flush()
  seen = components()
  assert seen[paris_compute] == ("Compute", "major_outage")
  assert seen[f"scope-{world.paris.id}"] == ("Paris DC", "major_outage")
  assert seen[lyon_compute] == ("Compute", "operational")
  assert kept.misses == misses + 1  # Paris's group only
  world.compute.name = "Compute nodes"
  world.db.flush()
  seen = components("components.json")
  assert seen[paris_compute] == ("Compute nodes", "major_outage")
  assert seen[lyon_compute] == ("Compute nodes", "operational")
