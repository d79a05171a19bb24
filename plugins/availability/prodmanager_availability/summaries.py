"""Storing the components' 90-day summaries, one row per (scope, service) pair with monitors.

The dashboard and the scope and service pages show a bar per pair with its summary in words (uptime,
outage and degraded days): summing 90 days of every monitor at each render was most of a dashboard
of 1,000 monitors (docs/performance.md). The summaries are stored instead and kept as current as
the days they are made of:

- the worker's job rewrites every pair's row right after it rolls up the days, in the transaction
  of its last batch (:func:`store_all`): what the days say once they are extended up to now, and any
  change the hooks below could not see (rows written without the ORM session, a pair emptied);
- a committed change that recomputes days (a status change, a maintenance, a monitor moved) or
  removes them (a monitor deleted) rewrites the rows of the pairs concerned, the former pair of a
  moved monitor included, in its own commit (:func:`refresh`, called by :mod:`.tracking`);
- each row holds the UTC day its 90 days end at: after midnight, until the job has run again, the
  reads sum the days themselves (:func:`prodmanager_availability.figures.pair_summaries`), as they
  do while nothing is stored or a pair shown has no row yet (a monitor created in a new pair).

So the bars' words are those of the days as stored, like the bars' images (:mod:`.image`).
"""

import datetime as dt

from sqlalchemy import delete, insert, select, true, tuple_

from prodmanager.db import utcnow
from prodmanager_monitor.models import Monitor

from .figures import summary_statement, summary_values
from .models import AvailabilityPairSummary
from .rollup import utc_day


def store_all(session, now: dt.datetime | None = None) -> int:
  """Rewrite the summary of every pair with monitors; returns how many pairs.

  Every monitor's row is locked first, in id order (on PostgreSQL; SQLite has one writer at a time),
  as :func:`prodmanager_availability.rollup.recompute_many` locks those it recomputes: a change
  recomputing days meanwhile commits before the summaries are read, or waits for them and
  rewrites its own pairs after."""
  today = utc_day(now or utcnow())
  session.execute(select(Monitor.id).order_by(Monitor.id).with_for_update()).all()
  rows = [{**summary_values(row), "day": today} for row in session.execute(summary_statement(today))]
  session.execute(delete(AvailabilityPairSummary))
  if rows:
    session.execute(insert(AvailabilityPairSummary), rows)
  return len(rows)


def refresh(session, pairs, now: dt.datetime | None = None) -> None:
  """Rewrite the summaries of ``pairs`` (``(scope id, service id)``; a pair left without monitors
  loses its row), when the stored ones are of today: else the reads sum the days until the job
  rewrites them all, and a row of today among rows of yesterday would change nothing.

  Two commits refreshing one pair (status changes of two of its monitors) take turns: the pairs'
  rows are locked first, in pair order (on PostgreSQL), so the second reads the days the first
  committed, and the rows are updated in place (``ON CONFLICT``), so it does not fail on the
  primary key the first one's insert took (it did with a delete and an insert)."""
  pairs = sorted(set(pairs))
  if not pairs:
    return
  today = utc_day(now or utcnow())
  table = AvailabilityPairSummary
  if session.scalar(select(table.day).where(table.day == today).limit(1)) is None:
    return
  where = tuple_(table.scope_id, table.service_id).in_(pairs)
  session.execute(
    select(table.scope_id).where(where).order_by(table.scope_id, table.service_id).with_for_update()
  ).all()
  rows = [
    {**summary_values(row), "day": today} for row in session.execute(summary_statement(today, pairs=pairs))
  ]
  kept = [(row["scope_id"], row["service_id"]) for row in rows]
  session.execute(
    delete(table).where(where, tuple_(table.scope_id, table.service_id).not_in(kept) if kept else true())
  )
  if rows:
    upsert(session, rows)


def upsert(session, rows: list[dict]) -> None:
  """Insert the rows, or update the row of a pair that has one (the dialects' ``ON CONFLICT``)."""
  if session.get_bind().dialect.name == "postgresql":
    from sqlalchemy.dialects.postgresql import insert as dialect_insert
  else:
    from sqlalchemy.dialects.sqlite import insert as dialect_insert
  statement = dialect_insert(AvailabilityPairSummary)
  names = [name for name in rows[0] if name not in ("scope_id", "service_id")]
  session.execute(
    statement.on_conflict_do_update(
      index_elements=["scope_id", "service_id"], set_={name: statement.excluded[name] for name in names}
    ),
    rows,
  )
