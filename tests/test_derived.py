"""Derived data kept under the versions of the tables it reads (prodmanager.derived).

The applications here have their cache on (a database file and instance folder of their own, as in
tests/test_cache.py): only an anonymous render through the cache reads the tables' versions, and
only then is anything kept.
"""

import datetime as dt
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from prodmanager import derived as derived_module
from prodmanager.cache import EXPIRES_KEY, changes_at
from prodmanager.commands import CommandContext
from prodmanager.derived import (
  ANY_TABLE,
  SNAPSHOT_KEY,
  FileTableVersions,
  MemoryTableVersions,
  RedisTableVersions,
  derived,
  kept,
)
from prodmanager.state import app_state
from prodmanager.testing import (
  REDIS_TEST_URI,
  TEST_SECRET,
  _redis_unavailable,
  make_client,
  missing_service,
)

pytestmark = pytest.mark.one_backend


def monitored_pair(app) -> tuple[int, int, int]:
  """A scope, a service and one green monitor on them, committed (ids)."""
  from prodmanager_monitor.models import Monitor, MonitorStatus
  from prodmanager_scope.models import Scope
  from prodmanager_service.models import Service

  with CommandContext(app.registry).session() as session:
    scope, service = Scope(name="Paris", description=""), Service(name="Compute", description="")
    session.add_all([scope, service])
    session.flush()
    monitor = Monitor(name="Ping", scope_id=scope.id, service_id=service.id, status=MonitorStatus.OK)
    session.add(monitor)
    session.flush()
    return scope.id, service.id, monitor.id


def component_status(app, scope_id: int, service_id: int) -> str:
  summary = make_client(app).get("/api/v2/summary.json").json
  (component,) = [item for item in summary["components"] if item["name"] == "Compute"]
  return component["status"]


def test_a_write_reads_again_what_depends_on_its_tables_only(cached_app):
  from prodmanager_monitor.models import Monitor
  from prodmanager_service.models import Service

  scope_id, service_id, monitor_id = monitored_pair(cached_app)
  assert component_status(cached_app, scope_id, service_id) == "operational"
  with app_state(cached_app.registry).db_engine.begin() as connection:
    # Behind the application's back: no commit of its sessions says the monitors changed.
    connection.execute(text("UPDATE monitor SET status = 'alert' WHERE id = :id"), {"id": monitor_id})
  with CommandContext(cached_app.registry).session() as session:
    session.add(Service(name="Storage", description=""))
  # The summary is rendered again (a service was written), the monitors' levels are not read again.
  summary = make_client(cached_app).get("/api/v2/summary.json").json
  assert "Storage" not in [item["name"] for item in summary["components"]]  # no monitor: not listed
  assert component_status(cached_app, scope_id, service_id) == "operational"
  # A commit that writes the monitor table: its levels are read again at once.
  with CommandContext(cached_app.registry).session() as session:
    session.get(Monitor, monitor_id).description = "checked"
  assert component_status(cached_app, scope_id, service_id) == "major_outage"


def test_a_status_change_is_seen_at_once_on_every_page(cached_app):
  from prodmanager_monitor.models import Monitor, MonitorStatus

  scope_id, service_id, monitor_id = monitored_pair(cached_app)
  anonymous = make_client(cached_app)
  for path in ("/", f"/scope/{scope_id}", "/api/v2/summary.json", "/badge.svg"):
    anonymous.get(path)
  assert component_status(cached_app, scope_id, service_id) == "operational"
  with CommandContext(cached_app.registry).session() as session:
    session.get(Monitor, monitor_id).status = MonitorStatus.ALERT
  assert component_status(cached_app, scope_id, service_id) == "major_outage"
  assert "alert" in anonymous.get(f"/scope/{scope_id}").text
  assert kept(cached_app.registry).hits > 0  # the renders above did reuse what had not changed


def fake_request(app, versions):
  return SimpleNamespace(environ={SNAPSHOT_KEY: versions.snapshot()}, registry=app.registry)


def test_a_value_is_kept_until_one_of_its_tables_or_an_unknown_write_replaces_it(cached_app):
  cache = app_state(cached_app.registry).cache
  computed = []

  def compute():
    computed.append(1)
    return len(computed)

  def read():
    return derived(fake_request(cached_app, cache.tables), "test", ("monitor", "scope"), compute, 7)

  assert read() == read() == 1
  cache.bump(tables={"incident"})
  assert read() == 1
  cache.bump(tables={"scope"})
  assert read() == 2
  cache.bump()  # not known what was written: every table's
  assert read() == 3
  # Other arguments are another value; without the versions (no cached render) nothing is kept.
  assert derived(fake_request(cached_app, cache.tables), "test", ("monitor",), compute, 8) == 4
  plain = SimpleNamespace(environ={}, registry=cached_app.registry)
  assert derived(plain, "test", ("monitor", "scope"), compute, 7) == 5
  assert read() == 3


