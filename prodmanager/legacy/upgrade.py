"""A ProdManager 0.22 database recognised, upgraded in place, or imported into this one.

* :func:`upgrade_in_place` (``prodmanager migrate --upgrade-0.22``, and ``serve`` in standalone
  mode): SQLite first gets a backup copy of its file; then, in one transaction (all or nothing on
  both backends), 0.22's rows are read, its tables (and on PostgreSQL its native enum types) are
  dropped, our alembic chain creates our tables, and the rows are written back converted with
  their ids. ``prodmanager migrate`` then continues as for any database of ours.
* :func:`import_from` (``prodmanager import --from URL``): the same conversion from a 0.22
  database, left untouched, into this one; idempotent through ``legacy_import``.

docs/upgrading.md, "Their data", tells the administrator's side.
"""

import datetime as dt
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import pool

from ..db import engine_url, get_engine, sqlite_writes
from ..migrate import MIGRATION_LOCK_KEY, _sqlite_file, alembic_config, current, record_branches
from ..settings import ConfigurationError
from . import schema
from .convert import Converter, Report, Unconvertible, read
from .detect import DOC, LegacyDatabase, check_source, explain, legacy_revisions
from .transfer import reset_sequences, transfer

__all__ = [
  "IncompleteUpgrade",
  "LegacyDatabase",
  "explain",
  "import_from",
  "legacy_revisions",
  "upgrade_in_place",
]


class IncompleteUpgrade(ConfigurationError):
  """Some 0.22 rows have no equivalent here: nothing was changed (the report lists them)."""

  def __init__(self, report: Report):
    self.report = report
    lines = [
      "the 0.22 database was left as it was: these rows cannot be converted, correct them in 0.22 first",
      *[f"  {kind} {ident}: {reason}" for kind, ident, reason in report.skipped],
      f"  See {DOC}.",
    ]
    super().__init__("\n".join(lines))


def source_name(data: dict, database_uri: str) -> str:
  """How ``legacy_import`` names a 0.22 database: its instance uuid, else its URL."""
  for row in data.get("app_config", ()):
    return f"0.22:{row['uuid']}"
  return "0.22:" + engine_url(database_uri).render_as_string(hide_password=True)


def backup_sqlite(path: Path, backup: Path | None = None) -> Path:
  """A consistent copy of the SQLite file ``path`` (SQLite's backup API, WAL included)."""
  stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
  backup = backup or path.with_name(f"{path.name}.0.22-backup-{stamp}")
  if backup.exists():
    raise ConfigurationError(f"the backup file {backup} exists already: give another path")
  backup.parent.mkdir(parents=True, exist_ok=True)
  source = sqlite3.connect(path)
  try:
    target = sqlite3.connect(backup)
    try:
      source.backup(target)
    finally:
      target.close()
  finally:
    source.close()
  return backup


def upgrade_in_place(database_uri: str, timezone: str = "UTC", backup: Path | None = None) -> Report:
  """Convert the 0.22 database ``database_uri`` into ours, ids kept (see the module's docstring).

  ``timezone`` is the zone 0.22's server ran in; ``backup`` the SQLite copy's path (by default next
  to the file). Returns the report; raises :class:`IncompleteUpgrade` (nothing changed) when a row
  cannot be converted."""
  check_source(current(database_uri))
  converter = Converter(timezone)
  sqlite_file = _sqlite_file(database_uri)
  cfg = alembic_config(database_uri)
  engine = get_engine(database_uri, poolclass=pool.NullPool)
  token = sqlite_writes.set(True)  # SQLite: take the write lock at BEGIN
  try:
    with engine.connect() as connection:
      with connection.begin():
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
          # Replicas starting together in standalone mode: one upgrades, the others wait here and
          # then find a database of ours (the lock is released with the transaction).
          connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        if not legacy_revisions(MigrationContext.configure(connection).get_current_heads()):
          converter.report.note("database", "-", "upgraded by another process meanwhile: nothing to do")
          return converter.report
        if sqlite_file is not None:
          # Under the write lock taken at BEGIN: the copy is the state converted (readers, such as
          # the copy's connection, go on meanwhile).
          converter.report.backup = backup_sqlite(sqlite_file, backup)
        try:
          data = read(connection)
        except Unconvertible as error:
          raise LegacyDatabase(f"this 0.22 database cannot be upgraded: {error}. See {DOC}.") from None
        for table in schema.TABLES:
          connection.execute(sa.text(f"DROP TABLE {table}"))
        connection.execute(sa.text("DELETE FROM alembic_version"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")
        report = transfer(connection, data, converter, source_name(data, database_uri), keep_ids=True)
        if report.skipped:
          raise IncompleteUpgrade(report)
        if postgresql:
          reset_sequences(connection)
          for name in schema.ENUM_TYPES:
            connection.execute(sa.text(f"DROP TYPE IF EXISTS {name}"))
  finally:
    sqlite_writes.reset(token)
    engine.dispose()
  cfg.attributes.pop("connection", None)
  record_branches(cfg, database_uri)
  return report


def import_from(source_uri: str, target_uri: str, timezone: str = "UTC") -> Report:
  """Import the 0.22 database ``source_uri`` (only read) into ``target_uri``, a database of ours at
  its heads, in one transaction; rows imported before from the same source are skipped."""
  source_file = _sqlite_file(source_uri)
  if source_file is not None and not source_file.is_file():
    raise ConfigurationError(f"--from {source_uri}: there is no file {source_file}")
  check_source(current(source_uri))
  source = get_engine(source_uri, poolclass=pool.NullPool)
  try:
    with source.connect() as connection:
      try:
        data = read(connection)
      except Unconvertible as error:
        raise ConfigurationError(f"--from {source_uri}: {error}. See {DOC}.") from None
      connection.rollback()
  finally:
    source.dispose()
  converter = Converter(timezone)
  target = get_engine(target_uri, poolclass=pool.NullPool)
  token = sqlite_writes.set(True)
  try:
    with target.begin() as connection:
      return transfer(connection, data, converter, source_name(data, source_uri), keep_ids=False)
  finally:
    sqlite_writes.reset(token)
    target.dispose()
