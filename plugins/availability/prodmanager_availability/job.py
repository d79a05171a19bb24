"""The worker's availability job: every monitor's roll-ups extended up to now.

A day is only recomputed by a change when something happens; the job closes the days that ended
since its last run and extends today's, so that a monitor which stays green for a week still has a
green bar per day. Recomputing a monitor's today also recomputes the days since its latest stored
day (yesterday, usually computed before it ended), or every shown day when it has none yet but a
history (a new monitor, or just after the plugin was installed): see
:func:`prodmanager_availability.rollup.recompute`. Monitors are done in batches, a fixed number of
statements and one transaction each, so that a status change waits for one batch at most.
"""

import logging

from sqlalchemy import select

from prodmanager.db import utcnow
from prodmanager_monitor.models import Monitor

from .rollup import recompute_many, utc_day

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 300
BATCH = 100


def refresh(context) -> int:
  """Extend every monitor's roll-ups up to now; returns how many monitors have data."""
  now = utcnow()
  today = utc_day(now)
  with context.session() as session:
    monitors = list(session.scalars(select(Monitor.id).order_by(Monitor.id)))
  measured = 0
  for offset in range(0, len(monitors), BATCH):
    with context.session() as session:
      batch = {ident: (today, today) for ident in monitors[offset : offset + BATCH]}
      measured += sum(1 for days in recompute_many(session, batch, now).values() if days)
  log.debug("availability: %d of %d monitors measured up to %s", measured, len(monitors), now.isoformat())
  return measured