def test_a_value_that_time_changes_expires_then_and_makes_the_answer_expire(cached_app, monkeypatch):
  cache = app_state(cached_app.registry).cache
  now = time.time()
  moment = dt.datetime.fromtimestamp(now + 30, tz=dt.UTC)
  computed = []

  def compute_with(request):
    def compute():
      computed.append(1)
      changes_at(moment, request)
      return len(computed)

    return compute

  first = fake_request(cached_app, cache.tables)
  first.environ[EXPIRES_KEY] = now + 100  # the answer's own moment, earlier content declared it
  assert derived(first, "timed", ("maintenance",), compute_with(first)) == 1
  assert first.environ[EXPIRES_KEY] == pytest.approx(now + 30)
  second = fake_request(cached_app, cache.tables)
  assert derived(second, "timed", ("maintenance",), compute_with(second)) == 1
  assert second.environ[EXPIRES_KEY] == pytest.approx(now + 30)  # the kept value's moment
  monkeypatch.setattr(derived_module.time, "time", lambda: now + 31)
  third = fake_request(cached_app, cache.tables)
  assert derived(third, "timed", ("maintenance",), compute_with(third)) == 2


def test_a_rolled_back_write_replaces_no_version(cached_app):
  from prodmanager_scope.models import Scope

  cache = app_state(cached_app.registry).cache
  before = cache.tables.snapshot()
  session = app_state(cached_app.registry).db_session_factory()
  session.add(Scope(name="Never", description=""))
  session.flush()
  session.rollback()
  with session.begin():
    session.add(Scope(name="Kept", description=""))
  session.close()
  after = cache.tables.snapshot()
  assert after("scope") != before("scope")
  assert after("monitor") == before("monitor") and after(ANY_TABLE) == before(ANY_TABLE)


def test_the_file_versions_are_shared_by_the_processes_of_the_host(tmp_path):
  one, other = FileTableVersions(tmp_path / "tables"), FileTableVersions(tmp_path / "tables")
  taken = one.snapshot()
  other.bump(["incident"])
  now = one.snapshot()
  assert now("incident") != taken("incident")
  assert now("monitor") == taken("monitor")
  # A snapshot is what was read when it was taken: a later bump does not change it.
  kept_value = taken("monitor")
  other.bump(["monitor"])
  assert taken("monitor") == kept_value != one.snapshot()("monitor")


def test_versions_without_a_writable_folder_stay_in_the_process(tmp_path):
  (tmp_path / "file").write_text("")
  versions = FileTableVersions(tmp_path / "file" / "tables")
  taken = versions.snapshot()
  versions.bump(["incident"])
  assert versions.snapshot()("incident") != taken("incident")
  assert isinstance(versions.fallback, MemoryTableVersions)


def test_the_redis_versions_are_shared_by_every_replica():
  reason = _redis_unavailable()
  if reason:
    missing_service(reason)
  import redis

  client = redis.Redis.from_url(REDIS_TEST_URI)
  key = f"pm:test:table-versions:{time.time_ns()}"
  try:
    one = RedisTableVersions(client, key, (redis.RedisError, OSError))
    other = RedisTableVersions(client, key, (redis.RedisError, OSError))
    taken = one.snapshot()
    other.bump(["incident"])
    assert one.snapshot()("incident") != taken("incident")
    assert one.snapshot()("monitor") == taken("monitor")
  finally:
    client.delete(key)
  # Redis unreachable: no snapshot, so nothing is kept (the computation runs).
  down = RedisTableVersions(
    redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), key, (redis.RedisError, OSError)
  )
  assert down.snapshot() is None
  down.bump(["incident"])  # logged, not raised: the write is committed


def api_headers(app) -> dict:
  token = make_client(app).post(
    "/api/token/create",
    {
      "secret": TEST_SECRET,
      "name": "derivedt",
      "description": "derived data test",
      "permissions": ["scope_api", "service_api", "incident_api", "maintenance_api"],
    },
  )
  return {"Authorization": f"Bearer {token.json}"}


