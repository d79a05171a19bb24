"""``prodmanager import --from URL`` (issue 13, "Their data"): a 0.22 database, only read, imported
into an existing ProdManager database with every field converted as by the in-place upgrade;
idempotent (run twice, imported once) through the ``legacy_import`` map, with a report of what was
imported, merged and skipped, and why.
"""

import sqlite3

import legacy022
import pytest
from sqlalchemy import select, text
from test_legacy_upgrade import check_rows, legacy_state, query

from prodmanager.cli import main
from prodmanager.db import get_engine
from prodmanager.legacy.models import AppConfig, LegacyImport
from prodmanager.legacy.upgrade import import_from, upgrade_in_place
from prodmanager.migrate import upgrade
from prodmanager.settings import ConfigurationError
from prodmanager.testing import _backends, _postgres_database, _postgres_unavailable, missing_service
from prodmanager_incident.models import Incident, IncidentEvent
from prodmanager_notification.models import Subscriber
from prodmanager_scope.models import Scope


def database(kind: str, tmp_path, name: str):
  if kind == "postgresql":
    reason = _postgres_unavailable()
    if reason:
      missing_service(reason)
    return _postgres_database(name)
  from contextlib import nullcontext

  return nullcontext(f"sqlite:///{tmp_path / f'{name}.sqlite'}")


@pytest.fixture(params=_backends())
def source_uri(request, tmp_path):
  """A 0.22 database of each backend."""
  with database(request.param, tmp_path, "source") as uri:
    legacy022.build(uri)
    yield uri


@pytest.fixture(params=_backends())
def target_uri(request, tmp_path):
  """One of our databases, migrated, already holding a scope of the same name as one of 0.22's
  (it is merged) and an incident (0.22's get other ids)."""
  with database(request.param, tmp_path, "target") as uri:
    upgrade(uri)
    engine = get_engine(uri)
    try:
      with engine.begin() as connection:
        connection.execute(
          text("INSERT INTO scope (name, description) VALUES ('PARIS', ''), ('FRDC01', 'ours')")
        )
        connection.execute(text("INSERT INTO service (name, description) VALUES ('Network', '')"))
        connection.execute(
          text(
            "INSERT INTO incident (name, description, severity, status, scope_id, service_id, creation_date, "
            "start_impact_date) VALUES ('Ours', '', 'low', 'active', 1, 1, :now, :now)"
          ),
          {"now": "2024-01-01 00:00:00" if uri.startswith("sqlite") else "2024-01-01T00:00:00+00:00"},
        )
    finally:
      engine.dispose()
    yield uri


def imported_ids(uri: str) -> dict:
  return {(row.kind, row.old_id): row.new_id for row in query(uri, select(LegacyImport))}


def counts(uri: str) -> dict:
  engine = get_engine(uri)
  tables = ("scope", "service", "monitor", "incident", "incident_event", "maintenance", "maintenance_event")
  try:
    with engine.connect() as connection:
      return {
        table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
        for table in (*tables, "announcement", "legacy_subscriber", "monitor_status_change", "app_config")
      }
  finally:
    engine.dispose()


def test_import_converts_every_field_and_maps_the_ids(source_uri, target_uri):
  before = legacy_state(source_uri)
  report = import_from(source_uri, target_uri)
  ids = imported_ids(target_uri)
  check_rows(target_uri, ids, merged={("scope", 1)})
  assert legacy_state(source_uri) == before  # the source is only read
  # New ids where ours were taken; 0.22's FRDC01 is the FRDC01 already here.
  assert ids[("scope", 1)] == 2
  assert [row.description for row in query(target_uri, select(Scope).where(Scope.name == "FRDC01"))] == [
    "ours"
  ]
  assert ids[("incident", 1)] != 1
  assert report.counts["scope"] == {"merged with the existing scope of the same name": 1, "imported": 2}
  assert report.counts["incident"]["imported"] == len(legacy022.ROWS["incident"])
  # A database without an instance record takes 0.22's; the source is named by it.
  assert [row.uuid for row in query(target_uri, select(AppConfig))] == [legacy022.UUID]
  assert report.source == f"0.22:{legacy022.UUID}"


