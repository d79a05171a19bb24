"""The alertdrafts branch migrates up and down on SQLite and PostgreSQL, each on a database of its
own: its tables and the partial unique index (one open draft per pair) come and go, the other
branches stay."""

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from prodmanager.migrate import alembic_config, upgrade
from prodmanager.testing import connected

TABLES = {"alertdraft", "alertdraft_monitor", "alertdraft_choice"}
MOMENT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def tables(uri) -> set[str]:
  with connected(uri) as connection:
    return set(sa.inspect(connection).get_table_names())


def add_draft(connection, metadata, scope_id, service_id, state):
  return connection.execute(
    metadata.tables["alertdraft"]
    .insert()
    .values(
      scope_id=scope_id,
      service_id=service_id,
      state=state,
      opened_at=MOMENT,
      name="Compute down",
      severity="high",
      description="",
      resolve_proposed=False,
    )
  )


def test_upgrade_and_downgrade_of_the_branch(empty_database):
  upgrade(empty_database)
  assert TABLES <= tables(empty_database)
  with connected(empty_database) as connection:
    metadata = sa.MetaData()
    metadata.reflect(connection, only=["scope", "service", "alertdraft"])
    scope_id = connection.execute(
      metadata.tables["scope"].insert().values(name="Paris DC", description="")
    ).inserted_primary_key[0]
    service_id = connection.execute(
      metadata.tables["service"].insert().values(name="Compute", description="")
    ).inserted_primary_key[0]
    add_draft(connection, metadata, scope_id, service_id, "open")
    # Closed and published drafts of the pair may be many; open ones only one.
    add_draft(connection, metadata, scope_id, service_id, "closed")
    add_draft(connection, metadata, scope_id, service_id, "published")
  with pytest.raises(sa.exc.IntegrityError), connected(empty_database) as connection:
    metadata = sa.MetaData()
    metadata.reflect(connection, only=["alertdraft"])
    add_draft(connection, metadata, scope_id, service_id, "open")

  config = alembic_config(empty_database)
  command.downgrade(config, "alertdrafts@base")
  remaining = tables(empty_database)
  assert not TABLES & remaining
  assert {"scope", "service", "monitor", "incident"} <= remaining
  with connected(empty_database) as connection:
    versions = {row[0] for row in connection.execute(sa.text("SELECT version_num FROM alembic_version"))}
  assert "ad7a1d000001" not in versions

  # And up again: the branch is back with its index.
  upgrade(empty_database)
  assert TABLES <= tables(empty_database)
  with connected(empty_database) as connection:
    indexes = {index["name"] for index in sa.inspect(connection).get_indexes("alertdraft")}
  assert "uq_alertdraft_open_pair" in indexes
