"""Writing converted 0.22 rows into a ProdManager database at its heads: the one writer of the
in-place upgrade (ids kept) and of the import (new ids, mapped).

The tables are written through their own column lists below, as migrations do, not through the
plugins' models: a change to one of these tables changes this list too (the tests, which compare
every field of every row, say so).
"""

import secrets

import sqlalchemy as sa

from ..db import UTCDateTime, utcnow
from .convert import KINDS, PARENTS, Converter, Report, Unconvertible

# This module's own view of the tables, apart from the application's metadata.
metadata = sa.MetaData()


def _view(name: str, *columns: str, dates: tuple = (), flags: tuple = ()) -> sa.Table:
  return sa.Table(
    name,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    *[sa.Column(column, sa.Integer if column.endswith("_id") else sa.String) for column in columns],
    *[sa.Column(column, UTCDateTime()) for column in dates],
    *[sa.Column(column, sa.Boolean()) for column in flags],
  )


GROUP = ("name", "description")
PAIR = ("scope_id", "service_id")
EVENT = ("parent_id", "type", "content", "author", "old_status", "new_status")
TARGETS = {
  "app_config": _view("app_config", "uuid"),
  "scope": _view("scope", *GROUP),
  "service": _view("service", *GROUP),
  "monitor": _view("monitor", *GROUP, "status", "integration", "external_reference", "external_link", *PAIR),
  "incident": _view(
    "incident",
    *GROUP,
    "external_reference",
    "external_link",
    "severity",
    "status",
    *PAIR,
    dates=("creation_date", "start_impact_date", "investigation_date", "stable_date", "resolve_date"),
  ),
  "incident_event": _view("incident_event", *EVENT, dates=("creation_date",), flags=("internal",)),
  "maintenance": _view(
    "maintenance",
    *GROUP,
    "external_reference",
    "external_link",
    "status",
    "service_status",
    *PAIR,
    dates=("creation_date", "scheduled_start_date", "scheduled_end_date", "start_date", "end_date"),
  ),
  "maintenance_event": _view("maintenance_event", *EVENT, dates=("creation_date",), flags=("internal",)),
  "announcement": _view(
    "announcement", *GROUP, "level", *PAIR, dates=("creation_date", "start_date", "end_date")
  ),
  "subscriber": _view("legacy_subscriber", "email", dates=("imported_at",), flags=("confirmed",)),
}
# The notification plugin's subscribers, where 0.22's go when it is installed (its table exists).
NOTIFICATION_SUBSCRIBER = _view(
  "notification_subscriber",
  "channel",
  "email",
  "name",
  "token",
  "kinds",
  dates=("created_at", "confirmed_at"),
  flags=("all_events",),
)
MONITOR_HISTORY = _view(
  "monitor_status_change", "monitor_id", "old_status", "new_status", dates=("changed_at",)
)
MAPPING = _view("legacy_import", "source", "kind", "old_id", "new_id", dates=("imported_at",))
# Rows matched by a unique value instead of created: (column, outcome of the report).
MATCHED = {
  "scope": ("name", "merged with the existing scope of the same name"),
  "service": ("name", "merged with the existing service of the same name"),
  "subscriber": ("email", "already subscribed"),
}
BATCH = 500


def mapping_of(connection, source: str) -> dict[tuple[str, int], int]:
  """``(kind, 0.22 id) -> id here`` of the rows already brought over from ``source``."""
  rows = connection.execute(
    sa.select(MAPPING.c.kind, MAPPING.c.old_id, MAPPING.c.new_id).where(MAPPING.c.source == source)
  )
  return {(kind, old): new for kind, old, new in rows}


def _insert(connection, table, rows: list[dict], keep_ids: bool) -> list[int]:
  """Insert ``rows``; returns their ids (kept, or given by the database in the rows' order)."""
  ids = []
  for start in range(0, len(rows), BATCH):
    batch = rows[start : start + BATCH]
    if keep_ids:
      connection.execute(table.insert(), batch)
      ids += [row["id"] for row in batch]
    else:
      statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
      ids += [ident for (ident,) in connection.execute(statement, batch)]
  return ids


