"""``prodmanager serve``: the application served by waitress (migrated first in standalone mode)."""

import logging
import os

import waitress
from sqlalchemy.exc import OperationalError

from .. import main as make_app
from ..legacy.detect import LegacyDatabase, explain, legacy_revisions
from ..migrate import current
from ..settings import ConfigurationError, settings_report
from ..tweens import MAX_BODY_BYTES
from .database import load_demo, migrate_database
from .environment import Environment

log = logging.getLogger(__package__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_THREADS = 8


def listen_address(args, server: dict[str, str]) -> dict:
  """Where waitress listens: options, then HOST (or SERVER, 0.22's image's name for it)/PORT, then
  the INI's ``[server:main]``, then 127.0.0.1:8080."""
  host = args.host or os.environ.get("HOST") or os.environ.get("SERVER")
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


def waitress_options(settings: dict) -> dict:
  """waitress's limits and proxy handling, from the settings (docs/configuration.md, "The server")."""
  channel_timeout = settings["prodmanager.server_channel_timeout"]
  return {
    "connection_limit": settings["prodmanager.server_connection_limit"],
    "channel_timeout": channel_timeout,
    # Silent connections are looked for every cleanup_interval seconds (30 by default).
    "cleanup_interval": min(30, channel_timeout),
    "max_request_header_size": settings["prodmanager.server_max_header_bytes"],
    # waitress buffers a whole body before the application sees it, and refuses one of
    # max_request_body_size bytes or more as soon as its Content-Length is read: a 300 MB upload is
    # refused unread. The application accepts MAX_BODY_BYTES exactly.
    "max_request_body_size": MAX_BODY_BYTES + 1,
    # waitress 3 removes every X-Forwarded-* header it does not trust itself. With trusted proxies the
    # application reads them (prodmanager.tweens.proxy_fix, PM_PROXY_CHAIN_COUNT), as under any WSGI
    # server; without, waitress keeps removing them.
    "clear_untrusted_proxy_headers": not settings["prodmanager.proxy_chain_count"],
  }


def cmd_serve(args, env: Environment) -> int:
  if env.settings["prodmanager.standalone"]:
    # Single-container mode: the database is created and migrated before serving, and a 0.22
    # database found there upgraded in place (docs/upgrading.md, "Their data").
    migrate_database(env, upgrade_022=True)
    if env.settings["prodmanager.demo"]:
      log.info("%s", load_demo(env))
  else:
    # Migrations are run apart (prodmanager migrate); a 0.22 database would only answer errors.
    # A database out of reach is not this check's business: /health/ready reports it.
    try:
      at = current(env.database_uri)
    except OperationalError:
      at = ()
    if legacy_revisions(at):
      raise LegacyDatabase(explain(at))
  app = make_app({}, **env.ini)
  # The core's settings and the plugins' (add_setting), where each value comes from.
  for line in settings_report(app.registry):
    log.info("setting %s", line)
  server = env.server_section()
  options = listen_address(args, server)
  try:
    options["threads"] = args.threads or int(server.get("threads", DEFAULT_THREADS))
  except ValueError:
    raise ConfigurationError(f"[server:main] threads = {server['threads']!r}: expected an integer") from None
  options.update(waitress_options(env.settings))
  where = options.get("listen") or f"{options['host']}:{options['port']}"
  log.info("Serving on http://%s with %d threads", where.replace(" ", ", http://"), options["threads"])
  waitress.serve(app, ident="ProdManager", **options)
  return 0
