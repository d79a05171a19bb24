"""Database migrations: one alembic environment, the core's branch and one branch per plugin.

Alembic is configured here in code (no ``alembic.ini`` needed at runtime). The core's alembic
environment is the top-level ``migrations/`` folder of the source tree, which ships in the wheel as
the package ``prodmanager.migrations``: it is found through that package, installed or editable.

The version folders of every *installed* plugin stay on the path, enabled or not: a database that
a disabled plugin once migrated still holds that plugin's revision, and alembic fails on every
command when it cannot locate a revision recorded in ``alembic_version``. A revision that no
installed plugin provides any more (its plugin was uninstalled) is reported by
:class:`OrphanedRevisions` with the ways out (docs/install.md, "Uninstalling a plugin").
"""

import logging
import os
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import String, delete, inspect, select, text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, engine_url, get_engine
from .legacy.detect import LegacyDatabase, explain, legacy_revisions
from .plugins import Plugin, installed_plugins
from .settings import ConfigurationError
from .version import __version__

log = logging.getLogger(__name__)

MIGRATIONS_PACKAGE = "prodmanager.migrations"
VERSION_TABLE = "alembic_version"  # alembic's default, which migrations/env.py keeps
# Key of the PostgreSQL advisory lock held while migrating (migrations/env.py) and while recording
# the branches. Any fixed number works as long as every replica uses the same one; this is
# "PRODMGR" in ASCII.
MIGRATION_LOCK_KEY = 0x50524F444D4752
UNINSTALL_DOC = "docs/install.md, section 'Uninstalling a plugin'"


def core_migrations() -> Path:
  """The folder of the core's alembic environment (``env.py``, ``versions/``), found through its package."""
  try:
    folder = Path(str(files(MIGRATIONS_PACKAGE)))
  except ModuleNotFoundError:
    folder = None
  if folder is None or not (folder / "env.py").is_file():
    raise ConfigurationError(
      f"the package {MIGRATIONS_PACKAGE} (the core's migrations) is missing or incomplete: "
      "reinstall ProdManager (pip install prodmanager, or `make install` in a source checkout)"
    )
  return folder


class BranchRecord(Base):
  """Which branch, plugin and distribution a revision of ``alembic_version`` belongs to.

  Written after every migration, for the revisions the database is then at; read when one of them
  is no longer provided (its plugin was uninstalled) to say which plugin to reinstall."""

  __tablename__ = "branch_record"

  revision: Mapped[str] = mapped_column(String(64), primary_key=True)
  branch: Mapped[str] = mapped_column(String(255))
  plugin: Mapped[str] = mapped_column(String(255))
  distribution: Mapped[str] = mapped_column(String(255))


def plugin_migrations(spec: str, plugin_id: str = "") -> Path:
  """The folder named by an asset spec such as ``prodmanager_scope:migrations``."""
  package, _, folder = spec.partition(":")
  try:
    path = Path(str(files(package).joinpath(folder)))
  except (ModuleNotFoundError, TypeError) as error:
    raise ConfigurationError(f"plugin {plugin_id!r}: migrations {spec!r} cannot be found: {error}") from error
  if not path.is_dir():
    raise ConfigurationError(f"plugin {plugin_id!r}: migrations folder {path} does not exist")
  return path


def broken_plugins() -> list[Plugin]:
  """Installed plugins that cannot be loaded: their migrations cannot be read."""
  return [plugin for plugin in installed_plugins().values() if plugin.error]


def version_locations(warn: bool = True) -> list[str]:
  """The core's versions folder, then the migrations folder of every installed plugin that loads.

  A broken plugin is skipped (with a warning unless ``warn`` is false): it stops nothing until it
  is enabled, or until the database holds one of its revisions, which :func:`check_revisions` then
  explains."""
  locations = [str(core_migrations() / "versions")]
  for plugin in installed_plugins().values():
    if plugin.error:
      if warn:
        log.warning("plugin %s %s: its migrations are skipped", plugin.label, plugin.error)
      continue
    if plugin.migrations:
      locations.append(str(plugin_migrations(plugin.migrations, plugin.id)))
  return locations


