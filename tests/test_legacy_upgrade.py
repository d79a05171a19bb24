"""A ProdManager 0.22 database upgraded in place (issue 13, "Their data"): recognised by
``migrate``, converted field by field, a backup copy first on SQLite, all or nothing on both
backends, our alembic chain going on from there. The import is in test_legacy_import.py.
"""

import datetime as dt
import json
import sqlite3
import threading
import time
import urllib.request
import zoneinfo

import legacy022
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from test_plugin_loading import write_distribution

from prodmanager.db import get_engine
from prodmanager.legacy.models import AppConfig, LegacyImport, LegacySubscriber
from prodmanager.legacy.upgrade import IncompleteUpgrade, LegacyDatabase, upgrade_in_place
from prodmanager.migrate import MIGRATION_LOCK_KEY, core_migrations, current, upgrade
from prodmanager.testing import (
  TEST_SECRET,
  _backends,
  _postgres_database,
  _postgres_unavailable,
  make_app,
  make_client,
  missing_service,
  running_server,
)
from prodmanager_announcement.models import Announcement
from prodmanager_incident.models import Incident, IncidentEvent
from prodmanager_maintenance.models import Maintenance, MaintenanceEvent
from prodmanager_monitor.models import Monitor, MonitorStatusChange
from prodmanager_notification.models import Delivery, Subscriber
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

UTC = dt.UTC


@pytest.fixture(params=_backends())
def empty_uri(request, tmp_path):
  """An empty database of each backend, for a 0.22 schema."""
  if request.param == "postgresql":
    reason = _postgres_unavailable()
    if reason:
      missing_service(reason)
    with _postgres_database("legacy") as uri:
      yield uri
  else:
    yield f"sqlite:///{tmp_path / 'instance' / 'ProManager.sqlite'}"


@pytest.fixture
def legacy_uri(empty_uri, tmp_path):
  if empty_uri.startswith("sqlite"):
    (tmp_path / "instance").mkdir(exist_ok=True)
  legacy022.build(empty_uri)
  return empty_uri


def utc(value: dt.datetime | None, zone: str = "UTC") -> dt.datetime | None:
  """What a naive 0.22 time of a server in ``zone`` is in UTC."""
  if value is None:
    return None
  return value.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)


def value(name: str | None) -> str | None:
  """Our value of a 0.22 enum member name."""
  return None if name is None else name.lower().replace("_", "-")


def query(uri: str, statement):
  engine = get_engine(uri)
  try:
    with Session(engine) as session:
      return session.scalars(statement).all()
  finally:
    engine.dispose()


def legacy_state(uri: str) -> dict:
  """Everything of a 0.22 database: its revision, its tables' rows, its enum types."""
  engine = get_engine(uri)
  try:
    with engine.connect() as connection:
      state = {
        "revision": connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
      }
      for kind in legacy022.ORDER:
        state[kind] = [tuple(row) for row in connection.execute(text(f"SELECT * FROM {kind} ORDER BY id"))]
      if connection.dialect.name == "postgresql":
        state["types"] = sorted(
          connection.execute(
            text("SELECT typname FROM pg_type WHERE typname = ANY(:names)"), {"names": list(legacy022.ENUMS)}
          ).scalars()
        )
      return state
  finally:
    engine.dispose()


# -- what every converted row must be ----------------------------------------------------------

EVENT_CONTENTS = {
  ("incident", 1): {
    "creation_date": [None, "2022-06-17T19:55"],
    "description": [None, "Backups *time out*"],
    "external_reference": [None, "INC000123"],
    "name": [None, "Timeouts on VM backups"],
    "scope": [None, 1],
    "service": [None, 1],
    "severity": [None, "critical"],
    "start_impact_date": [None, "2022-06-17T17:00"],
    "status": [None, "active"],
  },
  ("incident", 2): {"investigation_date": [None, "2022-06-17T17:30"], "status": ["active", "investigating"]},
  ("incident", 5): {
    "external_link": [None, "https://tickets.example/INC000123"],
    "scope": [2, 1],
    "stable_date": [None, "2022-06-17T19:00"],
    "status": ["investigating", "stable"],
  },
  ("incident", 6): {"description": ["x", None], "severity": ["low", "high"]},
  ("maintenance", 1): {
    "service_status": ["down", "up"],
    "start_date": [None, "2022-06-20T03:02"],
    "status": ["scheduled", "in-progress"],
  },
  ("maintenance", 3): {
    "creation_date": [None, "2022-06-17T20:17"],
    "name": [None, "Deploy the region"],
    "scheduled_end_date": [None, "2022-06-01T10:00"],
    "scheduled_start_date": [None, "2022-06-01T08:00"],
    "scope": [None, 2],
    "service": [None, 3],
    "service_status": [None, "down"],
    "status": [None, "scheduled"],
  },
}


