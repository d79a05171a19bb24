"""Two transactions recomputing the same monitor's days (a status change and the worker's job) on
PostgreSQL: the second waits for the first's lock on the monitor row, then recomputes from what the
first committed; neither fails on the days' primary key. On a database of its own (the two
transactions really commit)."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from prodmanager.db import get_engine, utcnow
from prodmanager.migrate import upgrade
from prodmanager.testing import _postgres_database, _postgres_unavailable
from prodmanager_availability.models import AvailabilityDay
from prodmanager_availability.rollup import recompute, utc_day
from prodmanager_monitor.models import Monitor, MonitorStatus, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

pytestmark = pytest.mark.postgresql


@pytest.fixture
def engine():
  reason = _postgres_unavailable()
  if reason:
    pytest.skip(reason)
  with _postgres_database("availlock") as uri:
    upgrade(uri)
    engine = get_engine(uri)
    yield engine
    engine.dispose()


def add_pair(session) -> tuple[Scope, Service]:
  """Paris DC and Compute, flushed: the pair both tests' monitors are on."""
  scope, service = Scope(name="Paris DC", description=""), Service(name="Compute", description="")
  session.add_all([scope, service])
  session.flush()
  return scope, service


def test_concurrent_recomputations_wait_for_each_other(engine):
  now = utcnow()
  today = utc_day(now)
  with Session(engine) as session, session.begin():
    scope, service = add_pair(session)
    monitor = Monitor(name="Checkout", description="", scope_id=scope.id, service_id=service.id)
    session.add(monitor)
    session.flush()
    session.add(
      MonitorStatusChange(
        monitor_id=monitor.id, new_status=MonitorStatus.OK, changed_at=now - dt.timedelta(days=3)
      )
    )
    ident = monitor.id

  first_holds_lock, release_first = threading.Event(), threading.Event()
  errors = []

  def first():
    try:
      with Session(engine) as session, session.begin():
        recompute(session, ident, today, now=now)
        session.add(
          MonitorStatusChange(
            monitor_id=ident,
            old_status=MonitorStatus.OK,
            new_status=MonitorStatus.ALERT,
            changed_at=now - dt.timedelta(seconds=30),
          )
        )
        session.flush()
        recompute(session, ident, today, now=now)
        first_holds_lock.set()
        release_first.wait(30)
    except Exception as error:  # noqa: BLE001 - reported by the test
      errors.append(error)
      first_holds_lock.set()

  def second():
    try:
      with Session(engine) as session, session.begin():
        recompute(session, ident, today, now=now)
    except Exception as error:  # noqa: BLE001 - reported by the test
      errors.append(error)

  one = threading.Thread(target=first)
  one.start()
  first_holds_lock.wait(30)
  two = threading.Thread(target=second)
  two.start()
  # The second transaction waits for the lock on the monitor's row (pg_locks says so).
  with engine.connect() as watcher:
    waiting = False
    for _ in range(3000):
      waiting = watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar() > 0
      if waiting or not two.is_alive():
        break
      threading.Event().wait(0.01)
  release_first.set()
  one.join(30)
  two.join(30)
  assert not errors
  assert waiting
  with Session(engine) as session:
    days = {
      row.day: row
      for row in session.scalars(select(AvailabilityDay).where(AvailabilityDay.monitor_id == ident))
    }
  assert len(days) == 4
  # The second recomputation saw the first's change: today ends in alert.
  assert days[today].worst == 2 and days[today].alert_seconds == 30


def test_concurrent_changes_of_one_pair_refresh_its_summary_in_turn(engine):
  """Two status changes of two monitors of one pair commit at once: both commit (the second does
  not fail on the summary's primary key), and the row counts both monitors' days."""
  from sqlalchemy import text

  from prodmanager_availability import summaries

  now = utcnow()
  today = utc_day(now)
  with Session(engine) as session, session.begin():
    scope, service = add_pair(session)
    monitors = [
      Monitor(name=name, description="", scope_id=scope.id, service_id=service.id) for name in ("A", "B")
    ]
    session.add_all(monitors)
    session.flush()
    for monitor in monitors:
      session.add(
        MonitorStatusChange(
          monitor_id=monitor.id, new_status=MonitorStatus.OK, changed_at=now - dt.timedelta(days=3)
        )
      )
    session.flush()
    for monitor in monitors:
      recompute(session, monitor.id, today - dt.timedelta(days=5), now=now)
    summaries.store_all(session, now)
    idents, pair = [monitor.id for monitor in monitors], (scope.id, service.id)

  first_holds_lock, release_first = threading.Event(), threading.Event()
  errors = []

  def change(ident, hold):
    try:
      with Session(engine) as session, session.begin():
        session.add(
          MonitorStatusChange(
            monitor_id=ident,
            old_status=MonitorStatus.OK,
            new_status=MonitorStatus.ALERT,
            changed_at=now - (dt.timedelta(days=2) if hold else dt.timedelta(seconds=30)),
          )
        )
        session.flush()
        recompute(session, ident, today - dt.timedelta(days=2), now=now)
        summaries.refresh(session, [pair], now)
        if hold:
          first_holds_lock.set()
          release_first.wait(30)
    except Exception as error:  # noqa: BLE001 - reported by the test
      errors.append(error)
      first_holds_lock.set()

  first = threading.Thread(target=change, args=(idents[0], True))
  first.start()
  assert first_holds_lock.wait(30)
  second = threading.Thread(target=change, args=(idents[1], False))
  second.start()
  second.join(1)  # it waits for the first's lock
  release_first.set()
  first.join(30)
  second.join(30)
  assert errors == []
  with engine.connect() as connection:
    stored = connection.execute(text("SELECT outage_days FROM availability_pair_summary")).all()
  # A in alert since the day before yesterday, B since just now: 3 days with an outage (the
  # second's read saw the first's days: alone it would say 1).
  assert stored == [(3,)]
