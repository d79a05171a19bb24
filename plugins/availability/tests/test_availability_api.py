"""``availability`` on the monitor, scope and service objects (lists and single objects), the days
endpoints, the documented schema (responses are validated against it), and the Statuspage
components left as they were. On SQLite and PostgreSQL."""

import datetime as dt

import pytest

from prodmanager_availability.rollup import day_start, recompute

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
API = "http://localhost/api"


@pytest.fixture
def outage(make, dbsession, history, today, world):
  """Two monitors of (Paris DC, Compute) since 3 days ago; one was in alert 12 h the day before
  yesterday. A third monitor (Lyon DC, Network) has no history."""
  d3 = day_start(today - 3 * DAY)
  down = make.monitor(name="Checkout", scope=world.paris, service=world.compute)
  history(down, [(d3, "ok"), (d3 + DAY, "alert"), (d3 + DAY + 12 * HOUR, "ok")])
  up = make.monitor(name="Search", scope=world.paris, service=world.compute)
  history(up, [(d3, "ok")])
  quiet = make.monitor(name="Silent", scope=world.lyon, service=world.network)
  for monitor in (down, up):
    recompute(dbsession, monitor.id, today - 5 * DAY)
  return down, up, quiet


def test_objects_carry_their_uptime(webapp, outage, world):
  down, up, quiet = outage
  body = webapp.get(f"/api/monitor/{down.id}").json
  uptime = body["availability"]["uptime"]
  assert set(uptime) == {"24h", "7d", "30d", "90d"}
  assert uptime["24h"] == 100.0
  # 12 h down out of 3 days and the part of today already measured.
  assert 83.33 <= uptime["7d"] < 87.5 and uptime["7d"] == uptime["90d"]
  assert body["links"]["availability"] == f"{API}/monitor/{down.id}/availability"
  assert webapp.get(f"/api/monitor/{quiet.id}").json["availability"] == {
    "uptime": {"24h": None, "7d": None, "30d": None, "90d": None}
  }
  listed = {item["id"]: item for item in webapp.get("/api/monitor").json["items"]}
  assert listed[down.id]["availability"] == body["availability"]
  assert listed[up.id]["availability"]["uptime"]["90d"] == 100.0

  # A scope and a service add up their monitors' time.
  scope = webapp.get(f"/api/scope/{world.paris.id}").json["availability"]["uptime"]
  assert down_uptime_between(scope["90d"], uptime["90d"])
  service = webapp.get(f"/api/service/{world.compute.id}").json["availability"]["uptime"]
  assert service == scope
  assert webapp.get(f"/api/scope/{world.lyon.id}").json["availability"]["uptime"]["90d"] is None
  assert webapp.get("/api/scope").json["items"][0]["links"]["availability"].endswith("/availability")


def down_uptime_between(group: float, worst: float) -> bool:
  """A group of a monitor down some time and one always up lies between the two."""
  return worst < group < 100


def test_the_days_endpoints(webapp, outage, today, world):
  down, _, quiet = outage
  body = webapp.get(f"/api/monitor/{down.id}/availability").json
  days = body["days"]
  assert len(days) == 90 and days[-1]["date"] == today.isoformat()
  assert days[0]["date"] == (today - 89 * DAY).isoformat()
  by_date = {day["date"]: day for day in days}
  bad = by_date[(today - 2 * DAY).isoformat()]
  assert bad == {
    "date": (today - 2 * DAY).isoformat(),
    "status": "alert",
    "uptime": 50.0,
    "seconds": {"ok": 43_200, "warning": 0, "alert": 43_200, "maintenance": 0},
  }
  assert by_date[(today - 4 * DAY).isoformat()] == {
    "date": (today - 4 * DAY).isoformat(),
    "status": "none",
    "uptime": None,
    "seconds": {"ok": 0, "warning": 0, "alert": 0, "maintenance": 0},
  }
  assert body["uptime"] == webapp.get(f"/api/monitor/{down.id}").json["availability"]["uptime"]
  scope_days = webapp.get(f"/api/scope/{world.paris.id}/availability").json["days"]
  scope_bad = {day["date"]: day for day in scope_days}[(today - 2 * DAY).isoformat()]
  assert scope_bad["status"] == "alert" and scope_bad["uptime"] == 75.0  # two monitors, one half down
  assert scope_bad["seconds"]["ok"] == 86_400 + 43_200
  service_days = webapp.get(f"/api/service/{world.compute.id}/availability").json["days"]
  assert service_days == scope_days
  empty = webapp.get(f"/api/monitor/{quiet.id}/availability").json
  assert {day["status"] for day in empty["days"]} == {"none"}
  assert webapp.get("/api/monitor/999999/availability", status=404).json["message"]
  assert webapp.get("/api/scope/abc/availability", status=404).json["message"]  # as for /api/scope/abc


def test_the_document_describes_availability(webapp):
  document = webapp.get("/api/openapi.json").json
  schemas = document["components"]["schemas"]
  for name in ("Monitor", "Scope", "Service"):
    assert "availability" in schemas[name]["required"]
    assert schemas[name]["properties"]["availability"] == {"$ref": "#/components/schemas/Availability"}
    assert "availability" in schemas[name]["properties"]["links"]["properties"]
  for axis in ("monitor", "scope", "service"):
    assert "get" in document["paths"][f"/api/{axis}/{{id}}/availability"]


def test_statuspage_components_are_unchanged(webapp, outage, build_app, pytestconfig):
  with_availability = webapp.get("/api/v2/components.json").json["components"]
  without = build_app(plugins=pytestconfig.getini("prodmanager_plugins"))
  assert with_availability
  assert without.get("/api/v2/components.json").json["components"] == with_availability
