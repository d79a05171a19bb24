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

from sqlalchemy import delete, func, insert, or_, select, tuple_

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


def statuses_at(session, ids, moment: dt.datetime) -> dict[int, MonitorStatus | None]:
  """The status in force at ``moment`` of each monitor: that of its last change at or before it
  (None: none yet). One statement; each monitor's lookup is one step down its history index."""
  latest = (
    select(MonitorStatusChange.new_status)
    .where(MonitorStatusChange.monitor_id == Monitor.id, MonitorStatusChange.changed_at <= moment)
    .order_by(MonitorStatusChange.changed_at.desc(), MonitorStatusChange.id.desc())
    .limit(1)
    .correlate(Monitor)
    .scalar_subquery()
  )
  return dict(session.execute(select(Monitor.id, latest).where(Monitor.id.in_(list(ids)))).all())


def grouped(ranges: dict, index: int) -> dict:
  """The monitors of ``ranges`` ({id: (first, last)}) grouped by their first (0) or whole (None) range."""
  groups: dict = {}
  for ident, span in ranges.items():
    groups.setdefault(span if index is None else span[index], []).append(ident)
  return groups


def recompute(session, monitor_id: int, first_day: dt.date, last_day: dt.date | None = None, now=None) -> int:
  """Recompute and store the roll-ups of one monitor's days ``first_day``..``last_day`` (today by
  default): :func:`recompute_many` for one monitor; returns how many days hold data."""
  now = now or utcnow()
  return recompute_many(session, {monitor_id: (first_day, last_day or utc_day(now))}, now).get(monitor_id, 0)


def recompute_many(session, ranges: dict[int, tuple[dt.date, dt.date]], now=None) -> dict[int, int]:
  """Recompute and store the roll-ups of the monitors' days ``{id: (first day, last day)}``, within
  the last :data:`HORIZON_DAYS`, and for each the days since its latest stored day before them;
  returns ``{id: days holding data}``. A fixed number of statements whatever the number of monitors.

  The monitors' rows are locked first, in id order (on PostgreSQL), so that a status change and the
  worker's job recompute the same days one after the other, never interleaved."""
  now = now or utcnow()
  today = utc_day(now)
  oldest = first_kept_day(today)
  ranges = {
    ident: (max(first, oldest), min(last, today))
    for ident, (first, last) in ranges.items()
    if max(first, oldest) <= min(last, today)
  }
  if not ranges:
    return {}
  pairs = {
    ident: (scope_id, service_id)
    for ident, scope_id, service_id in session.execute(
      select(Monitor.id, Monitor.scope_id, Monitor.service_id)
      .where(Monitor.id.in_(sorted(ranges)))
      .order_by(Monitor.id)
      .with_for_update()
    )
  }
  # Deleted meanwhile: their roll-ups went with them.
  ranges = {ident: span for ident, span in ranges.items() if ident in pairs}
  if not ranges:
    return {}
  # The days between the latest stored day and the first day are stale too (the last one may have
  # been computed before it ended, a worker may have been stopped for days): they are recomputed.
  for first, ids in grouped(ranges, 0).items():
    previous = dict(
      session.execute(
        select(AvailabilityDay.monitor_id, func.max(AvailabilityDay.day))
        .where(
          AvailabilityDay.monitor_id.in_(ids), AvailabilityDay.day < first, AvailabilityDay.day >= oldest
        )
        .group_by(AvailabilityDay.monitor_id)
      ).all()
    )
    without = [ident for ident in ids if ident not in previous]
    # A history older than any stored day (the plugin was just installed): every shown day.
    older = statuses_at(session, without, day_start(first)) if without else {}
    for ident in ids:
      if ident in previous:
        ranges[ident] = (previous[ident], ranges[ident][1])
      elif older.get(ident) is not None:
        ranges[ident] = (oldest, ranges[ident][1])

  start = day_start(min(first for first, _ in ranges.values()))
  end = min(day_start(max(last for _, last in ranges.values())) + DAY, now)
  initial = statuses_at(session, ranges, start)
  changes: dict[int, list] = {}
  for ident, when, status in session.execute(
    select(MonitorStatusChange.monitor_id, MonitorStatusChange.changed_at, MonitorStatusChange.new_status)
    .where(
      MonitorStatusChange.monitor_id.in_(list(ranges)),
      MonitorStatusChange.changed_at > start,
      MonitorStatusChange.changed_at < end,
    )
    .order_by(MonitorStatusChange.monitor_id, MonitorStatusChange.changed_at, MonitorStatusChange.id)
  ):
    changes.setdefault(ident, []).append((when, status))
  windows: dict[tuple, list] = {}
  for scope_id, service_id, begin, finish in session.execute(
    select(Maintenance.scope_id, Maintenance.service_id, Maintenance.start_date, Maintenance.end_date).where(
      tuple_(Maintenance.scope_id, Maintenance.service_id).in_(sorted(set(pairs[ident] for ident in ranges))),
      Maintenance.start_date.is_not(None),
      Maintenance.start_date < end,
      or_(Maintenance.end_date.is_(None), Maintenance.end_date > start),
    )
  ):
    windows.setdefault((scope_id, service_id), []).append((max(begin, start), min(finish or now, end)))

  rows, counts = [], {}
  for ident, (first, last) in ranges.items():
    # The status when this monitor's own first day starts, and its changes after that.
    status, later = initial.get(ident), []
    for when, new in changes.get(ident, []):
      if when <= day_start(first):
        status = new
      else:
        later.append((when, new))
    days = compute_days(status, later, windows.get(pairs[ident], []), first, last, now)
    counts[ident] = len(days)
    rows.extend(
      {
        "monitor_id": ident,
        "day": figures.day,
        "ok_seconds": round(figures.seconds[MonitorStatus.OK]),
        "warning_seconds": round(figures.seconds[MonitorStatus.WARNING]),
        "alert_seconds": round(figures.seconds[MonitorStatus.ALERT]),
        "maintenance_seconds": round(figures.maintenance),
        "worst": figures.worst,
        "computed_until": figures.until,
      }
      for figures in days
    )
  for (first, last), ids in grouped(ranges, None).items():
    session.execute(
      delete(AvailabilityDay).where(
        AvailabilityDay.monitor_id.in_(ids), AvailabilityDay.day >= first, AvailabilityDay.day <= last
      )
    )
  if rows:
    session.execute(insert(AvailabilityDay), rows)
  return counts
