"""The ``prodmanager`` command line: ``serve``, ``migrate``, ``demo`` and ``plugins``.

Every command reads the ``[app:main]`` settings of an INI file (``--config``, by default
``development.ini`` when the current folder has one) and the ``PM_*`` environment variables, which
win over the file. A configuration error is reported in one message, without a traceback.
"""

import argparse
import logging
import os
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from .settings import ConfigurationError, read_settings
from .version import __version__

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "development.ini"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_THREADS = 8
# The headers a reverse proxy sets; waitress rejects a malformed one instead of passing it on.


class Environment:
  """The INI file's raw settings and the parsed ``prodmanager.*`` settings merged over them."""

  def __init__(self, config_uri: str | None):
    self.config_uri = config_uri
    self.ini: dict[str, str] = {}
    if config_uri:
      path = Path(config_uri.partition("#")[0])
      if not path.is_file():
        raise ConfigurationError(f"configuration file {path} not found")
      from pyramid.paster import get_appsettings

      self.ini = dict(get_appsettings(config_uri, name="main"))
    self.settings = {**self.ini, **read_settings(self.ini)}

  @property
  def database_uri(self) -> str:
    return self.settings["prodmanager.database_uri"]

  def server_section(self) -> dict[str, str]:
    """``listen``, ``host``, ``port`` and ``threads`` from the INI's ``[server:main]``, when present."""
    if not self.config_uri:
      return {}
    import plaster

    section = plaster.get_settings(self.config_uri, "server:main")
    return {key: section[key] for key in ("listen", "host", "port", "threads") if section.get(key)}


def setup_logging(config_uri: str | None):
  if config_uri:
    from pyramid.paster import setup_logging as setup_from_ini

    # Without logging sections in the file, this falls back to logging.basicConfig().
    setup_from_ini(config_uri)
  else:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-5.5s [%(name)s] %(message)s")
  quiet = logging.getLogger("alembic.runtime.plugins")
  if quiet.level == logging.NOTSET:
    # Alembic announces each of its internal plugins at INFO on every run: noise for an administrator.
    quiet.setLevel(logging.WARNING)


def migrate_database(env: Environment):
  from .db import engine_url
  from .migrate import current, upgrade

  log.info("Migrating %s", engine_url(env.database_uri).render_as_string(hide_password=True))
  upgrade(env.database_uri)
  log.info("Database at %s", ", ".join(sorted(current(env.database_uri))) or "no revision")


def load_demo(env: Environment):
  from .demo import load_demo as load

  # The raw INI settings, as for the application: make_config parses them (and the PM_* variables).
  return load(env.ini)


def listen_address(args, server: dict[str, str]) -> dict:
  """Where waitress listens: options, then HOST/PORT, then the INI's ``[server:main]``, then 127.0.0.1:8080."""
  host = args.host or os.environ.get("HOST")
  port = args.port or os.environ.get("PORT")
  if not host and not port and "listen" in server:
    return {"listen": server["listen"]}
  if "listen" in server:
    listen_host, _, listen_port = server["listen"].split()[0].rpartition(":")
    server = {"host": listen_host.strip("[]"), "port": listen_port, **server}
  host = host or server.get("host") or DEFAULT_HOST
  port = port or server.get("port") or DEFAULT_PORT
  try:
    port = int(port)
  except ValueError:
    raise ConfigurationError(f"port {port!r}: expected an integer") from None
  return {"host": host, "port": port}


def cmd_serve(args, env: Environment) -> int:
  import waitress

  from . import main as make_app

  if env.settings["prodmanager.standalone"]:
    # Single-container mode: the database is created and migrated before serving.
    migrate_database(env)
    if env.settings["prodmanager.demo"]:
      log.info("%s", load_demo(env))
  app = make_app({}, **env.ini)
  server = env.server_section()
  options = listen_address(args, server)
  try:
    options["threads"] = args.threads or int(server.get("threads", DEFAULT_THREADS))
  except ValueError:
    raise ConfigurationError(f"[server:main] threads = {server['threads']!r}: expected an integer") from None
  # X-Forwarded-* headers are handled by the application itself (prodmanager.tweens.proxy_fix,
  # PM_PROXY_CHAIN_COUNT), so that every WSGI server behaves the same; waitress is left alone.
  where = options.get("listen") or f"{options['host']}:{options['port']}"
  log.info("Serving on http://%s with %d threads", where.replace(" ", ", http://"), options["threads"])
  waitress.serve(app, ident="ProdManager", **options)
  return 0


def cmd_migrate(args, env: Environment) -> int:
  migrate_database(env)
  return 0


def cmd_demo(args, env: Environment) -> int:
  migrate_database(env)
  print(load_demo(env))
  return 0


def cmd_plugins(args, env: Environment) -> int:
  from .plugins import installed_plugins, resolve

  installed = installed_plugins()
  error = None
  try:
    enabled = resolve(env.settings["prodmanager.plugins"], installed)
  except ConfigurationError as exc:
    # Still show what is installed: it is what the administrator needs to fix the setting.
    enabled, error = [], exc
  disabled = sorted(set(installed) - {plugin.id for plugin in enabled})
  rows = [("id", "distribution", "version", "enabled", "order", "requires")]
  for position, plugin in enumerate(enabled + [installed[name] for name in disabled], 1):
    is_enabled = position <= len(enabled)
    requires = ", ".join(plugin.requires) or "-"
    rows.append(
      (
        plugin.id,
        plugin.distribution,
        plugin.version,
        "yes" if is_enabled else "no",
        str(position) if is_enabled else "-",
        requires,
      )
    )
  widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
  for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
  if not installed:
    print("(no plugin installed)")
  if error is not None:
    raise error
  return 0


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

  commands.add_parser(
    "migrate", parents=[common], help="create or upgrade the database (alembic upgrade heads)"
  ).set_defaults(handler=cmd_migrate)
  commands.add_parser(
    "demo", parents=[common], help="migrate, then load the demo data (idempotent)"
  ).set_defaults(handler=cmd_demo)
  commands.add_parser(
    "plugins", parents=[common], help="list installed plugins, which are enabled and their order"
  ).set_defaults(handler=cmd_plugins)
  return parser


def main(argv: list[str] | None = None) -> int:
  args = build_parser().parse_args(argv)
  try:
    env = Environment(args.config)
    setup_logging(args.config)
    return args.handler(args, env)
  except ConfigurationError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  except OperationalError as error:
    print(f"error: the database cannot be reached: {error.orig or error}", file=sys.stderr)
    return 1
  except KeyboardInterrupt:
    return 130
