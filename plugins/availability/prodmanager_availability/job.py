"""The worker's availability job: every monitor's roll-ups extended up to now.

A day is only recomputed by a change when something happens; the job closes the days that ended
since its last run and extends today's, so that a monitor which stays green for a week still has a
green bar per day. For each monitor it recomputes from its latest stored day (which may have been
computed before that day ended) to today; a monitor without any stored day (new, or just after
the plugin was installed) from its first history row, within the shown days. Monitors are done in
batches, one transaction each, so that a status change waits for one batch at most.
"""

import logging

from sqlalchemy import func, select

from prodmanager.db import utcnow
from prodmanager_monitor.models import Monitor, MonitorStatusChange

from .models import AvailabilityDay
from .rollup import first_kept_day, recompute, utc_day

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 300
BATCH = 100


def starts(session, today) -> dict[int, object]:
  """``{monitor id: first day to recompute}`` for every monitor that has a status history."""
  latest = dict(
    session.execute(
      select(Monitor.id, func.max(AvailabilityDay.day))
      .outerjoin(AvailabilityDay, AvailabilityDay.monitor_id == Monitor.id)
      .group_by(Monitor.id)
    ).all()
  )
  fresh = [ident for ident, day in latest.items() if day is None]
  first_changes = {}
  for offset in range(0, len(fresh), BATCH):
    first_changes.update(
      session.execute(
        select(MonitorStatusChange.monitor_id, func.min(MonitorStatusChange.changed_at))
        .where(MonitorStatusChange.monitor_id.in_(fresh[offset : offset + BATCH]))
        .group_by(MonitorStatusChange.monitor_id)
      ).all()
    )
  oldest = first_kept_day(today)
  result = {}
  for ident, day in latest.items():
    if day is None:
      first = first_changes.get(ident)
      if first is None:
        continue  # no status ever recorded: no data
      day = utc_day(first)
    result[ident] = max(day, oldest)
  return result


def refresh(context) -> int:
  """Extend every monitor's roll-ups up to now; returns how many monitors were recomputed."""
  now = utcnow()
  today = utc_day(now)
  with context.session() as session:
    todo = sorted(starts(session, today).items())
  for offset in range(0, len(todo), BATCH):
    with context.session() as session:
      for ident, first in todo[offset : offset + BATCH]:
        recompute(session, ident, first, today, now=now)
  log.debug("availability: %d monitors recomputed up to %s", len(todo), now.isoformat())
  return len(todo)