def test_import_twice_imports_once(source_uri, target_uri):
  import_from(source_uri, target_uri)
  after_first = counts(target_uri)
  report = import_from(source_uri, target_uri)
  assert counts(target_uri) == after_first
  assert report.total("imported") == 0
  assert report.counts["incident_event"] == {"already imported": len(legacy022.ROWS["incident_event"])}
  # What 0.22 wrote since the first import comes over on the next one.
  engine = get_engine(source_uri)
  try:
    with engine.begin() as connection:
      connection.execute(
        text(
          "INSERT INTO incident_event (id, creation_date, content, incident_id, type, internal) "
          "VALUES (8, :date, 'Written after the first import', 1, 'COMMENT', :public)"
        ),
        {
          "date": legacy022.stored(legacy022.d("2023-05-01 10:00"), connection.dialect.name),
          "public": legacy022.stored(False, connection.dialect.name),
        },
      )
  finally:
    engine.dispose()
  report = import_from(source_uri, target_uri)
  assert report.counts["incident_event"]["imported"] == 1
  new_id = imported_ids(target_uri)[("incident_event", 8)]
  event = query(target_uri, select(IncidentEvent).where(IncidentEvent.id == new_id))[0]
  assert (event.content, event.parent_id) == (
    "Written after the first import",
    imported_ids(target_uri)[("incident", 1)],
  )


def test_a_database_upgraded_in_place_then_imported_again_imports_nothing(source_uri, target_uri, tmp_path):
  if not source_uri.startswith("sqlite"):
    pytest.skip("the copy of the 0.22 database is SQLite's backup")
  report = upgrade_in_place(source_uri)
  again = import_from(f"sqlite:///{report.backup}", source_uri)
  assert again.total("imported") == 0 and again.skipped == []
  assert again.total("already imported") == sum(len(rows) for rows in legacy022.ROWS.values())


def test_rows_that_cannot_come_over_are_skipped_and_said_why(source_uri, target_uri):
  if not source_uri.startswith("sqlite"):
    pytest.skip("0.22 on PostgreSQL enforced its foreign keys: no orphan there")
  connection = sqlite3.connect(source_uri.removeprefix("sqlite:///"))
  with connection:
    connection.execute(
      "INSERT INTO incident_event (id, creation_date, content, incident_id, type, internal) "
      "VALUES (40, '2023-01-01 10:00:00.000000', 'orphan', 99, 'COMMENT', 0)"
    )
    connection.execute("UPDATE incident SET status = 'COMPLETED' WHERE id = 3")
  connection.close()
  report = import_from(source_uri, target_uri)
  assert ("incident_event", 40, "its incident 99 is not in 0.22's database or could not be brought over") in (
    report.skipped
  )
  assert (
    "incident",
    3,
    "status 'COMPLETED' is not one of 0.22's values (ACTIVE, INVESTIGATING, STABLE, RESOLVED)",
  ) in report.skipped
  text_report = str(report)
  assert "Skipped:\n" in text_report and "  incident 3: status 'COMPLETED'" in text_report
  assert report.counts["incident"] == {"imported": 4, "skipped": 1}
  # Everything else came over; the next run tries the skipped rows again, and only them.
  assert (("incident", 3) in imported_ids(target_uri), ("incident", 1) in imported_ids(target_uri)) == (
    False,
    True,
  )


def test_the_source_must_be_a_022_database(target_uri, tmp_path):
  with pytest.raises(ConfigurationError, match="not a ProdManager 0.22 database: its alembic revisions are"):
    import_from(target_uri, target_uri)
  with pytest.raises(ConfigurationError, match="there is no file"):
    import_from(f"sqlite:///{tmp_path / 'none.sqlite'}", target_uri)


@pytest.mark.one_backend
def test_the_import_command_prints_its_report(tmp_path, monkeypatch, capsys):
  for key in [key for key in __import__("os").environ if key.startswith("PM_")]:
    monkeypatch.delenv(key)
  source = f"sqlite:///{tmp_path / 'old.sqlite'}"
  legacy022.build(source)
  monkeypatch.setenv("PM_DATABASE_URI", f"sqlite:///{tmp_path / 'new.sqlite'}")
  monkeypatch.setenv("PM_SECRET_KEY", "x" * 40)
  monkeypatch.chdir(tmp_path)
  assert main(["import", "--from", source, "--timezone", "Europe/Paris"]) == 0
  out = capsys.readouterr().out
  assert f"Source: 0.22:{legacy022.UUID}" in out
  assert "  incident: 5 imported" in out
  assert "Adjusted:\n" in out and "incident 2: no start of impact in 0.22" in out
  assert out.rstrip().endswith(
    f"{sum(len(rows) for rows in legacy022.ROWS.values())} rows imported, 0 skipped."
  )
  assert main(["import", "--from", source]) == 0
  assert capsys.readouterr().out.rstrip().endswith("0 rows imported, 0 skipped.")
  assert main(["import", "--from", source, "--timezone", "Mars/Base"]) == 2
  assert "--timezone 'Mars/Base': expected an IANA time zone name" in capsys.readouterr().err
  assert main(["import", "--from", "mysql://db/prodmanager"]) == 2
  assert (
    "--from 'mysql://db/prodmanager': expected a sqlite:/// or postgresql:// URL" in capsys.readouterr().err
  )