def shifted(diff: dict, zone: str) -> dict:
  """EVENT_CONTENTS (written for a server in UTC) for a server in ``zone``."""

  def shift(key, item):
    if not (key.endswith("_date") and isinstance(item, str)):
      return item
    return utc(dt.datetime.strptime(item, "%Y-%m-%dT%H:%M"), zone).strftime("%Y-%m-%dT%H:%M")

  return {key: [shift(key, old), shift(key, new)] for key, (old, new) in diff.items()}


def check_rows(uri: str, ids: dict | None = None, zone: str = "UTC", merged=()) -> None:
  """Every field of every 0.22 row of legacy022.ROWS is in the database ``uri``; ``ids`` maps
  ``(kind, 0.22 id)`` to the id here (the same id when None); ``merged`` rows (kind, 0.22 id) were
  merged with one of the same name, which keeps its description."""

  def new(kind, old):
    return old if ids is None else ids[(kind, old)]

  rows = legacy022.ROWS
  groups = {"scope": Scope, "service": Service}
  for kind, model in groups.items():
    found = {row.id: row for row in query(uri, select(model))}
    for old in rows[kind]:
      row = found[new(kind, old["id"])]
      assert row.name == old["name"]
      if (kind, old["id"]) not in merged:
        assert row.description == (old["description"] or "")

  found = {row.id: row for row in query(uri, select(Monitor))}
  history = query(uri, select(MonitorStatusChange))
  for old in rows["monitor"]:
    row = found[new("monitor", old["id"])]
    assert (
      row.name,
      row.description,
      row.status.value,
      row.integration,
      row.external_reference,
      row.external_link,
      row.scope_id,
      row.service_id,
    ) == (
      old["name"],
      old["description"] or "",
      value(old["status"]),
      old["integration"],
      old["external_reference"],
      old["external_link"],
      new("scope", old["scope_id"]),
      new("service", old["service_id"]),
    )
    changes = [change for change in history if change.monitor_id == row.id]
    assert [(change.old_status, change.new_status.value) for change in changes] == [
      (None, value(old["status"]))
    ]

  found = {row.id: row for row in query(uri, select(Incident))}
  for old in rows["incident"]:
    row = found[new("incident", old["id"])]
    assert (
      row.name,
      row.description,
      row.external_reference,
      row.external_link,
      row.status.value,
      row.severity.value,
      row.scope_id,
      row.service_id,
      row.creation_date,
      row.start_impact_date,
      row.investigation_date,
      row.stable_date,
      row.resolve_date,
    ) == (
      old["name"],
      old["description"] or "",
      old["external_reference"],
      old["external_link"],
      value(old["status"]),
      value(old["severity"]),
      new("scope", old["scope_id"]),
      new("service", old["service_id"]),
      utc(old["creation_date"], zone),
      utc(old["start_impact_date"] or old["creation_date"], zone),
      utc(old["investigation_date"], zone),
      utc(old["stable_date"], zone),
      utc(old["resolve_date"], zone),
    )

  found = {row.id: row for row in query(uri, select(Maintenance))}
  for old in rows["maintenance"]:
    row = found[new("maintenance", old["id"])]
    assert (
      row.name,
      row.description,
      row.external_reference,
      row.external_link,
      row.status.value,
      row.service_status.value,
      row.scope_id,
      row.service_id,
      row.creation_date,
      row.scheduled_start_date,
      row.scheduled_end_date,
      row.start_date,
      row.end_date,
    ) == (
      old["name"],
      old["description"] or "",
      old["external_reference"],
      old["external_link"],
      value(old["status"]),
      value(old["service_status"]),
      new("scope", old["scope_id"]),
      new("service", old["service_id"]),
      utc(old["creation_date"], zone),
      utc(old["scheduled_start_date"], zone),
      utc(old["scheduled_end_date"], zone),
      utc(old["start_date"], zone),
      utc(old["end_date"], zone),
    )

  for parent, model in (("incident", IncidentEvent), ("maintenance", MaintenanceEvent)):
    found = {row.id: row for row in query(uri, select(model))}
    for old in rows[f"{parent}_event"]:
      row = found[new(f"{parent}_event", old["id"])]
      expected = EVENT_CONTENTS.get((parent, old["id"]))
      if old["type"] == "COMMENT" or expected is None:
        content = old["content"]  # comments, and a content that is not 0.22's JSON, as written
      else:
        expected = shifted(expected, zone)
        content = json.dumps(expected, sort_keys=True, ensure_ascii=False)
      status = (expected or {}).get("status") or [None, None]
      assert (
        row.parent_id,
        row.creation_date,
        row.type.value,
        row.content,
        row.internal,
        row.author,
        row.old_status,
        row.new_status,
      ) == (
        new(parent, old[f"{parent}_id"]),
        utc(old["creation_date"], zone),
        value(old["type"]),
        content,
        old["internal"],
        None,
        status[0],
        status[1],
      )

  found = {row.id: row for row in query(uri, select(Announcement))}
  for old in rows["announcement"]:
    row = found[new("announcement", old["id"])]
    assert (
      row.name,
      row.description,
      row.level.value,
      row.scope_id,
      row.service_id,
      row.creation_date,
      row.start_date,
      row.end_date,
    ) == (
      old["name"],
      old["description"],
      value(old["level"]),
      new("scope", old["scope_id"]),
      new("service", old["service_id"]),
      utc(old["creation_date"], zone),
      utc(old["start_date"], zone),
      utc(old["end_date"], zone),
    )

  # Confirmed (subscribing to 0.22 was the confirmation), of every notification, and sent nothing.
  found = {row.id: row for row in query(uri, select(Subscriber))}
  for old in rows["subscriber"]:
    row = found[new("subscriber", old["id"])]
    assert (row.channel.value, row.email, row.all_events, row.kinds, row.scope_ids, row.service_ids) == (
      "email",
      old["email"],
      True,
      "",
      set(),
      set(),
    )
    assert row.confirmed_at is not None and len(row.token) >= 32
  assert query(uri, select(Delivery)) == []
  assert query(uri, select(LegacySubscriber)) == []  # the holding table is for when the plugin is missing


