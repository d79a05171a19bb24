"""The ``prodmanager`` argument parser: one subcommand per command module of this package."""

import argparse
from pathlib import Path

from ..version import __version__
from .database import cmd_demo, cmd_migrate
from .environment import DEFAULT_CONFIG
from .plugins import cmd_plugins
from .serve import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_THREADS, cmd_serve
from .tokens import add_token_commands


def build_parser() -> argparse.ArgumentParser:
  common = argparse.ArgumentParser(add_help=False)
  default_config = DEFAULT_CONFIG if Path(DEFAULT_CONFIG).is_file() else None
  common.add_argument(
    "--config",
    default=default_config,
    metavar="INI",
    help=f"INI file whose [app:main] holds the settings (default: {default_config or 'none'})",
  )
  parser = argparse.ArgumentParser(prog="prodmanager", description="ProdManager, a production status page.")
  parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
  commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

  serve = commands.add_parser(
    "serve",
    parents=[common],
    help="serve the application with waitress",
    description="Serve the application. In standalone mode (the default) the database "
    "is migrated first and demo data loaded when prodmanager.demo is true.",
  )
  serve.add_argument(
    "--host", help=f"address to listen on (default: $HOST, the INI's [server:main], {DEFAULT_HOST})"
  )
  serve.add_argument(
    "--port", type=int, help=f"port to listen on (default: $PORT, the INI's [server:main], {DEFAULT_PORT})"
  )
  serve.add_argument(
    "--threads", type=int, help=f"worker threads (default: the INI's [server:main], {DEFAULT_THREADS})"
  )
  serve.set_defaults(handler=cmd_serve)

  migrate = commands.add_parser(
    "migrate", parents=[common], help="create or upgrade the database (alembic upgrade heads)"
  )
  migrate.add_argument(
    "--forget",
    metavar="REVISION",
    help="instead of migrating, drop the record of REVISION (or of the branch so named), left by an uninstalled plugin "
    "(its tables stay; see docs/install.md, 'Uninstalling a plugin')",
  )
  migrate.set_defaults(handler=cmd_migrate)
  commands.add_parser(
    "demo", parents=[common], help="migrate, then load the demo data (idempotent)"
  ).set_defaults(handler=cmd_demo)
  commands.add_parser(
    "plugins", parents=[common], help="list installed plugins, which are enabled and their order"
  ).set_defaults(handler=cmd_plugins)
  add_token_commands(commands, common)
  return parser
