"""The revisions adding the indexes of the lists, feeds and Statuspage payloads
(docs/performance.md#query-plans) go up and down on SQLite and PostgreSQL, rows kept."""

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from prodmanager.migrate import alembic_config, upgrade
from prodmanager.testing import connected

MOMENT = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
# revision → (the revision before it, {table: indexes it adds}, {table: indexes it drops})
REVISIONS = {
  "e1c1de000003": ("e1c1de000002", {"incident": {"ix_incident_creation_date"}}, {}),
  "e5a1d7e00003": (
    "e5a1d7e00002",
    {
      "maintenance": {"ix_maintenance_creation_date"},
      "maintenance_event": {"ix_maintenance_event_parent_date", "ix_maintenance_event_creation_date"},
    },
    {"maintenance_event": {"ix_maintenance_event_parent_id"}},
  ),
  "b2d0a1e00002": (
    "b2d0a1e00001",
    {"monitor_status_change": {"ix_monitor_status_change_changed_at"}},
    {},
  ),
}


def indexes(uri: str, table: str) -> set[str]:
  with connected(uri) as connection:
    return {index["name"] for index in sa.inspect(connection).get_indexes(table)}


def rows(uri: str, table: str) -> int:
  with connected(uri) as connection:
    return connection.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar()


def arrange(uri: str) -> None:
  """A row in each table the revisions index, as the schema before them held it."""
  with connected(uri) as connection:
    metadata = sa.MetaData()
    metadata.reflect(connection)
    tables = metadata.tables

    def insert(table, **values):
      return connection.execute(tables[table].insert().values(**values)).inserted_primary_key[0]

    pair = {
      "scope_id": insert("scope", name="Lyon DC", description=""),
      "service_id": insert("service", name="Storage", description=""),
    }
    incident = insert(
      "incident",
      name="Disk",
      description="",
      severity="high",
      status="active",
      creation_date=MOMENT,
      start_impact_date=MOMENT,
      **pair,
    )
    insert(
      "incident_event", parent_id=incident, type="comment", content="x", internal=False, creation_date=MOMENT
    )
    maintenance = insert(
      "maintenance",
      name="Work",
      description="",
      status="scheduled",
      service_status="up",
      creation_date=MOMENT,
      scheduled_start_date=MOMENT,
      scheduled_end_date=MOMENT + dt.timedelta(hours=1),
      **pair,
    )
    insert(
      "maintenance_event",
      parent_id=maintenance,
      type="comment",
      content="x",
      internal=False,
      creation_date=MOMENT,
    )
    monitor = insert("monitor", name="Probe", description="", status="ok", **pair)
    insert("monitor_status_change", monitor_id=monitor, new_status="ok", changed_at=MOMENT)


@pytest.mark.parametrize("revision", sorted(REVISIONS))
def test_the_indexes_come_and_go(empty_database, revision):
  before, added, dropped = REVISIONS[revision]
  config = alembic_config(empty_database)
  upgrade(empty_database)
  arrange(empty_database)
  tables = set(added) | set(dropped)
  for table in tables:
    assert added.get(table, set()) <= indexes(empty_database, table)
    assert not dropped.get(table, set()) & indexes(empty_database, table)

  command.downgrade(config, before)
  for table in tables:
    assert not added.get(table, set()) & indexes(empty_database, table)
    assert dropped.get(table, set()) <= indexes(empty_database, table)
    assert rows(empty_database, table) == 1

  command.upgrade(config, revision)
  for table in tables:
    assert added.get(table, set()) <= indexes(empty_database, table)
    assert rows(empty_database, table) == 1