def test_migrate_recognises_a_022_database_and_says_what_to_run(legacy_uri):
  before = legacy_state(legacy_uri)
  with pytest.raises(LegacyDatabase) as info:
    upgrade(legacy_uri)
  message = str(info.value)
  assert "this is a ProdManager 0.22 database (alembic revision f137dd84b5a0 (0.21.0))" in message
  assert "`prodmanager migrate --upgrade-0.22`" in message
  assert "prodmanager import --from URL" in message
  assert "Can't locate revision" not in message
  assert legacy_state(legacy_uri) == before


def test_an_older_0x_database_is_sent_to_022_first(empty_uri, tmp_path):
  if empty_uri.startswith("sqlite"):
    (tmp_path / "instance").mkdir(exist_ok=True)
  legacy022.build(empty_uri, rows={}, revision="5c0b69e6ce7e")
  with pytest.raises(LegacyDatabase, match=r"revision 5c0b69e6ce7e \(0.19.0\), older than 0.22's"):
    upgrade(empty_uri)
  with pytest.raises(LegacyDatabase, match="upgrade it with ProdManager 0.22 first"):
    upgrade_in_place(empty_uri)


def test_upgrade_in_place_converts_every_field_of_every_row(legacy_uri):
  report = upgrade_in_place(legacy_uri)
  check_rows(legacy_uri)
  # 0.22's instance record kept, and every row recorded as brought over with its id.
  assert [(row.id, row.uuid) for row in query(legacy_uri, select(AppConfig))] == [(1, legacy022.UUID)]
  mapping = query(legacy_uri, select(LegacyImport))
  assert {(row.kind, row.old_id) for row in mapping if row.old_id == row.new_id} == {
    (kind, row["id"]) for kind, rows in legacy022.ROWS.items() for row in rows
  }
  assert {row.source for row in mapping} == {f"0.22:{legacy022.UUID}"}
  assert report.skipped == []
  assert report.counts["incident_event"]["imported"] == len(legacy022.ROWS["incident_event"])
  assert ("incident", 2, "no start of impact in 0.22: its creation date is used") in report.notes
  assert ("incident_event", 7, "update event content is not 0.22's JSON: kept as written") in report.notes
  # Our chain goes on from there: the database is at our heads, migrating again changes nothing.
  heads = current(legacy_uri)
  # The core's head as its migrations folder has it (plugins' heads follow the core's).
  assert ScriptDirectory(str(core_migrations())).get_current_head() in heads
  assert "f137dd84b5a0" not in heads
  upgrade(legacy_uri)
  assert current(legacy_uri) == heads