def planned_maintenance(app, start: dt.datetime) -> tuple:
  """A scope, a service and a two-hour maintenance on them from ``start``, through the API:
  (a client, its headers, the pair's ids, the maintenance's id)."""
  headers = api_headers(app)
  writer = make_client(app)
  scope = writer.post_json("/api/scope", {"name": "Paris", "description": ""}, headers=headers).json["id"]
  service = writer.post_json("/api/service", {"name": "Compute", "description": ""}, headers=headers)
  pair = {"scope": scope, "service": service.json["id"]}
  maintenance = writer.post_json(
    "/api/maintenance",
    {
      "name": "Disk swap",
      "description": "planned",
      "service_status": "degraded",
      "scheduled_start_date": start.strftime("%Y-%m-%dT%H:%M"),
      "scheduled_end_date": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
      **pair,
    },
    headers=headers,
    status=201,
  ).json["id"]
  return writer, headers, pair, maintenance


def rename_maintenance_behind_the_cache(app, maintenance: int) -> None:
  with app_state(app.registry).db_engine.begin() as connection:
    connection.execute(
      text("UPDATE maintenance SET name = 'Renamed behind' WHERE id = :id"), {"id": maintenance}
    )


def test_the_feeds_keep_each_source_until_its_tables_are_written(cached_app):
  writer, headers, pair, maintenance = planned_maintenance(
    cached_app, dt.datetime(2030, 1, 1, 10, tzinfo=dt.UTC)
  )
  anonymous = make_client(cached_app)
  assert "Disk swap" in anonymous.get("/history.atom").text
  rename_maintenance_behind_the_cache(cached_app, maintenance)
  writer.post_json(
    "/api/incident", {"name": "Database down", "severity": "high", "description": "", **pair}, headers=headers
  )
  feed = anonymous.get("/history.atom").text
  # The incident is in the feed at once; the maintenances' entries were kept (their tables unwritten).
  assert "Database down" in feed and "Disk swap" in feed and "Renamed behind" not in feed
  writer.patch_json(f"/api/maintenance/{maintenance}", {"description": "planned, confirmed"}, headers=headers)
  assert "Renamed behind" in anonymous.get("/history.atom").text


def test_a_panel_is_kept_until_its_tables_are_written(cached_app):
  soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
  writer, headers, pair, maintenance = planned_maintenance(cached_app, soon)
  anonymous = make_client(cached_app)
  assert "Disk swap" in anonymous.get("/").text
  rename_maintenance_behind_the_cache(cached_app, maintenance)
  writer.post_json(
    "/api/incident", {"name": "Database down", "severity": "high", "description": "", **pair}, headers=headers
  )
  page = anonymous.get("/").text
  # The dashboard is rendered again (the incident is on it), the maintenances' panel was kept.
  assert "Database down" in page and "Disk swap" in page and "Renamed behind" not in page
  # A scope's page renders its panel for the first time: it reads the maintenances now.
  assert "Renamed behind" in anonymous.get(f"/scope/{pair['scope']}").text
  # Kept no longer than the cache's maximum age (the moment it becomes overdue is further away).
  max_age = app_state(cached_app.registry).cache.max_age
  expiries = [
    min(entry[1], entry[2])
    for key, entry in kept(cached_app.registry).entries.items()
    if key[0].startswith("panel:")
  ]
  assert expiries and all(moment <= time.time() + max_age for moment in expiries)
  # A write of the maintenances: every page reads them again.
  writer.patch_json(f"/api/maintenance/{maintenance}", {"description": "confirmed"}, headers=headers)
  assert "Renamed behind" in anonymous.get("/").text


def components_section(page: str) -> str:
  start = page.index('class="panel panel-components"')
  return page[start : page.index("</section>", start)]


def test_the_components_are_kept_while_the_levels_of_the_pairs_are_the_same(cached_app, monkeypatch):
  from prodmanager_monitor import components

  builds = []
  build = components.render_components
  monkeypatch.setattr(components, "render_components", lambda *args: builds.append(1) or build(*args))
  scope_id, service_id, _monitor = monitored_pair(cached_app)
  writer, headers, anonymous = make_client(cached_app), api_headers(cached_app), make_client(cached_app)
  pair = {"scope": scope_id, "service": service_id}

  def incident(name: str, severity: str) -> None:
    body = {"name": name, "severity": severity, "description": "", **pair}
    writer.post_json("/api/incident", body, headers=headers, status=201)

  assert "ok" in components_section(anonymous.get("/").text) and len(builds) == 1
  incident("Slow answers", "low")
  assert "warning" in components_section(anonymous.get("/").text)  # new levels: built again
  assert len(builds) == 2
  incident("Slower answers", "low")  # the pair's levels stay the same
  page = anonymous.get("/").text
  assert "Slower answers" in page and "warning" in components_section(page) and len(builds) == 2
  incident("Database down", "critical")  # an alert: the levels changed
  assert "alert" in components_section(anonymous.get("/").text) and len(builds) == 3
  with app_state(cached_app.registry).db_engine.begin() as connection:
    connection.execute(text("UPDATE service SET name = 'Renamed behind' WHERE id = :id"), {"id": service_id})
  writer.patch_json(f"/api/service/{service_id}", {"description": "compute"}, headers=headers)
  assert "Renamed behind" in components_section(anonymous.get("/").text) and len(builds) == 4


