"""The ``prodmanager`` argument parser: one subcommand per command module of this package."""

import argparse
from pathlib import Path

from ..commands import add_subparsers
from ..version import __version__
from .database import cmd_demo, cmd_import, cmd_migrate
from .environment import DEFAULT_CONFIG
from .integrations import add_integration_commands
from .plugins import cmd_plugins
from .serve import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_THREADS, cmd_serve
from .tokens import add_token_commands
from .worker import cmd_worker


def common_options() -> argparse.ArgumentParser:
  """``--config``, shared by every command (the core's and the plugins')."""
  common = argparse.ArgumentParser(add_help=False)
  default_config = DEFAULT_CONFIG if Path(DEFAULT_CONFIG).is_file() else None
  common.add_argument(
    "--config",
    default=default_config,
    metavar="INI",
    help=f"INI file whose [app:main] holds the settings (default: {default_config or 'none'})",
  )
  return common


def build_parser(registry=None) -> argparse.ArgumentParser:
  """The parser of the core's commands, and of the plugins' (``add_cli_command``) when the
  application's ``registry`` is given."""
  common = common_options()
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
    "--host",
    help=f"address to listen on (default: $HOST or $SERVER, the INI's [server:main], {DEFAULT_HOST})",
  )
  serve.add_argument(
    "--port", type=int, help=f"port to listen on (default: $PORT, the INI's [server:main], {DEFAULT_PORT})"
  )
  serve.add_argument(
    "--threads",
    type=int,
    help=f"threads per process (default: $THREADS, the INI's [server:main], {DEFAULT_THREADS})",
  )
  serve.add_argument(
    "--workers",
    type=int,
    help="processes sharing the port (default: $WORKERS, else the number of CPUs in production, 1 in development)",
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
  migrate.add_argument(
    "--upgrade-0.22",
    dest="upgrade_022",
    action="store_true",
    help="when the database is a ProdManager 0.22 one, convert it in place first (SQLite: a backup copy is "
    "written first; PostgreSQL: one transaction; see docs/upgrading.md, 'Their data')",
  )
  migrate.add_argument(
    "--timezone",
    metavar="ZONE",
    help="time zone 0.22 ran in, for its naive dates (default: $PM_LEGACY_TIMEZONE, UTC)",
  )
  migrate.add_argument(
    "--backup",
    metavar="FILE",
    help="SQLite: where to write the copy of the 0.22 file (default: next to it, named .0.22-backup-<time>)",
  )
  migrate.set_defaults(handler=cmd_migrate)
  importer = commands.add_parser(
    "import",
    parents=[common],
    help="import a ProdManager 0.22 database into this one (idempotent)",
    description="Migrate this database, then import the rows of the ProdManager 0.22 database at URL, "
    "which is only read. Rows imported before from the same database are skipped: running it twice "
    "imports once. Prints what was imported, merged and skipped, and why.",
  )
  importer.add_argument(
    "--from",
    dest="source",
    required=True,
    metavar="URL",
    help="the 0.22 database: sqlite:////path/ProManager.sqlite or postgresql://user:password@host/name",
  )
  importer.add_argument(
    "--timezone",
    metavar="ZONE",
    help="time zone 0.22 ran in, for its naive dates (default: $PM_LEGACY_TIMEZONE, UTC)",
  )
  importer.set_defaults(handler=cmd_import)
  commands.add_parser(
    "demo", parents=[common], help="migrate, then load the demo data (idempotent)"
  ).set_defaults(handler=cmd_demo)
  commands.add_parser(
    "plugins", parents=[common], help="list installed plugins, which are enabled and their order"
  ).set_defaults(handler=cmd_plugins)
  add_token_commands(commands, common)
  worker = commands.add_parser(
    "worker",
    parents=[common],
    help="run the plugins' periodic jobs and integrations until stopped",
    description="Run the periodic jobs (add_job) and pull integrations (add_integration) of the "
    "enabled plugins: each when the worker starts, then at its interval, until SIGTERM or SIGINT; "
    "replicas share locks so that each runs once per interval.",
  )
  worker.add_argument(
    "--once", action="store_true", help="run the due jobs once and exit (status 1 when one failed)"
  )
  worker.set_defaults(handler=cmd_worker)
  add_integration_commands(commands, common)
  if registry is not None:
    add_subparsers(commands, common, registry)
  return parser
