"""The alembic environment shared by the core's branch and every plugin's branch.

``prodmanager migrate`` configures alembic in code (see :mod:`prodmanager.migrate`) and hands the
database URL in ``config.attributes["url"]``; the alembic command line reads ``alembic.ini`` and
``sqlalchemy.url`` (or, when that is unset, the application's own settings: ``PM_DATABASE_URI`` or
the SQLite file of the instance folder).
"""

import importlib
import importlib.util
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool, text

from prodmanager.db import Base, get_engine
from prodmanager.migrate import MIGRATION_LOCK_KEY
from prodmanager.plugins import installed_plugins

config = context.config

if config.config_file_name is not None and config.file_config.has_section("formatters"):
  fileConfig(config.config_file_name, disable_existing_loggers=False)

if not config.get_main_option("version_locations"):
  # The alembic command line with alembic.ini only knows the core's folder; add the plugins' folders
  # (of every installed plugin) before alembic reads the revisions, as ``prodmanager migrate`` does.
  from prodmanager.migrate import version_locations

  context.script.version_locations = version_locations()


def import_models():
  """Import the core's and every installed plugin's models so that autogenerate compares the whole schema."""
  importlib.import_module("prodmanager.tokens")
  importlib.import_module("prodmanager.migrate")  # BranchRecord
  importlib.import_module("prodmanager.legacy.models")
  importlib.import_module("prodmanager.runs")  # WorkerSchedule, IntegrationRun, IntegrationCheck
  for plugin in installed_plugins().values():
    if plugin.error:
      continue  # prodmanager.migrate.version_locations warned about it already
    name = f"{plugin.module.__name__}.models"
    if importlib.util.find_spec(name) is not None:
      importlib.import_module(name)


def database_url() -> str:
  url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
  if not url:
    from prodmanager.settings import read_settings

    url = read_settings({})["prodmanager.database_uri"]
  return url


import_models()
target_metadata = Base.metadata


def run_migrations_offline():
  """Write the SQL script instead of running it (``alembic upgrade heads --sql``)."""
  url = database_url()
  context.configure(
    url=url,
    target_metadata=target_metadata,
    literal_binds=True,
    dialect_opts={"paramstyle": "named"},
    render_as_batch=url.startswith("sqlite"),
  )
  with context.begin_transaction():
    context.run_migrations()


def run_on(connection):
  postgresql = connection.dialect.name == "postgresql"
  # A connection handed in by a caller may sit inside a transaction it will end itself (tests).
  external = connection.in_transaction()
  if postgresql:
    # Replicas that start together queue here: the first one migrates, the others then find the
    # database at its heads and have nothing left to do. The lock belongs to the database session,
    # so it outlives the transaction below and is released explicitly (or when the connection closes).
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    if not external:
      connection.commit()
  failed = False
  try:
    context.configure(
      connection=connection,
      target_metadata=target_metadata,
      # SQLite cannot alter most column or constraint definitions: batch mode copies the table instead.
      render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
      context.run_migrations()
  except BaseException:
    failed = True
    raise
  finally:
    # A caller's transaction that failed is aborted and refuses every statement, the unlock too
    # (which would hide the error): the lock is released when the caller closes the connection.
    if postgresql and not (failed and external):
      connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
      if not external:
        connection.commit()


def run_migrations_online():
  connection = config.attributes.get("connection")
  if connection is not None:
    run_on(connection)
    return
  engine = get_engine(database_url(), poolclass=pool.NullPool)
  try:
    with engine.connect() as connection:
      run_on(connection)
  finally:
    engine.dispose()


if context.is_offline_mode():
  run_migrations_offline()
else:
  run_migrations_online()
