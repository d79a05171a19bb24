"""Computing the daily roll-ups of one monitor from its status history.

A day's figures are always recomputed from the history rows themselves (the status in force when
the day starts, then the changes during the day, ordered by time), never adjusted by adding a
delta: a change that arrives late (out of order) or twice gives the same figures as the history
told in order once. The work is bounded: one monitor, the days asked for (at most
:data:`HORIZON_DAYS`), a handful of queries.

Maintenance windows of the monitor's (scope, service) are left out of the measure: a maintenance
counts from its actual start (``start_date``) to its actual end (``end_date``, or now while it
has none), whatever its final status; a maintenance that never started excludes nothing.
"""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, or_, select

from prodmanager.db import utcnow
from prodmanager_maintenance.models import Maintenance
from prodmanager_monitor.models import STATUSES, Monitor, MonitorStatus, MonitorStatusChange

from .models import AvailabilityDay

# The days the pages and the API show (today included), and so the most a recomputation covers.
HORIZON_DAYS = 90
DAY = dt.timedelta(days=1)
MOMENT = dt.timedelta(microseconds=1)
RANK = {status: STATUSES.index(status.value) for status in MonitorStatus}


def day_start(day: dt.date) -> dt.datetime:
  return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def utc_day(moment: dt.datetime) -> dt.date:
  return moment.astimezone(dt.UTC).date()


def first_kept_day(today: dt.date) -> dt.date:
  """The oldest day shown (and recomputed): ``HORIZON_DAYS`` days including today."""
  return today - dt.timedelta(days=HORIZON_DAYS - 1)


@dataclass
class DayFigures:
  """What one day of a monitor adds up to (seconds), before it is stored."""

  day: dt.date
  seconds: dict[MonitorStatus, float] = field(default_factory=lambda: dict.fromkeys(MonitorStatus, 0.0))
  maintenance: float = 0.0
  until: dt.datetime | None = None
  # The statuses measured, even briefly: an alert that has just begun already colours today.
  seen: set = field(default_factory=set)

  @property
  def worst(self) -> int | None:
    return max((RANK[status] for status in self.seen), default=None)

  @property
  def empty(self) -> bool:
    return not self.seen and round(self.maintenance) == 0


