"""The ``prodmanager`` command line: ``serve``, ``migrate``, ``import``, ``demo``, ``plugins``,
``token``, ``worker``, and the commands of the enabled plugins (``add_cli_command``, docs/directives.md).

Every command reads the ``[app:main]`` settings of an INI file (``--config``, by default
``development.ini`` when the current folder has one) and the ``PM_*`` environment variables, which
win over the file. A configuration error (ours or Pyramid's: conflicts, failed directives) is
reported in a short message, without a traceback, with exit status 2.

The modules of this package: :mod:`.environment` (settings and logging), :mod:`.serve`,
:mod:`.database` (``migrate``, ``import`` and ``demo``), :mod:`.plugins`, :mod:`.tokens`, :mod:`.worker`,
:mod:`.parser` and :mod:`.errors`.
"""

import sys

from pyramid.exceptions import ConfigurationError as PyramidConfigurationError
from sqlalchemy.exc import OperationalError

from ..commands import CORE_COMMANDS, run_command
from ..settings import ConfigurationError
from ..state import app_state
from .database import cmd_demo, cmd_migrate, load_demo, migrate_database
from .environment import DEFAULT_CONFIG, Environment, setup_logging
from .errors import configuration_message
from .parser import build_parser
from .plugins import cmd_plugins
from .serve import cmd_serve, listen_address
from .tokens import cmd_token_create, cmd_token_list, cmd_token_revoke, token_database
from .worker import cmd_worker

__all__ = [
  "DEFAULT_CONFIG",
  "Environment",
  "build_parser",
  "cmd_demo",
  "cmd_migrate",
  "cmd_plugins",
  "cmd_serve",
  "cmd_token_create",
  "cmd_token_list",
  "cmd_token_revoke",
  "cmd_worker",
  "listen_address",
  "load_demo",
  "main",
  "migrate_database",
  "setup_logging",
  "token_database",
]


def plugin_command_registry(argv: list[str]):
  """The application's registry when ``argv`` names a command that is not the core's: the
  configuration is built (``--config``, ``PM_*``) to find the plugins' commands. None otherwise."""
  if not argv or argv[0].startswith("-") or argv[0] in CORE_COMMANDS:
    return None
  # Imported only for a plugin's command: building the application imports the whole core.
  from .. import make_config
  from .parser import common_options

  known, _rest = common_options().parse_known_args(argv[1:])
  return make_config(Environment(known.config).ini).registry


def main(argv: list[str] | None = None) -> int:
  argv = sys.argv[1:] if argv is None else list(argv)
  try:
    registry = plugin_command_registry(argv)
    args = build_parser(registry).parse_args(argv)
    env = Environment(args.config)
    setup_logging(args.config)
    command = getattr(args, "plugin_command", None)
    if command is not None:
      try:
        return run_command(command, args, registry)
      finally:
        app_state(registry).db_engine.dispose()
    return args.handler(args, env)
  except ConfigurationError as error:
    print(f"error: {error}", file=sys.stderr)
    return 2
  except PyramidConfigurationError as error:
    # Conflicts and failed directives, found when the configuration is committed (cli/errors.py).
    print(f"error: {configuration_message(error)}", file=sys.stderr)
    return 2
  except OperationalError as error:
    print(f"error: the database cannot be reached: {error.orig or error}", file=sys.stderr)
    return 1
  except KeyboardInterrupt:
    return 130
