"""The availability branch's revisions create their tables and drops it again, on a database of its own
migrated from scratch, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from prodmanager.db import get_engine
from prodmanager.migrate import alembic_config, upgrade

REVISION = "a7a1b0d00001"


def tables(uri: str) -> set[str]:
  engine = get_engine(uri)
  try:
    with engine.connect() as connection:
      return set(sa.inspect(connection).get_table_names())
  finally:
    engine.dispose()


def test_upgrade_and_downgrade(empty_database):
  upgrade(empty_database)
  assert {"availability_day", "availability_pair_summary", "monitor"} <= tables(empty_database)
  engine = get_engine(empty_database)
  try:
    with engine.begin() as connection:
      metadata = sa.MetaData()
      metadata.reflect(connection, only=["scope", "service", "monitor", "availability_day"])
      t = metadata.tables
      scope = connection.execute(
        t["scope"].insert().values(name="Paris DC", description="")
      ).inserted_primary_key[0]
      service = connection.execute(
        t["service"].insert().values(name="Compute", description="")
      ).inserted_primary_key[0]
      monitor = connection.execute(
        t["monitor"]
        .insert()
        .values(name="Ping", description="", status="ok", scope_id=scope, service_id=service)
      ).inserted_primary_key[0]
      row = {
        "monitor_id": monitor,
        "day": dt.date(2026, 11, 30),
        "ok_seconds": 86_400,
        "warning_seconds": 0,
        "alert_seconds": 0,
        "maintenance_seconds": 0,
        "worst": 0,
        "computed_until": dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
      }
      connection.execute(t["availability_day"].insert().values(**row))
      # One row per monitor and day.
      with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
        connection.execute(t["availability_day"].insert().values(**row))
  finally:
    engine.dispose()

  config = alembic_config(empty_database)
  # The summaries' revision goes alone, the days stay.
  command.downgrade(config, REVISION)
  remaining = tables(empty_database)
  assert "availability_pair_summary" not in remaining and "availability_day" in remaining
  command.downgrade(config, "availability@base")
  remaining = tables(empty_database)
  assert "availability_day" not in remaining and "monitor" in remaining
  upgrade(empty_database)
  assert {"availability_day", "availability_pair_summary"} <= tables(empty_database)