@pytest.mark.one_backend
def test_migrate_upgrades_in_place_with_the_documented_option(tmp_path, monkeypatch, capsys):
  for key in [key for key in __import__("os").environ if key.startswith("PM_")]:
    monkeypatch.delenv(key)
  uri = f"sqlite:///{tmp_path / 'ProManager.sqlite'}"
  legacy022.build(uri)
  monkeypatch.setenv("PM_DATABASE_URI", uri)
  monkeypatch.setenv("PM_SECRET_KEY", "x" * 40)
  monkeypatch.chdir(tmp_path)
  assert main(["migrate"]) == 2
  assert "`prodmanager migrate --upgrade-0.22`" in capsys.readouterr().err
  backup = tmp_path / "saved.sqlite"
  assert main(["migrate", "--upgrade-0.22", "--backup", str(backup)]) == 0
  assert backup.is_file()
  check_rows(uri)
  assert main(["migrate", "--upgrade-0.22"]) == 0  # ours now: nothing more to do


def test_a_second_022_database_is_imported_beside_the_first(source_uri, target_uri, tmp_path):
  """Two 0.22 instances merged into one: the second's rows come over beside the first's, its
  scopes of the same names are merged, its subscribers already here are kept, and the database
  keeps the first instance record it took."""
  import_from(source_uri, target_uri)
  other = {
    "app_config": [{"id": 1, "uuid": "0b5e7c1a-2d3f-4e5a-9b8c-7d6e5f4a3b2c"}],
    "scope": [
      {"id": 1, "name": "FRDC01", "description": "theirs"},
      {"id": 2, "name": "LONDC01", "description": None},
    ],
    "service": [{"id": 1, "name": "Compute", "description": None}],
    "incident": [{**legacy022.ROWS["incident"][0], "scope_id": 2}],
    "subscriber": [{"id": 1, "email": "OPS@example.org"}, {"id": 2, "email": "noc@example.net"}],
  }
  with database("sqlite", tmp_path, "other") as uri:
    legacy022.build(uri, rows=other)
    report = import_from(uri, target_uri)
  assert report.source == "0.22:0b5e7c1a-2d3f-4e5a-9b8c-7d6e5f4a3b2c"
  assert report.skipped == [("app_config", 1, "this database has its own app_config already")]
  assert report.counts["scope"] == {"merged with the existing scope of the same name": 1, "imported": 1}
  assert report.counts["subscriber"] == {"already subscribed": 1, "imported": 1}
  assert report.counts["incident"] == {"imported": 1}
  assert [row.uuid for row in query(target_uri, select(AppConfig))] == [legacy022.UUID]
  incidents = query(target_uri, select(Incident).where(Incident.name == "Timeouts on VM backups"))
  london = query(target_uri, select(Scope).where(Scope.name == "LONDC01"))[0]
  assert sorted(incident.scope_id for incident in incidents) == sorted([2, london.id])
  emails = sorted(row.email for row in query(target_uri, select(Subscriber)))
  assert emails == ["cto@example.com", "noc@example.net", "ops@example.org"]


@pytest.mark.one_backend
def test_serve_without_standalone_mode_refuses_a_022_database(tmp_path, monkeypatch, capsys):
  for key in [key for key in __import__("os").environ if key.startswith("PM_")]:
    monkeypatch.delenv(key)
  uri = f"sqlite:///{tmp_path / 'ProManager.sqlite'}"
  legacy022.build(uri)
  monkeypatch.setenv("PM_DATABASE_URI", uri)
  monkeypatch.setenv("PM_SECRET_KEY", "x" * 40)
  monkeypatch.setenv("PM_STANDALONE", "false")
  monkeypatch.chdir(tmp_path)
  assert main(["serve"]) == 2
  assert "this is a ProdManager 0.22 database" in capsys.readouterr().err