def merge(windows: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
  """Overlapping or touching windows joined, in time order."""
  merged: list[tuple[dt.datetime, dt.datetime]] = []
  for start, end in sorted(windows):
    if end <= start:
      continue
    if merged and start <= merged[-1][1]:
      merged[-1] = (merged[-1][0], max(merged[-1][1], end))
    else:
      merged.append((start, end))
  return merged


def overlap(start: dt.datetime, end: dt.datetime, windows) -> float:
  """Seconds of [start, end) covered by the (merged) windows."""
  total = 0.0
  for window_start, window_end in windows:
    low, high = max(start, window_start), min(end, window_end)
    if high > low:
      total += (high - low).total_seconds()
  return total


def compute_days(
  initial: MonitorStatus | None,
  changes: list[tuple[dt.datetime, MonitorStatus]],
  windows: list[tuple[dt.datetime, dt.datetime]],
  first_day: dt.date,
  last_day: dt.date,
  now: dt.datetime,
) -> list[DayFigures]:
  """The figures of the days ``first_day``..``last_day`` (not beyond ``now``).

  ``initial`` is the status in force when ``first_day`` starts (None: the monitor had none yet);
  ``changes`` the ``(when, new status)`` of the changes after that, in time order; ``windows`` the
  maintenance windows. Days without any known status are left out (they have no data)."""
  windows = merge(windows)
  end = min(day_start(last_day) + DAY, now)
  # The spans of known status: (from, to, status).
  spans = []
  moment, status = day_start(first_day), initial
  for when, new in changes:
    when = max(when, moment)
    if when >= end:
      break
    if status is not None and when > moment:
      spans.append((moment, when, status))
    moment, status = when, new
  if status is not None and end > moment:
    spans.append((moment, end, status))

  days = []
  day = first_day
  while day <= last_day and day_start(day) < now:
    figures = DayFigures(day, until=min(day_start(day) + DAY, now))
    low, high = day_start(day), figures.until
    for span_start, span_end, span_status in spans:
      start, stop = max(span_start, low), min(span_end, high)
      if stop <= start:
        continue
      excluded = overlap(start, stop, windows)
      figures.maintenance += excluded
      figures.seconds[span_status] += (stop - start).total_seconds() - excluded
      if (stop - start).total_seconds() > excluded:
        figures.seen.add(span_status)
    if status is not None and low < end <= high and not overlap(end - MOMENT, end, windows):
      # The status in force at the end of the computed time (now), however short it has lasted.
      figures.seen.add(status)
    if not figures.empty:
      days.append(figures)
    day += DAY
  return days


def status_at(session, monitor_id: int, moment: dt.datetime) -> MonitorStatus | None:
  """The status in force at ``moment``: that of the last change at or before it (None: none yet)."""
  return session.scalar(
    select(MonitorStatusChange.new_status)
    .where(MonitorStatusChange.monitor_id == monitor_id, MonitorStatusChange.changed_at <= moment)
    .order_by(MonitorStatusChange.changed_at.desc(), MonitorStatusChange.id.desc())
    .limit(1)
  )


def recompute(session, monitor_id: int, first_day: dt.date, last_day: dt.date | None = None, now=None) -> int:
  """Recompute and store the roll-ups of one monitor's days ``first_day``..``last_day`` (today by
  default), within the last :data:`HORIZON_DAYS`, and the days since its latest stored day before
  them; returns how many days hold data.

  The monitor's row is locked first (on PostgreSQL), so that a status change and the worker's
  job recomputing the same days one after the other, never interleaved."""
  now = now or utcnow()
  today = utc_day(now)
  first_day = max(first_day, first_kept_day(today))
  last_day = min(last_day or today, today)
  if first_day > last_day:
    return 0
  pair = session.execute(
    select(Monitor.scope_id, Monitor.service_id).where(Monitor.id == monitor_id).with_for_update()
  ).first()
  if pair is None:
    return 0  # deleted meanwhile: its roll-ups went with it
  # The days between the latest stored day and first_day are stale too (the last one may have been
  # computed before it ended, a worker may have been stopped for days): they are recomputed with it.
  previous = session.scalar(
    select(func.max(AvailabilityDay.day)).where(
      AvailabilityDay.monitor_id == monitor_id,
      AvailabilityDay.day < first_day,
      AvailabilityDay.day >= first_kept_day(today),
    )
  )
  if previous is not None:
    first_day = previous
  elif status_at(session, monitor_id, day_start(first_day)) is not None:
    # A history older than any stored day (the plugin was just installed): every shown day.
    first_day = first_kept_day(today)
  start, end = day_start(first_day), min(day_start(last_day) + DAY, now)
  order = (MonitorStatusChange.changed_at, MonitorStatusChange.id)
  initial = status_at(session, monitor_id, start)
  changes = session.execute(
    select(MonitorStatusChange.changed_at, MonitorStatusChange.new_status)
    .where(
      MonitorStatusChange.monitor_id == monitor_id,
      MonitorStatusChange.changed_at > start,
      MonitorStatusChange.changed_at < end,
    )
    .order_by(*order)
  ).all()
  windows = [
    (max(begin, start), min(finish or now, end))
    for begin, finish in session.execute(
      select(Maintenance.start_date, Maintenance.end_date).where(
        Maintenance.scope_id == pair.scope_id,
        Maintenance.service_id == pair.service_id,
        Maintenance.start_date.is_not(None),
        Maintenance.start_date < end,
        or_(Maintenance.end_date.is_(None), Maintenance.end_date > start),
      )
    )
  ]
  days = compute_days(initial, [tuple(row) for row in changes], windows, first_day, last_day, now)
  session.execute(
    delete(AvailabilityDay).where(
      AvailabilityDay.monitor_id == monitor_id,
      AvailabilityDay.day >= first_day,
      AvailabilityDay.day <= last_day,
    )
  )
  if days:
    session.execute(
      insert(AvailabilityDay),
      [
        {
          "monitor_id": monitor_id,
          "day": figures.day,
          "ok_seconds": round(figures.seconds[MonitorStatus.OK]),
          "warning_seconds": round(figures.seconds[MonitorStatus.WARNING]),
          "alert_seconds": round(figures.seconds[MonitorStatus.ALERT]),
          "maintenance_seconds": round(figures.maintenance),
          "worst": figures.worst,
          "computed_until": figures.until,
        }
        for figures in days
      ],
    )
  return len(days)
