"""The ``prodmanager`` command line: ``serve``, ``migrate``, ``demo``, ``plugins`` and ``token``.

Every command reads the ``[app:main]`` settings of an INI file (``--config``, by default
``development.ini`` when the current folder has one) and the ``PM_*`` environment variables, which
win over the file. A configuration error is reported in one message, without a traceback.
"""

import argparse
import logging
import os
import sys
from contextlib import contextmanager
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


# -- API tokens ------------------------------------------------------------------------------------


@contextmanager
def token_database(env: Environment):
  """The application's registry and a session in one transaction, on a migrated database."""
  from sqlalchemy import inspect

  from . import make_config
  from .migrate import _sqlite_file
  from .tokens import TokenRecord

  not_migrated = "the database has no token table: run `prodmanager migrate` first"
  sqlite_file = _sqlite_file(env.database_uri)
  if sqlite_file is not None and not sqlite_file.exists():
    raise ConfigurationError(not_migrated)  # Do not create an empty database file just to say so.
  # The raw INI settings, as for the application: make_config parses them (and the PM_* variables).
  registry = make_config(env.ini).registry
  engine = registry["db.engine"]
  try:
    if not inspect(engine).has_table(TokenRecord.__tablename__):
      raise ConfigurationError(not_migrated)
    session = registry["db.session_factory"]()
    try:
      with session.begin():
        yield registry, session
    finally:
      session.close()
  finally:
    engine.dispose()


def cmd_token_create(args, env: Environment) -> int:
  """Print the new token, and nothing else on stdout, so that ``TOKEN=$(prodmanager token create …)`` works."""
  import datetime as dt

  from .errors import ValidationFailed
  from .fields import parse_datetime
  from .tokens import CREATED_BY_CLI, check_token_request, mint_recorded

  if args.hours < 1:
    raise ConfigurationError(f"--hours {args.hours}: expected a positive number of hours")
  now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
  try:
    not_before = parse_datetime(args.not_before) if args.not_before else now
  except ValueError as error:
    raise ConfigurationError(f"--not-before {args.not_before!r}: {error}") from None
  with token_database(env) as (registry, session):
    try:
      wanted = check_token_request(
        registry,
        args.name,
        args.description,
        not_before,
        not_before + dt.timedelta(hours=args.hours),
        args.permission or [],
        now=now,
      )
    except ValidationFailed as error:
      options = {
        "not_before_date": "--not-before",
        "expiration_date": "--hours",
        "permissions": "--permission",
      }
      problems = [
        f"{options.get(field, '--' + field)}: {message}"
        for field, messages in error.reasons.items()
        for message in messages
      ]
      raise ConfigurationError("cannot create the token:\n  " + "\n  ".join(problems)) from None
    token, record = mint_recorded(registry, session, wanted, CREATED_BY_CLI)
    log.info("token %s (%s) created, valid until %s", record.jti, record.name, record.expires_at.isoformat())
  print(token)
  return 0


def cmd_token_list(args, env: Environment) -> int:
  from .tokens import list_records

  def when(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"

  with token_database(env) as (_registry, session):
    records, _total = list_records(session)
    rows = [
      (
        "jti",
        "name",
        "description",
        "permissions",
        "valid from",
        "until",
        "created",
        "by",
        "last used",
        "status",
      )
    ]
    for record in records:
      status = record.status()
      if status == "revoked":
        status = f"revoked {when(record.revoked_at)} by {record.revoked_by}"
      rows.append(
        (
          record.jti,
          record.name,
          record.description,
          ",".join(record.permissions or []) or "-",
          when(record.not_before),
          when(record.expires_at),
          when(record.created_at),
          record.created_by,
          when(record.last_used_at),
          status,
        )
      )
  widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
  for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
  if not records:
    print("(no token recorded)")
  return 0


def cmd_token_revoke(args, env: Environment) -> int:
  from .tokens import CREATED_BY_CLI, find_record, revoke

  with token_database(env) as (_registry, session):
    record = find_record(session, args.jti)
    if record is None:
      print(f"error: no token has the jti {args.jti!r} (see `prodmanager token list`)", file=sys.stderr)
      return 1
    if revoke(record, CREATED_BY_CLI):
      print(f"token {record.jti} ({record.name}) revoked")
    else:
      print(
        f"token {record.jti} ({record.name}) was already revoked on "
        f"{record.revoked_at:%Y-%m-%d %H:%M} by {record.revoked_by}"
      )
  return 0


def add_token_commands(commands, common) -> None:
  token = commands.add_parser(
    "token",
    help="create, list and revoke API tokens",
    description="API tokens, recorded in the database: create one, list them, revoke one.",
  )
  actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
  create = actions.add_parser(
    "create",
    parents=[common],
    help="create a token and print it (only it, on stdout)",
    description="Create an API token, record it and print it. Its lifetime is capped by "
    "prodmanager.jwt_max_lifetime_hours (PM_JWT_MAX_LIFETIME_HOURS).",
  )
  create.add_argument("--name", required=True, help="8 to 16 characters (the aud claim)")
  create.add_argument("--description", required=True, help="12 to 32 characters (the sub claim)")
  create.add_argument(
    "--permission",
    action="append",
    metavar="TYPE_api",
    help="a type the token may write, such as scope_api; repeat for several (default: none, read-only)",
  )
  create.add_argument(
    "--hours", type=int, default=1, help="validity from --not-before, in hours (default: 1)"
  )
  create.add_argument(
    "--not-before", metavar="DATE", help="start of validity, YYYY-MM-DDTHH:MM UTC or ISO 8601 (default: now)"
  )
  create.set_defaults(handler=cmd_token_create)
  actions.add_parser("list", parents=[common], help="list the recorded tokens, newest first").set_defaults(
    handler=cmd_token_list
  )
  revoke = actions.add_parser("revoke", parents=[common], help="revoke a token: it is refused from now on")
  revoke.add_argument("jti", help="the token's jti (see `prodmanager token list`)")
  revoke.set_defaults(handler=cmd_token_revoke)


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
  add_token_commands(commands, common)
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