def test_the_upgraded_database_serves_022s_data(legacy_uri, tmp_path):
  upgrade_in_place(legacy_uri)
  app = make_app(
    settings={
      "prodmanager.database_uri": legacy_uri,
      "prodmanager.secret_key": TEST_SECRET,
      "prodmanager.instance_path": str(tmp_path / "app"),
    }
  )
  client = make_client(app)
  maintenance = client.get("/api/maintenance/1").json
  assert (maintenance["status"], maintenance["service_status"], maintenance["start_date"]) == (
    "in-progress",
    "up",
    "2022-06-20T03:02",
  )
  incident = client.get("/api/incident/1").json
  assert (incident["status"], incident["severity"]) == ("stable", "critical")
  # Anonymous readers see the public comments only, as for every incident of ours.
  assert [event["content"] for event in incident["events"]] == ["A fix **mitigates** the timeouts"]
  assert "Timeouts on VM backups" in client.get("/incident/1").text
  # An operator sees the whole timelines, 0.22's creations and updates told as ours.
  page = client.get("/login")
  form = page.forms["login-form"] if "login-form" in page.forms else page.form
  form["secret"] = TEST_SECRET
  form.submit(status=303)
  for path in ("/incident/1", "/incident/2", "/maintenance/1", "/maintenance/2"):
    client.get(path, status=200)
  events = client.get("/api/incident/1").json["events"]
  assert len(events) == 5
  assert {event["type"] for event in events} == {"create", "update", "comment"}
  # New rows follow 0.22's ids (PostgreSQL's sequences were moved past them).
  engine = get_engine(legacy_uri)
  try:
    with engine.begin() as connection:
      ident = connection.execute(
        text("INSERT INTO scope (name, description) VALUES ('NEWDC01', '') RETURNING id")
      )
      assert ident.scalar_one() == 5
  finally:
    engine.dispose()


def test_sqlite_gets_a_backup_copy_of_the_022_file_first(legacy_uri, tmp_path):
  if not legacy_uri.startswith("sqlite"):
    pytest.skip("the backup copy is SQLite's")
  before = legacy_state(legacy_uri)
  report = upgrade_in_place(legacy_uri)
  backups = sorted((tmp_path / "instance").glob("ProManager.sqlite.0.22-backup-*"))
  assert backups == [report.backup]
  assert legacy_state(f"sqlite:///{report.backup}") == before
  assert f"Backup copy of the 0.22 file: {report.backup}" in str(report)
  # An existing file is never overwritten.
  with pytest.raises(Exception, match="exists already"):
    upgrade_in_place(f"sqlite:///{report.backup}", backup=report.backup)


def test_naive_local_times_are_read_in_the_given_time_zone(legacy_uri):
  upgrade_in_place(legacy_uri, timezone="Europe/Paris")
  check_rows(legacy_uri, zone="Europe/Paris")
  # 17:30 in Paris in June is 15:30 UTC; 01:30 on 2023-03-26, before the change to summer time, 00:30.
  event = query(legacy_uri, select(IncidentEvent).where(IncidentEvent.id == 2))[0]
  assert json.loads(event.content)["investigation_date"] == [None, "2022-06-17T15:30"]
  incident = query(legacy_uri, select(Incident).where(Incident.id == 3))[0]
  assert incident.creation_date == dt.datetime(2023, 3, 26, 0, 30, tzinfo=UTC)


def test_postgresql_native_enum_types_are_dropped(legacy_uri):
  if not legacy_uri.startswith("postgresql"):
    pytest.skip("native enum types are PostgreSQL's")
  assert legacy_state(legacy_uri)["types"] == sorted(legacy022.ENUMS)
  upgrade_in_place(legacy_uri)
  engine = get_engine(legacy_uri)
  try:
    with engine.connect() as connection:
      left = (
        connection.execute(
          text("SELECT typname FROM pg_type WHERE typname = ANY(:names)"), {"names": list(legacy022.ENUMS)}
        )
        .scalars()
        .all()
      )
  finally:
    engine.dispose()
  assert left == []


FAILING = '''\
  """Fails on purpose, after 0.22's tables were dropped and ours created."""

  from alembic import op

  revision = "fa11ed000001"
  down_revision = None
  branch_labels = ("failing",)
  depends_on = ("e1c1de000002",)


  def upgrade():
    {failure}


  def downgrade():
    pass
  '''


@pytest.fixture
def site(tmp_path, monkeypatch):
  import sys

  folder = tmp_path / "site"
  folder.mkdir()
  monkeypatch.syspath_prepend(str(folder))
  yield folder
  for name in [name for name in list(sys.modules) if name.startswith("pmtest_")]:
    del sys.modules[name]


