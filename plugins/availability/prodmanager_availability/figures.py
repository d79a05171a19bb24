"""Reading the roll-ups: uptime percentages and the days of the 90-day bars, per monitor and summed
over the monitors of a scope, a service or a (scope, service) pair.

Each read is one grouped query over the stored days (at most 90 per monitor), whatever the number
of rows asked for; nothing here reads the status history. Figures are time-weighted: a scope's
uptime is the up time of all its monitors divided by their measured time.

Uptime = (ok + warning) ÷ (ok + warning + alert) over the measured time, which leaves maintenance
windows and the time without data out: a warning is "up but degraded" (as Statuspage and Uptime
Kuma count it), it colours the day's bar but does not lower the percentage. Periods are UTC days,
today included: 7 d is today and the 6 days before. 24 h is today's measured time plus the share of
yesterday's that falls within the last 24 hours (yesterday's figures pro rata).

A page showing figures changes at the next UTC midnight even without a write (the days move on):
the read declares it (:func:`prodmanager.cache.changes_at`).
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, distinct, func, select, tuple_

from prodmanager.cache import changes_at
from prodmanager.db import utcnow
from prodmanager_monitor.models import STATUSES, Monitor

from .models import AvailabilityDay, AvailabilityPairSummary
from .rollup import DAY, HORIZON_DAYS, day_start, first_kept_day, utc_day

PERIODS = {"24h": 1, "7d": 7, "30d": 30, "90d": 90}
# Beyond that many pairs shown, their stored summaries are read by the page's restriction alone
# (within any backend's limit of bound values, and a full read is as cheap then).
SHOWN_PAIRS_MAX = 500
DAY_SECONDS = 86_400


def percent(up: float, measured: float) -> float | None:
  """Up time as a percentage with 2 decimals, rounded down: 99.999 % is not shown as 100 %."""
  # Whole seconds: the floor of an exact ratio (a float ratio of equal sums can fall just below 1).
  up, measured = round(up), round(measured)
  if measured <= 0:
    return None
  return min(up, measured) * 10_000 // measured / 100


@dataclass(frozen=True)
class DayBar:
  """One day of a bar: its status (``ok``, ``warning``, ``alert``, ``maintenance`` or ``none``),
  uptime percentage (None without measured time) and seconds."""

  date: dt.date
  status: str
  uptime: float | None
  ok: int = 0
  warning: int = 0
  alert: int = 0
  maintenance: int = 0

  def as_json(self) -> dict:
    return {
      "date": self.date.isoformat(),
      "status": self.status,
      "uptime": self.uptime,
      "seconds": {
        "ok": self.ok,
        "warning": self.warning,
        "alert": self.alert,
        "maintenance": self.maintenance,
      },
    }


def key_columns(axis: str) -> tuple:
  """The columns a read groups by: a monitor, a scope, a service or a (scope, service) pair."""
  return {
    "monitor": (AvailabilityDay.monitor_id,),
    "scope": (Monitor.scope_id,),
    "service": (Monitor.service_id,),
    "pair": (Monitor.scope_id, Monitor.service_id),
  }[axis]


def restricted(statement, axis: str, ids):
  """``statement`` over the roll-ups, joined to the monitors when grouping by their parents, and
  restricted to ``ids`` (None: every row; for pairs, ``(scope id | None, service id | None)``)."""
  if axis != "monitor":
    statement = statement.join(Monitor, Monitor.id == AvailabilityDay.monitor_id)
  if axis == "pair":
    scope_id, service_id = ids or (None, None)
    if scope_id is not None:
      statement = statement.where(Monitor.scope_id == scope_id)
    if service_id is not None:
      statement = statement.where(Monitor.service_id == service_id)
    return statement
  if ids is not None:
    statement = statement.where(key_columns(axis)[0].in_(list(ids)))
  return statement


def _key(row, size: int):
  return tuple(row[:size]) if size > 1 else row[0]


def next_midnight(now: dt.datetime) -> dt.datetime:
  return day_start(utc_day(now)) + DAY


def uptimes(db, axis: str, ids, now: dt.datetime | None = None) -> dict:
  """``{key: {"24h": %, "7d": %, "30d": %, "90d": %}}`` (None where nothing was measured)."""
  now = now or utcnow()
  changes_at(next_midnight(now))
  today = utc_day(now)
  up = AvailabilityDay.ok_seconds + AvailabilityDay.warning_seconds
  measured = up + AvailabilityDay.alert_seconds

  def since(days: int):
    first = today - dt.timedelta(days=days - 1)
    return (
      func.sum(case((AvailabilityDay.day >= first, up), else_=0)),
      func.sum(case((AvailabilityDay.day >= first, measured), else_=0)),
    )

  yesterday = today - DAY
  columns = key_columns(axis)
  statement = select(
    *columns,
    func.sum(case((AvailabilityDay.day == today, up), else_=0)),
    func.sum(case((AvailabilityDay.day == today, measured), else_=0)),
    func.sum(case((AvailabilityDay.day == yesterday, up), else_=0)),
    func.sum(case((AvailabilityDay.day == yesterday, measured), else_=0)),
    *since(7),
    *since(30),
    *since(HORIZON_DAYS),
  ).where(AvailabilityDay.day >= first_kept_day(today))
  statement = restricted(statement, axis, ids).group_by(*columns)
  # The share of yesterday that the last 24 hours cover.
  share = 1 - (now - day_start(today)).total_seconds() / DAY_SECONDS
  size = len(columns)
  result = {}
  for row in (tuple(row) for row in db.execute(statement)):
    key = _key(row, size)
    t_up, t_measured, y_up, y_measured, w_up, w_measured, m_up, m_measured, q_up, q_measured = (
      int(value or 0) for value in row[size:]
    )
    result[key] = {
      "24h": percent(t_up + share * y_up, t_measured + share * y_measured),
      "7d": percent(w_up, w_measured),
      "30d": percent(m_up, m_measured),
      "90d": percent(q_up, q_measured),
    }
  return result


def empty_uptime() -> dict:
  return dict.fromkeys(PERIODS)


def day_status(worst: int | None, maintenance: int) -> str:
  if worst is not None:
    return STATUSES[worst]
  return "maintenance" if maintenance else "none"


def bars(db, axis: str, ids, now: dt.datetime | None = None) -> dict:
  """``{key: [DayBar, ...]}``: the :data:`HORIZON_DAYS` days of each key, oldest first, the days
  without data included (status ``none``)."""
  now = now or utcnow()
  changes_at(next_midnight(now))
  today = utc_day(now)
  first = first_kept_day(today)
  columns = key_columns(axis)
  statement = select(
    *columns,
    AvailabilityDay.day,
    func.sum(AvailabilityDay.ok_seconds),
    func.sum(AvailabilityDay.warning_seconds),
    func.sum(AvailabilityDay.alert_seconds),
    func.sum(AvailabilityDay.maintenance_seconds),
    func.max(AvailabilityDay.worst),
  ).where(and_(AvailabilityDay.day >= first, AvailabilityDay.day <= today))
  statement = restricted(statement, axis, ids).group_by(*columns, AvailabilityDay.day)
  size = len(columns)
  found: dict = {}
  for row in (tuple(row) for row in db.execute(statement)):
    key = _key(row, size)
    day, ok, warning, alert, maintenance, worst = row[size:]
    ok, warning, alert, maintenance = (int(value or 0) for value in (ok, warning, alert, maintenance))
    found.setdefault(key, {})[day] = DayBar(
      day,
      day_status(worst, maintenance),
      percent(ok + warning, ok + warning + alert),
      ok,
      warning,
      alert,
      maintenance,
    )
  return {key: series(days, first, today) for key, days in found.items()}


def series(days: dict, first: dt.date, today: dt.date) -> list[DayBar]:
  result = []
  day = first
  while day <= today:
    result.append(days.get(day) or DayBar(day, "none", None))
    day += DAY
  return result


def no_data(now: dt.datetime | None = None) -> list[DayBar]:
  """The bar of something without any roll-up: every day without data."""
  today = utc_day(now or utcnow())
  return series({}, first_kept_day(today), today)


@dataclass(frozen=True)
class PairSummary:
  """What a component's bar image says in words: its 90-day uptime (None without measured time)
  and how many of its days had an outage (some alert) or were degraded (warnings, no alert)."""

  uptime: float | None
  outage_days: int
  degraded_days: int


def summary_statement(today: dt.date, restriction=None, pairs=None):
  """The grouped query of the pairs' summaries over the days ``first_kept_day(today)..today``: a
  row ``(scope id, service id, up seconds, measured seconds, outage days, flagged days, day rows)``
  per pair that has monitors (none of its days: zeros), under ``restriction`` (see
  :func:`restricted`) or among ``pairs`` (a collection of ``(scope id, service id)``)."""
  up = AvailabilityDay.ok_seconds + AvailabilityDay.warning_seconds
  alert, warning = STATUSES.index("alert"), STATUSES.index("warning")
  columns = key_columns("pair")
  # A pair's day is an outage day when one of its monitors had an alert, degraded when the worst
  # was a warning: the days with a warning or worse, less the outage days.
  statement = (
    select(
      *columns,
      func.sum(up),
      func.sum(up + AvailabilityDay.alert_seconds),
      func.count(distinct(case((AvailabilityDay.worst == alert, AvailabilityDay.day)))),
      func.count(distinct(case((AvailabilityDay.worst >= warning, AvailabilityDay.day)))),
      func.count(AvailabilityDay.day),
    )
    .select_from(Monitor)
    .outerjoin(
      AvailabilityDay,
      and_(
        AvailabilityDay.monitor_id == Monitor.id,
        AvailabilityDay.day >= first_kept_day(today),
        AvailabilityDay.day <= today,
      ),
    )
  )
  scope_id, service_id = restriction or (None, None)
  if scope_id is not None:
    statement = statement.where(Monitor.scope_id == scope_id)
  if service_id is not None:
    statement = statement.where(Monitor.service_id == service_id)
  if pairs is not None:
    statement = statement.where(tuple_(Monitor.scope_id, Monitor.service_id).in_(sorted(pairs)))
  return statement.group_by(*columns)


def summary_values(row) -> dict:
  """The stored columns of a row of :func:`summary_statement`."""
  scope_id, service_id, up_seconds, measured, outages, flagged, day_rows = row
  return {
    "scope_id": scope_id,
    "service_id": service_id,
    "up_seconds": int(up_seconds or 0),
    "measured_seconds": int(measured or 0),
    "outage_days": int(outages or 0),
    "degraded_days": int(flagged or 0) - int(outages or 0),
    "day_rows": int(day_rows or 0),
  }


def summary(values: dict) -> PairSummary:
  """The :class:`PairSummary` of the stored columns ``values``."""
  return PairSummary(
    percent(values["up_seconds"], values["measured_seconds"]), values["outage_days"], values["degraded_days"]
  )


def pair_summaries(db, restriction, now: dt.datetime | None = None, pairs=None) -> dict:
  """``{(scope_id, service_id): PairSummary}`` of the pairs under ``restriction`` (see
  :func:`restricted`) that have days, a pair without any day having no summary.

  Read from the summaries stored per pair (:mod:`.summaries`: one row per pair, what the job
  computed after its last roll-up and the changes committed since). When they cannot be trusted,
  the pairs' days are summed now, one grouped query as before the summaries were stored: no stored
  row under ``restriction``, a row of an earlier UTC day (the days moved on and the job has not run
  since), or a pair of ``pairs`` (the pairs shown, when given) without a row (a new pair). With
  ``pairs``, only the rows of those pairs are read (up to :data:`SHOWN_PAIRS_MAX` of them)."""
  now = now or utcnow()
  changes_at(next_midnight(now))
  today = utc_day(now)
  table = AvailabilityPairSummary
  # Columns, not objects: a dashboard reads 1,000 rows at each render.
  statement = select(
    table.scope_id,
    table.service_id,
    table.day,
    table.up_seconds,
    table.measured_seconds,
    table.outage_days,
    table.degraded_days,
    table.day_rows,
  )
  scope_id, service_id = restriction or (None, None)
  if scope_id is not None:
    statement = statement.where(table.scope_id == scope_id)
  if service_id is not None:
    statement = statement.where(table.service_id == service_id)
  if pairs is not None and len(pairs) <= SHOWN_PAIRS_MAX:
    # A compact dashboard shows a few of its pairs: only their rows (two bound values each).
    statement = statement.where(tuple_(table.scope_id, table.service_id).in_(sorted(pairs)))
  stored = {(row[0], row[1]): row[2:] for row in db.execute(statement)}
  current = (
    bool(stored)
    and all(row[0] == today for row in stored.values())
    and (pairs is None or all(pair in stored for pair in pairs))
  )
  if current:
    return {
      pair: PairSummary(percent(up_seconds, measured), outages, degraded)
      for pair, (_day, up_seconds, measured, outages, degraded, day_rows) in stored.items()
      if day_rows
    }
  result = {}
  for row in db.execute(summary_statement(today, restriction)):
    values = summary_values(row)
    if values["day_rows"]:
      result[(values["scope_id"], values["service_id"])] = summary(values)
  return result