def alembic_config(database_uri: str) -> Config:
  """An alembic configuration for ``database_uri``, built without an INI file."""
  cfg = Config()
  # ConfigParser interpolates "%", which may appear in a path or in a URL-encoded password.
  cfg.set_main_option("script_location", str(core_migrations()).replace("%", "%%"))
  cfg.set_main_option("path_separator", "os")
  cfg.set_main_option("version_locations", os.pathsep.join(version_locations()).replace("%", "%%"))
  cfg.attributes["url"] = database_uri
  return cfg


def branch_heads(plugin: Plugin) -> list[tuple[str, str]]:
  """``(branch, head revision)`` of each branch in a loaded plugin's migrations folder."""
  if not plugin.migrations:
    return []
  folder = plugin_migrations(plugin.migrations, plugin.id).resolve()
  # The whole map, not the plugin's folder alone: its revisions may depend on other branches.
  script = ScriptDirectory(str(core_migrations()), version_locations=version_locations(warn=False))
  own = [revision for revision in script.walk_revisions() if Path(revision.path).resolve().parent == folder]
  parents = set()
  for revision in own:
    down = revision.down_revision  # None, one revision, or several (a merge)
    parents.update((down,) if isinstance(down, str) else (down or ()))
  heads = []
  for revision in own:
    if revision.revision in parents:
      continue
    # A head's branch label sits on an earlier revision of its branch (usually its root).
    labels = set()
    for ancestor in script.iterate_revisions(revision.revision, "base"):
      if Path(ancestor.path).resolve().parent == folder:
        labels |= set(ancestor.branch_labels)
    heads.append((", ".join(sorted(labels)) or "-", revision.revision))
  return sorted(heads)


def record_branches(cfg: Config, database_uri: str) -> None:
  """Record the branch, plugin and distribution of each revision the database is at (after a migration)."""
  script = ScriptDirectory.from_config(cfg)
  owners = {core_migrations().joinpath("versions").resolve(): ("core", f"prodmanager {__version__}")}
  for plugin in installed_plugins().values():
    if not plugin.error and plugin.migrations:
      folder = plugin_migrations(plugin.migrations, plugin.id).resolve()
      owners[folder] = (plugin.id, " ".join(part for part in (plugin.distribution, plugin.version) if part))
  rows = []
  for revision in current(database_uri):
    found = script.get_revision(revision)
    folder = Path(found.path).resolve().parent
    labels = set()
    for ancestor in script.iterate_revisions(revision, "base"):
      if Path(ancestor.path).resolve().parent == folder:
        labels |= set(ancestor.branch_labels)
    plugin, distribution = owners.get(folder, ("", ""))
    rows.append(
      {
        "revision": revision,
        "branch": ", ".join(sorted(labels)),
        "plugin": plugin,
        "distribution": distribution,
      }
    )
  engine = get_engine(database_uri)
  try:
    with engine.begin() as connection:
      if connection.dialect.name == "postgresql":
        # Replicas that migrated one after the other now record together: one at a time, or the
        # second one's inserts would collide with the first one's (released at commit).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
      if not inspect(connection).has_table(BranchRecord.__tablename__):
        return  # a database whose core branch stops short of the record (a targeted upgrade)
      connection.execute(delete(BranchRecord))
      if rows:
        connection.execute(BranchRecord.__table__.insert(), rows)
  finally:
    engine.dispose()


def recorded_branches(database_uri: str) -> dict[str, BranchRecord]:
  """The branch records by revision (empty for a database migrated before they existed)."""
  engine = get_engine(database_uri)
  try:
    with engine.connect() as connection:
      if not inspect(connection).has_table(BranchRecord.__tablename__):
        return {}
      return {row.revision: row for row in connection.execute(select(BranchRecord.__table__))}
  finally:
    engine.dispose()


class OrphanedRevisions(ConfigurationError):
  """The database holds revisions that neither the core nor any installed plugin provides."""


def orphaned(cfg: Config, revisions: tuple[str, ...]) -> list[str]:
  """The revisions among ``revisions`` that no version folder of ``cfg`` provides."""
  known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
  return sorted(set(revisions) - known)


