"""Database migrations: one alembic environment, the core's branch and one branch per plugin.

Alembic is configured here in code (no ``alembic.ini`` needed at runtime). The version folders of
every *installed* plugin stay on the path, enabled or not: a database that a disabled plugin once
migrated still holds that plugin's revision, and alembic fails on every command when it cannot
locate a revision recorded in ``alembic_version``.
"""

import os
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

import prodmanager

from .db import engine_url, get_engine
from .plugins import installed_plugins
from .settings import ConfigurationError

MIGRATIONS = Path(prodmanager.__file__).resolve().parent.parent / "migrations"


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


def version_locations() -> list[str]:
  """The core's versions folder, then the migrations folder of every installed plugin."""
  locations = [str(MIGRATIONS / "versions")]
  for plugin in installed_plugins().values():
    if plugin.migrations:
      locations.append(str(plugin_migrations(plugin.migrations, plugin.id)))
  return locations


def alembic_config(database_uri: str) -> Config:
  """An alembic configuration for ``database_uri``, built without an INI file."""
  if not (MIGRATIONS / "env.py").is_file():
    # The alembic environment sits beside the package, in the source tree (architecture.md).
    raise ConfigurationError(
      f"the migrations folder {MIGRATIONS} is missing: install ProdManager from its source folder (pip install -e .)"
    )
  cfg = Config()
  # ConfigParser interpolates "%", which may appear in a path or in a URL-encoded password.
  cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
  cfg.set_main_option("path_separator", "os")
  cfg.set_main_option("version_locations", os.pathsep.join(version_locations()).replace("%", "%%"))
  cfg.attributes["url"] = database_uri
  return cfg


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
  command.upgrade(alembic_config(database_uri), "heads")


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