@pytest.mark.parametrize(
  ("failure", "error"),
  [
    ('raise RuntimeError("this migration fails on purpose")', "fails on purpose"),
    # An SQL error aborts the transaction: the error itself is reported, nothing else.
    ('op.execute("INSERT INTO pmtest_no_such_table VALUES (1)")', "pmtest_no_such_table"),
  ],
)
def test_a_failure_in_the_middle_leaves_the_022_database_untouched(legacy_uri, site, failure, error):
  before = legacy_state(legacy_uri)
  write_distribution(
    site,
    "failing",
    'plugin_info = {"id": "failing", "migrations": "pmtest_failing:migrations"}\n\n\ndef includeme(config):\n  pass\n',
    files={"migrations/fa11ed000001_fail.py": FAILING.replace("{failure}", failure)},
  )
  with pytest.raises(Exception, match=error):
    upgrade_in_place(legacy_uri)
  assert legacy_state(legacy_uri) == before
  if legacy_uri.startswith("postgresql"):
    # The migration lock went with the failed upgrade's connection.
    engine = get_engine(legacy_uri)
    try:
      with engine.connect() as connection:
        key = {"key": MIGRATION_LOCK_KEY}
        assert connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar_one() is True
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
    finally:
      engine.dispose()


def test_rows_without_an_equivalent_stop_the_upgrade_before_any_change(legacy_uri):
  if not legacy_uri.startswith("sqlite"):
    pytest.skip("0.22 on PostgreSQL enforced its foreign keys: no orphan there")
  connection = sqlite3.connect(legacy_uri.removeprefix("sqlite:///"))
  with connection:
    connection.execute(
      "INSERT INTO incident_event (id, creation_date, content, incident_id, type, internal) "
      "VALUES (40, '2023-01-01 10:00:00.000000', 'orphan', 99, 'COMMENT', 0)"
    )
    connection.execute("UPDATE scope SET name = ? WHERE id = 4", ("x" * 300,))
  connection.close()
  before = legacy_state(legacy_uri)
  with pytest.raises(IncompleteUpgrade) as info:
    upgrade_in_place(legacy_uri)
  message = str(info.value)
  assert "the 0.22 database was left as it was" in message
  assert (
    "incident_event 40: its incident 99 is not in 0.22's database or could not be brought over" in message
  )
  assert "scope 4: name is 300 characters long, at most 255 here" in message
  assert legacy_state(legacy_uri) == before


@pytest.mark.one_backend
def test_serve_in_standalone_mode_upgrades_a_022_database_by_itself(tmp_path):
  instance = tmp_path / "instance"
  instance.mkdir()
  uri = f"sqlite:///{instance / 'ProManager.sqlite'}"
  legacy022.build(uri)
  # 0.22's volume kept as the instance folder, no PM_DATABASE_URI: its ProManager.sqlite is used.
  env = {
    "PM_INSTANCE_PATH": str(instance),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_STANDALONE": "true",
    "PM_LEGACY_TIMEZONE": "Europe/Paris",
  }
  with running_server(tmp_path, env) as url:
    with urllib.request.urlopen(f"{url}/api/maintenance/1", timeout=10) as response:
      maintenance = json.load(response)
  # 03:02 in Paris in June is 01:02 UTC.
  assert (maintenance["status"], maintenance["start_date"]) == ("in-progress", "2022-06-20T01:02")
  assert len(list(instance.glob("ProManager.sqlite.0.22-backup-*"))) == 1
  log = "".join(path.read_text() for path in tmp_path.glob("server-*.log"))
  assert "Upgrading the ProdManager 0.22 database" in log and "(its dates read in Europe/Paris)" in log


def test_replicas_upgrading_together_upgrade_once(legacy_uri):
  if not legacy_uri.startswith("postgresql"):
    pytest.skip("replicas share a PostgreSQL database; SQLite serializes its writers by itself")
  engine = get_engine(legacy_uri)
  results = []

  def replica():
    try:
      results.append(upgrade_in_place(legacy_uri))
    except Exception as error:  # noqa: BLE001 - reported by the assertion below
      results.append(error)

  try:
    with engine.connect() as holder:
      # Hold the lock until both replicas wait for it: they start together.
      holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
      threads = [threading.Thread(target=replica) for _ in range(2)]
      for thread in threads:
        thread.start()
      waiting = 0
      while waiting < 2:
        waiting = holder.execute(
          text(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
          )
        ).scalar_one()
        holder.rollback()
        time.sleep(0.05)
      holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
      holder.commit()
      for thread in threads:
        thread.join()
  finally:
    engine.dispose()
  assert all(not isinstance(result, Exception) for result in results), results
  assert sorted(result.total("imported") for result in results) == [
    0,
    sum(len(rows) for rows in legacy022.ROWS.values()),
  ]
  check_rows(legacy_uri)