def check_revisions(cfg: Config, database_uri: str) -> None:
  """Explain, instead of alembic's "Can't locate revision", a revision left by an uninstalled plugin."""
  at = current(database_uri)
  if legacy_revisions(at):
    raise LegacyDatabase(explain(at))
  lost = orphaned(cfg, at)
  if not lost:
    return
  records = recorded_branches(database_uri)
  lines = ["the database holds revisions that neither the core nor any installed plugin provides:"]
  for revision in lost:
    record = records.get(revision)
    if record is not None:
      lines.append(
        f"  revision {revision}, head of the branch {record.branch!r} of the plugin {record.plugin!r} "
        f"({record.distribution}), which was probably uninstalled."
      )
    else:
      lines.append(f"  revision {revision}, of a plugin that was probably uninstalled.")
  for plugin in broken_plugins():
    lines.append(f"  plugin {plugin.label} is installed but {plugin.error}: they may be its revisions.")
  lines += [
    "  Either reinstall that plugin (it may stay disabled: installed is enough for migrations),",
    "  or, to give up its data, forget its branch (its tables stay in the database): "
    + ", ".join(f"`prodmanager migrate --forget {revision}`" for revision in lost),
    f"  See {UNINSTALL_DOC}.",
  ]
  raise OrphanedRevisions("\n".join(lines))


def _sqlite_file(database_uri: str) -> Path | None:
  """The file of a SQLite database (None for other backends and in-memory databases)."""
  url = engine_url(database_uri)
  database = url.database
  if (
    url.get_backend_name() != "sqlite"
    or not database
    or database == ":memory:"
    or database.startswith("file:")
  ):
    return None
  return Path(database).expanduser().resolve()


def upgrade(database_uri: str):
  """Bring the database to the heads of every branch (core and installed plugins)."""
  sqlite_file = _sqlite_file(database_uri)
  if sqlite_file is not None:
    # SQLite creates the file on first connection, but not the folder that holds it.
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
  cfg = alembic_config(database_uri)
  check_revisions(cfg, database_uri)
  command.upgrade(cfg, "heads")
  record_branches(cfg, database_uri)


def forget(database_uri: str, name: str) -> str:
  """Drop a revision that no installed plugin provides from the database's version table; ``name``
  is the revision or its recorded branch. Returns the revision forgotten.

  This is how an administrator gives up the data of an uninstalled plugin: its branch no longer
  blocks migrations; its tables are left alone (drop them by hand if wanted)."""
  cfg = alembic_config(database_uri)
  at = current(database_uri)
  by_branch = {record.branch: revision for revision, record in recorded_branches(database_uri).items()}
  revision = name if name in at else by_branch.get(name, name)
  if revision not in at:
    raise ConfigurationError(
      f"the database is not at revision {name!r} (it is at {', '.join(sorted(at)) or 'no revision'})"
    )
  if revision not in orphaned(cfg, at):
    raise ConfigurationError(
      f"revision {revision!r} belongs to the core or to an installed plugin: it is not orphaned, "
      "and forgetting it would make the next migration run it again"
    )
  engine = get_engine(database_uri)
  try:
    with engine.begin() as connection:
      connection.execute(
        text(f"DELETE FROM {VERSION_TABLE} WHERE version_num = :revision"), {"revision": revision}
      )
      if inspect(connection).has_table(BranchRecord.__tablename__):
        connection.execute(delete(BranchRecord).where(BranchRecord.revision == revision))
  finally:
    engine.dispose()
  return revision


def current(database_uri: str) -> tuple[str, ...]:
  """The revisions the database is at (one per branch); empty for a database never migrated."""
  sqlite_file = _sqlite_file(database_uri)
  if sqlite_file is not None and not sqlite_file.exists():
    return ()  # Do not create an empty database file just to look at it.
  engine = get_engine(database_uri)
  try:
    with engine.connect() as connection:
      return MigrationContext.configure(connection).get_current_heads()
  finally:
    engine.dispose()