def test_an_aggregate_is_kept_until_its_tables_are_written(cached_app):
  scope_id, service_id, _monitor = monitored_pair(cached_app)
  writer, headers, anonymous = make_client(cached_app), api_headers(cached_app), make_client(cached_app)
  pair = {"scope": scope_id, "service": service_id}
  body = {"name": "Database down", "severity": "high", "description": "", **pair}
  writer.post_json("/api/incident", body, headers=headers, status=201)
  assert anonymous.get(f"/api/scope/{scope_id}").json["incidents_count"] == 1
  with app_state(cached_app.registry).db_engine.begin() as connection:
    connection.execute(text("DELETE FROM incident_event"))
    connection.execute(text("DELETE FROM incident"))
  # Another table written: the scope is rendered again, its count of incidents was kept.
  writer.post_json("/api/scope", {"name": "Lyon", "description": ""}, headers=headers, status=201)
  assert anonymous.get(f"/api/scope/{scope_id}").json["incidents_count"] == 1
  writer.post_json("/api/incident", body, headers=headers, status=201)
  assert anonymous.get(f"/api/scope/{scope_id}").json["incidents_count"] == 1  # read again: 0 + 1
  assert f"/scope/{scope_id}" in anonymous.get(f"/scope/{scope_id}").text


def test_the_incident_panels_are_kept_across_a_monitor_change(cached_app):
  from prodmanager_monitor.models import Monitor, MonitorStatus

  scope_id, service_id, monitor_id = monitored_pair(cached_app)
  writer, headers, anonymous = make_client(cached_app), api_headers(cached_app), make_client(cached_app)
  body = {
    "name": "Database down",
    "severity": "high",
    "description": "",
    "scope": scope_id,
    "service": service_id,
  }
  incident = writer.post_json("/api/incident", body, headers=headers, status=201).json["id"]
  assert "Database down" in anonymous.get("/").text
  with app_state(cached_app.registry).db_engine.begin() as connection:
    connection.execute(text("UPDATE incident SET name = 'Renamed behind' WHERE id = :id"), {"id": incident})
  with CommandContext(cached_app.registry).session() as session:
    session.get(Monitor, monitor_id).status = MonitorStatus.ALERT
  page = anonymous.get("/").text
  # The dashboard is rendered again (the monitor is in alert), the incidents' panel was kept.
  assert "alert" in components_section(page) and "Database down" in page and "Renamed behind" not in page
  writer.patch_json(f"/api/incident/{incident}", {"description": "being fixed"}, headers=headers)
  assert "Renamed behind" in anonymous.get("/").text


def test_the_pairs_levels_are_merged_again_only_when_a_contributor_answers_anew(cached_app):
  from prodmanager.status import levels_key, pair_levels
  from prodmanager_monitor.models import Monitor, MonitorStatus

  scope_id, service_id, monitor_id = monitored_pair(cached_app)
  cache = app_state(cached_app.registry).cache

  def levels(snapshot=True, **restriction):
    with CommandContext(cached_app.registry).session() as session:
      environ = {SNAPSHOT_KEY: cache.tables.snapshot()} if snapshot else {}
      request = SimpleNamespace(environ=environ, registry=cached_app.registry, dbsession=session)
      return pair_levels(request, **restriction)

  first, again = levels(), levels()
  assert again is first and levels_key(again) is levels_key(first)  # kept answers: merged once
  assert {level.level for level in first[(scope_id, service_id)]} == {"ok"}
  restricted = levels(scopes={scope_id})
  assert restricted is not first and set(restricted) == {(scope_id, service_id)}
  with CommandContext(cached_app.registry).session() as session:
    session.get(Monitor, monitor_id).status = MonitorStatus.ALERT
  after = levels()
  assert after is not first and {level.level for level in after[(scope_id, service_id)]} == {"alert"}
  assert levels_key(after) != levels_key(first)
  # Without the versions (no cached render) the contributors answer anew; the same levels are the
  # answer before (prodmanager.status.kept_pairs), and the merge of it is not made again.
  unkept = levels(snapshot=False)
  assert levels(snapshot=False) is unkept and unkept == after
