"""The worker's availability job: every monitor's roll-ups extended up to now.

A day is only recomputed by a change when something happens; the job closes the days that ended
since its last run and extends today's, so that a monitor which stays green for a week still has a
green bar per day. Recomputing a monitor's today also recomputes the days since its latest stored
day (yesterday, usually computed before it ended), or every shown day when it has none yet but a
history (a new monitor, or just after the plugin was installed): see
:func:`prodmanager_availability.rollup.recompute`. Monitors are done in batches, a fixed number of
statements and one transaction each, so that a status change waits for one batch at most.

The last batch's transaction also rewrites the components' summaries of every pair
(:func:`prodmanager_availability.summaries.store_all`), from the days just extended: the bars' words
are as of this run, and a change to the monitors that the commit hooks could not see is caught up.
The run replaces the content version of the cached pages once, at its end
(:func:`prodmanager.cache.one_version_change`): a batch's commit does not make every page render again.
"""

import logging

from sqlalchemy import select

from prodmanager.cache import one_version_change
from prodmanager.db import utcnow
from prodmanager_monitor.models import Monitor

from .rollup import recompute_many, utc_day
from .summaries import store_all

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
  offsets = list(range(0, len(monitors), BATCH)) or [0]
  with one_version_change():
    for offset in offsets:
      measured += refresh_batch(context, monitors, offset, offset == offsets[-1], today, now)
  log.debug("availability: %d of %d monitors measured up to %s", measured, len(monitors), now.isoformat())
  return measured


def refresh_batch(context, monitors: list[int], offset: int, last: bool, today, now) -> int:
  """One batch of :func:`refresh`, in one transaction: how many of its monitors have data."""
  measured = 0
  with context.session() as session:
    if last:
      # Every monitor locked before this batch's (in id order, as recompute_many locks): the
      # summaries then read the days as this transaction leaves them.
      session.execute(select(Monitor.id).order_by(Monitor.id).with_for_update()).all()
    batch = {ident: (today, today) for ident in monitors[offset : offset + BATCH]}
    if batch:
      measured = sum(1 for days in recompute_many(session, batch, now).values() if days)
    if last:
      store_all(session, now)
  return measured
