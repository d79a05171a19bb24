"""Keeping the roll-ups current in the transaction that changes what they are made of.

After each flush of a session of the application, the rows that change a monitor's figures are
noted: a new (or removed) status history row, a monitor moved to another (scope, service), a
maintenance created, changed or deleted (its window before and after the change). Just before the
outermost commit, the noted days of the monitors concerned are recomputed from the history
(:func:`prodmanager_availability.rollup.recompute`) and written by that same commit: a rolled-back
change leaves the roll-ups as they were, a committed one never leaves them stale.

The same commit rewrites the components' summaries of the pairs concerned (their monitors', a moved
monitor's former pair, a deleted monitor's pair): :mod:`prodmanager_availability.summaries`.

The worker's job (:mod:`prodmanager_availability.job`) extends the days up to now in between.
"""

import datetime as dt

from sqlalchemy import inspect, select, tuple_

from prodmanager.db import utcnow
from prodmanager_maintenance.models import Maintenance
from prodmanager_monitor.models import Monitor, MonitorStatusChange

from .rollup import first_kept_day, recompute_many, utc_day
from .summaries import refresh

# In session.info: {monitor id: (first day, last day)} and {(scope id, service id): (first, last)}.
MONITORS = "prodmanager.availability.monitors"
PAIRS = "prodmanager.availability.pairs"
# In session.info: the (scope id, service id) whose summaries change besides those of the monitors
# recomputed (a moved monitor's former pair, a deleted monitor's).
SUMMARIES = "prodmanager.availability.summaries"


def note(marks: dict, key, first: dt.date, last: dt.date) -> None:
  if key in marks:
    low, high = marks[key]
    marks[key] = (min(low, first), max(high, last))
  else:
    marks[key] = (first, last)


def committed(obj, name: str):
  """The value of an attribute before this flush's change (the current one when unchanged)."""
  history = inspect(obj).attrs[name].history
  if history.deleted:
    return history.deleted[0]
  return getattr(obj, name)


def maintenance_windows(obj, changed: bool):
  """``((scope id, service id), start, end)`` of a maintenance now and, when ``changed``, before."""
  names = ("scope_id", "service_id", "start_date", "end_date")
  versions = [tuple(getattr(obj, name) for name in names)]
  if changed:
    versions.append(tuple(committed(obj, name) for name in names))
  for scope_id, service_id, start, end in versions:
    if start is not None and scope_id is not None and service_id is not None:
      yield (scope_id, service_id), start, end


def after_flush(session, _context) -> None:
  now = utcnow()
  today = utc_day(now)
  monitors = session.info.setdefault(MONITORS, {})
  pairs = session.info.setdefault(PAIRS, {})
  summaries = session.info.setdefault(SUMMARIES, set())
  for obj in session.deleted:
    if isinstance(obj, Monitor):
      # Its days went with it (ondelete CASCADE): its pair sums fewer monitors.
      summaries.add((committed(obj, "scope_id"), committed(obj, "service_id")))
  for obj in (*session.new, *session.deleted):
    if isinstance(obj, MonitorStatusChange) and obj.monitor_id is not None:
      # The status holds from this change on: every later day may differ.
      note(monitors, obj.monitor_id, utc_day(obj.changed_at or now), today)
  for obj in session.dirty:
    if (
      isinstance(obj, Monitor)
      and session.is_modified(obj)
      and (inspect(obj).attrs.scope_id.history.deleted or inspect(obj).attrs.service_id.history.deleted)
    ):
      # Other maintenance windows apply: its shown days are recomputed.
      note(monitors, obj.id, first_kept_day(today), today)
      summaries.add((committed(obj, "scope_id"), committed(obj, "service_id")))
  for obj in (*session.new, *session.dirty, *session.deleted):
    if isinstance(obj, Maintenance):
      changed = obj in session.dirty
      for pair, start, end in maintenance_windows(obj, changed):
        note(pairs, pair, utc_day(start), utc_day(end or now))


def before_commit(session) -> None:
  if session.in_nested_transaction():
    return  # a savepoint: the outermost commit decides
  session.flush()
  monitors = session.info.pop(MONITORS, None) or {}
  pairs = session.info.pop(PAIRS, None) or {}
  if pairs:
    rows = session.execute(
      select(Monitor.id, Monitor.scope_id, Monitor.service_id).where(
        tuple_(Monitor.scope_id, Monitor.service_id).in_(list(pairs))
      )
    )
    for ident, scope_id, service_id in rows:
      first, last = pairs[(scope_id, service_id)]
      note(monitors, ident, first, last)
  summaries = session.info.pop(SUMMARIES, None) or set()
  now = utcnow()
  if monitors:
    recompute_many(session, monitors, now)
    summaries.update(
      session.execute(
        select(Monitor.scope_id, Monitor.service_id).where(Monitor.id.in_(list(monitors)))
      ).all()
    )
  if summaries:
    refresh(session, [tuple(pair) for pair in summaries], now)
  if monitors or summaries:
    session.flush()
  # What the recomputation itself flushed is not a change to note.
  session.info.pop(MONITORS, None)
  session.info.pop(PAIRS, None)
  session.info.pop(SUMMARIES, None)


def after_rollback(session) -> None:
  if not session.in_nested_transaction():
    session.info.pop(MONITORS, None)
    session.info.pop(PAIRS, None)
    session.info.pop(SUMMARIES, None)
