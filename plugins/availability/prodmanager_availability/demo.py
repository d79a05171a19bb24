"""Demo history: the demo monitors get 90 days of past statuses (mostly ok, a few warnings and
outages of minutes to hours, some monitors younger than the others), so that the bars of
`make run` show colour and days without data; then their roll-ups are computed."""

import datetime as dt
import random

from sqlalchemy import select

from prodmanager.db import utcnow
from prodmanager_monitor.models import MonitorStatus, MonitorStatusChange

from .rollup import HORIZON_DAYS, recompute, utc_day

SEED = 90
# Chance that a monitor has an event on a given day, and how long (minutes) events last.
EVENT_CHANCE = 0.08
DURATIONS = {MonitorStatus.WARNING: (20, 240), MonitorStatus.ALERT: (5, 150)}


def past_changes(generator, start: dt.datetime, now: dt.datetime, current: MonitorStatus) -> list:
  """``(when, old, new)`` from ``start`` to a little before now, ending on ``current``."""
  changes, status, day = [], MonitorStatus.OK, start
  while day < now - dt.timedelta(days=1):
    if generator.random() < EVENT_CHANCE:
      kind = generator.choices([MonitorStatus.WARNING, MonitorStatus.ALERT], [2, 1])[0]
      begin = day + dt.timedelta(minutes=generator.randrange(0, 20 * 60))
      low, high = DURATIONS[kind]
      end = begin + dt.timedelta(minutes=generator.randrange(low, high))
      changes += [(begin, status, kind), (end, kind, MonitorStatus.OK)]
    day += dt.timedelta(days=1)
  if current is not MonitorStatus.OK:
    changes.append((now - dt.timedelta(minutes=generator.randrange(10, 300)), MonitorStatus.OK, current))
  return changes


def load(context) -> int:
  """Runs after the monitors (and maintenances) are loaded: their initial history rows are moved
  back in time and past changes added, then every monitor's days are computed."""
  generator = random.Random(SEED)
  session = context.session
  now = utcnow()
  monitors = context.objects.get("monitor", [])
  session.flush()
  initial = {
    row.monitor_id: row
    for row in session.scalars(
      select(MonitorStatusChange).where(
        MonitorStatusChange.monitor_id.in_([monitor.id for monitor in monitors]),
        MonitorStatusChange.old_status.is_(None),
      )
    )
  }
  for monitor in monitors:
    # Most monitors were there 90 days ago; some came later (their first days have no data).
    age = HORIZON_DAYS if generator.random() < 0.75 else generator.randrange(20, HORIZON_DAYS)
    start = now - dt.timedelta(days=age, hours=generator.randrange(0, 12))
    first = initial.get(monitor.id)
    if first is None:
      continue
    first.changed_at, first.new_status = start, MonitorStatus.OK
    for when, old, new in past_changes(generator, start, now, monitor.status):
      session.add(MonitorStatusChange(monitor_id=monitor.id, old_status=old, new_status=new, changed_at=when))
  session.flush()
  return sum(
    recompute(session, monitor.id, utc_day(now - dt.timedelta(days=HORIZON_DAYS))) for monitor in monitors
  )