def transfer(
  connection, data: dict[str, list[dict]], converter: Converter, source: str, keep_ids: bool
) -> Report:
  """Write the 0.22 rows ``data`` (from :func:`.convert.read`) on ``connection``, in its transaction.

  ``keep_ids``: the rows keep their 0.22 ids (the in-place upgrade, into empty tables); otherwise
  they get new ids, rows already brought over from ``source`` are left alone, scopes and services
  whose name exists are merged with the existing ones, and subscribers already here are kept."""
  report = converter.report
  report.source = source
  mapping = mapping_of(connection, source)
  targets = {**TARGETS, "subscriber": subscriber_table(connection)}
  recorded = []
  now = utcnow()
  for kind in KINDS:
    table = targets[kind]
    matched = MATCHED.get(kind)
    existing = {}
    if matched and not keep_ids:
      column = matched[0]
      existing = dict(connection.execute(sa.select(table.c[column], table.c.id)).all())
    if kind == "app_config" and not keep_ids:
      existing = dict.fromkeys(connection.execute(sa.select(table.c.id)).scalars(), True)
    pending = []
    for row in data[kind]:
      old = row["id"]
      if (kind, old) in mapping:
        report.count(kind, "already imported")
        continue
      try:
        new = converter.convert(kind, row)
      except Unconvertible as error:
        report.skip(kind, old, str(error))
        continue
      missing = None
      for column, parent in PARENTS.get(kind, {}).items():
        ident = mapping.get((parent, new[column]))
        if ident is None:
          missing = f"its {parent} {new[column]} is not in 0.22's database or could not be brought over"
          break
        new[column] = ident
      if missing:
        report.skip(kind, old, missing)
        continue
      if kind == "app_config" and existing:
        # The instance keeps its own identity; the source is named by this uuid in legacy_import.
        report.skip(kind, old, "this database has its own app_config already")
        continue
      if kind == "subscriber" and table is NOTIFICATION_SUBSCRIBER:
        new["email"] = new["email"].lower()  # the notification plugin's addresses are lower-case
      if matched and new[matched[0]] in existing:
        mapping[(kind, old)] = existing[new[matched[0]]]
        recorded.append({"kind": kind, "old_id": old, "new_id": mapping[(kind, old)]})
        report.count(kind, matched[1])
        continue
      if kind == "subscriber":
        new = subscriber_row(table, new, now)
      if not keep_ids:
        del new["id"]
      pending.append((old, new))
    ids = _insert(connection, table, [new for _, new in pending], keep_ids)
    for (old, _), ident in zip(pending, ids, strict=True):
      mapping[(kind, old)] = ident
      recorded.append({"kind": kind, "old_id": old, "new_id": ident})
    if pending:
      report.count(kind, "imported", len(pending))
    if kind == "monitor" and pending:
      # Availability counts from the monitor status history: it starts with the status 0.22 had.
      history = [
        {"monitor_id": ident, "old_status": None, "new_status": new["status"], "changed_at": now}
        for (_, new), ident in zip(pending, ids, strict=True)
      ]
      for start in range(0, len(history), BATCH):
        connection.execute(MONITOR_HISTORY.insert(), history[start : start + BATCH])
  for row in recorded:
    row.update(source=source, imported_at=now)
  for start in range(0, len(recorded), BATCH):
    connection.execute(MAPPING.insert(), recorded[start : start + BATCH])
  return report


def subscriber_table(connection) -> sa.Table:
  """Where 0.22's subscribers go: the notification plugin's table, else the holding table."""
  if sa.inspect(connection).has_table(NOTIFICATION_SUBSCRIBER.name):
    return NOTIFICATION_SUBSCRIBER
  return TARGETS["subscriber"]


def subscriber_row(table, new: dict, now) -> dict:
  """A confirmed e-mail subscriber of every notification (0.22 had no filters): confirmed now,
  since subscribing to 0.22 was the confirmation. Nothing is sent to it until an event."""
  if table is not NOTIFICATION_SUBSCRIBER:
    return {**new, "imported_at": now}
  return {
    "id": new["id"],
    "channel": "email",
    "email": new["email"],
    "name": "",
    "token": secrets.token_urlsafe(32),  # its unsubscribe and manage links' secret
    "kinds": "",
    "all_events": True,
    "created_at": now,
    "confirmed_at": now,
  }


def reset_sequences(connection) -> None:
  """After rows were written with their ids on PostgreSQL: the next id of each table follows them."""
  for table in [*(view.name for view in TARGETS.values()), NOTIFICATION_SUBSCRIBER.name]:
    if not sa.inspect(connection).has_table(table):
      continue
    connection.execute(
      sa.text(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
        f"FROM {table}"
      )
    )
