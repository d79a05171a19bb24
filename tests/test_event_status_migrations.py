"""The revisions that add the typed status change of timeline events convert the existing rows.

Before them, the feeds and the Statuspage payloads found status changes by matching the JSON diff of
each event; the revisions read those diffs once and fill ``old_status``/``new_status``. Each case
runs on SQLite and on PostgreSQL, on a database of its own migrated step by step.
"""

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from alembic import command

from prodmanager.migrate import alembic_config, upgrade
from prodmanager.testing import connected

# (plugin, events table, the revision before the columns, the revision adding them, parent row)
MOMENT = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
CASES = {
  "incident": (
    "incident_event",
    "e1c1de000001",
    "e1c1de000002",
    {"severity": "high", "status": "stable", "start_impact_date": MOMENT},
  ),
  "maintenance": (
    "maintenance_event",
    "e5a1d7e00001",
    "e5a1d7e00002",
    {
      "status": "in-progress",
      "service_status": "down",
      "scheduled_start_date": MOMENT,
      "scheduled_end_date": MOMENT + dt.timedelta(hours=2),
    },
  ),
}
# (type, content) of the stored events, and the (old_status, new_status) each one gets.
EVENTS = [
  (
    "create",
    json.dumps({"name": [None, "Disk"], "status": [None, "active"]}, sort_keys=True),
    (None, "active"),
  ),
  (
    "update",
    json.dumps({"stable_date": [None, "2026-11-30T12:00"], "status": ["active", "stable"]}),
    ("active", "stable"),
  ),
  ("update", json.dumps({"name": ["Disk", "Disks"]}), (None, None)),
  # A description that quotes a diff is not a status change (the old pattern relied on escaping).
  ("update", json.dumps({"description": ["", 'the "status": ["a", "b"] key']}), (None, None)),
  ("comment", '"status": ["active", "stable"]', (None, None)),
  ("update", "not JSON {", (None, None)),
  ("update", json.dumps({"status": ["active", 3]}), (None, None)),
  ("update", json.dumps(["status", "active"]), (None, None)),
]


def arrange(uri: str, plugin: str) -> None:
  """A scope, a service, one parent row and the events of :data:`EVENTS`, as the old schema held them."""
  table_name, _, _, parent = CASES[plugin]
  with connected(uri) as connection:
    metadata = sa.MetaData()
    metadata.reflect(connection, only=["scope", "service", plugin, table_name])
    tables = metadata.tables
    scope_id = connection.execute(
      tables["scope"].insert().values(name="Lyon DC", description="")
    ).inserted_primary_key[0]
    service_id = connection.execute(
      tables["service"].insert().values(name="Storage", description="")
    ).inserted_primary_key[0]
    parent_id = connection.execute(
      tables[plugin]
      .insert()
      .values(
        name="Disk", description="", scope_id=scope_id, service_id=service_id, creation_date=MOMENT, **parent
      )
    ).inserted_primary_key[0]
    for number, (kind, content, _) in enumerate(EVENTS):
      connection.execute(
        tables[table_name]
        .insert()
        .values(
          parent_id=parent_id,
          type=kind,
          content=content,
          internal=kind != "comment",
          creation_date=MOMENT + dt.timedelta(minutes=number),
        )
      )


@pytest.mark.parametrize("plugin", sorted(CASES))
def test_existing_events_get_their_status_columns(empty_database, plugin):
  table_name, before, _, _ = CASES[plugin]
  config = alembic_config(empty_database)
  command.upgrade(config, before)
  with connected(empty_database) as connection:
    columns = {column["name"] for column in sa.inspect(connection).get_columns(table_name)}
  assert "new_status" not in columns
  arrange(empty_database, plugin)

  upgrade(empty_database)
  with connected(empty_database) as connection:
    rows = connection.execute(
      sa.text(f"SELECT type, old_status, new_status FROM {table_name} ORDER BY id")  # noqa: S608 - constant
    ).all()
  assert [tuple(row) for row in rows] == [(kind, *expected) for kind, _, expected in EVENTS]

  # And back: the columns go, the events stay.
  command.downgrade(config, before)
  with connected(empty_database) as connection:
    columns = {column["name"] for column in sa.inspect(connection).get_columns(table_name)}
    count = connection.execute(sa.text(f"SELECT count(*) FROM {table_name}")).scalar()  # noqa: S608
  assert "old_status" not in columns and "new_status" not in columns
  assert count == len(EVENTS)
