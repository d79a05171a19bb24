"""The demo data give the bars colour: 90 days of history on most demo monitors, a few warnings and
outages, and younger monitors whose first days have no data. On SQLite and PostgreSQL."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prodmanager.db import get_engine
from prodmanager.demo import load_demo
from prodmanager.migrate import upgrade
from prodmanager_availability.models import AvailabilityDay
from prodmanager_monitor.models import Monitor


@pytest.fixture
def empty_database(empty_database):
  """A new, migrated and empty database of its own (not the shared test database)."""
  upgrade(empty_database)
  return empty_database


def test_the_demo_gives_coloured_bars(empty_database, enabled_plugins, tmp_path):
  settings = {
    "prodmanager.database_uri": empty_database,
    "prodmanager.instance_path": str(tmp_path / "instance"),
    "prodmanager.plugins": " ".join(enabled_plugins),
  }
  assert "availability days" in load_demo(settings)
  engine = get_engine(empty_database)
  try:
    with Session(engine) as session:
      monitors = session.scalar(select(func.count()).select_from(Monitor))
      worst = dict(
        session.execute(select(AvailabilityDay.worst, func.count()).group_by(AvailabilityDay.worst)).all()
      )
      days = dict(
        session.execute(
          select(AvailabilityDay.monitor_id, func.count()).group_by(AvailabilityDay.monitor_id)
        ).all()
      )
  finally:
    engine.dispose()
  assert len(days) == monitors  # every monitor has a bar
  assert worst[0] > worst.get(1, 0) > worst.get(2, 0) > 0  # mostly green, some orange, a little red
  assert max(days.values()) >= 90 and min(days.values()) < 90  # some monitors came later
