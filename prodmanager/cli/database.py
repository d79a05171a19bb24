"""``prodmanager migrate``, ``prodmanager import`` and ``prodmanager demo``: the database created or
upgraded (a 0.22 database too), a 0.22 database imported, demo data loaded."""

import logging
from pathlib import Path

from ..db import engine_url
from ..demo import load_demo as load
from ..legacy.upgrade import import_from, legacy_revisions, upgrade_in_place
from ..migrate import current, forget, upgrade
from ..settings import ConfigurationError, parse_database_uri, parse_timezone
from .environment import Environment

# One logger for the whole command line, as when it was one module.
log = logging.getLogger(__package__)


def legacy_timezone(args, env: Environment) -> str:
  """``--timezone``, else ``PM_LEGACY_TIMEZONE``: the zone 0.22's naive dates are read in."""
  zone = getattr(args, "timezone", None)
  if not zone:
    return env.settings["prodmanager.legacy_timezone"]
  try:
    return parse_timezone(zone)
  except ValueError as error:
    raise ConfigurationError(f"--timezone {zone!r}: {error}") from None


def migrate_database(env: Environment, upgrade_022: bool = False, timezone: str | None = None, backup=None):
  """Bring the database to our heads; a 0.22 database is first upgraded in place when
  ``upgrade_022`` is true (otherwise migrating stops and says how)."""
  where = engine_url(env.database_uri).render_as_string(hide_password=True)
  if upgrade_022 and legacy_revisions(current(env.database_uri)):
    zone = timezone or env.settings["prodmanager.legacy_timezone"]
    log.info("Upgrading the ProdManager 0.22 database %s in place (its dates read in %s)", where, zone)
    report = upgrade_in_place(env.database_uri, zone, Path(backup) if backup else None)
    for line in report.lines():
      log.info("%s", line)
  log.info("Migrating %s", where)
  upgrade(env.database_uri)
  log.info("Database at %s", ", ".join(sorted(current(env.database_uri))) or "no revision")


def load_demo(env: Environment, served_url: str = ""):
  # The raw INI settings, as for the application: make_config parses them (and the PM_* variables).
  return load(env.ini, served_url=served_url)


def cmd_migrate(args, env: Environment) -> int:
  if args.forget:
    revision = forget(env.database_uri, args.forget)
    log.info("Revision %s forgotten: the next migration no longer looks for it", revision)
    return 0
  migrate_database(env, args.upgrade_022, legacy_timezone(args, env), args.backup)
  return 0


def cmd_import(args, env: Environment) -> int:
  """Import a 0.22 database into this one (migrated first); prints what was imported and skipped."""
  try:
    source = parse_database_uri(args.source)
  except ValueError as error:
    raise ConfigurationError(f"--from {args.source!r}: {error}") from None
  zone = legacy_timezone(args, env)
  migrate_database(env)
  report = import_from(source, env.database_uri, zone)
  print("\n".join(report.lines()))
  imported, skipped = report.total("imported"), len(report.skipped)
  print(f"{imported} rows imported, {skipped} skipped.")
  return 0


def cmd_demo(args, env: Environment) -> int:
  migrate_database(env)
  print(load_demo(env))
  return 0
