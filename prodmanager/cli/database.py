"""``prodmanager migrate`` and ``prodmanager demo``: the database created or upgraded, demo data loaded."""

import logging

from ..db import engine_url
from ..demo import load_demo as load
from ..migrate import current, forget, upgrade
from .environment import Environment

# One logger for the whole command line, as when it was one module.
log = logging.getLogger(__package__)


def migrate_database(env: Environment):
  log.info("Migrating %s", engine_url(env.database_uri).render_as_string(hide_password=True))
  upgrade(env.database_uri)
  log.info("Database at %s", ", ".join(sorted(current(env.database_uri))) or "no revision")


def load_demo(env: Environment):
  # The raw INI settings, as for the application: make_config parses them (and the PM_* variables).
  return load(env.ini)


def cmd_migrate(args, env: Environment) -> int:
  if args.forget:
    revision = forget(env.database_uri, args.forget)
    log.info("Revision %s forgotten: the next migration no longer looks for it", revision)
    return 0
  migrate_database(env)
  return 0


def cmd_demo(args, env: Environment) -> int:
  migrate_database(env)
  print(load_demo(env))
  return 0
