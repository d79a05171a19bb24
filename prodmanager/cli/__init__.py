"""The ``prodmanager`` command line: ``serve``, ``migrate``, ``demo``, ``plugins`` and ``token``.

Every command reads the ``[app:main]`` settings of an INI file (``--config``, by default
``development.ini`` when the current folder has one) and the ``PM_*`` environment variables, which
win over the file. A configuration error (ours or Pyramid's: conflicts, failed directives) is
reported in a short message, without a traceback, with exit status 2.

The modules of this package: :mod:`.environment` (settings and logging), :mod:`.serve`,
:mod:`.database` (``migrate`` and ``demo``), :mod:`.plugins`, :mod:`.tokens`, :mod:`.parser` and :mod:`.errors`.
"""

import sys

from pyramid.exceptions import ConfigurationError as PyramidConfigurationError
from sqlalchemy.exc import OperationalError

from ..settings import ConfigurationError
from .database import cmd_demo, cmd_migrate, load_demo, migrate_database
from .environment import DEFAULT_CONFIG, Environment, setup_logging
from .errors import configuration_message
from .parser import build_parser
from .plugins import cmd_plugins
from .serve import cmd_serve, listen_address
from .tokens import cmd_token_create, cmd_token_list, cmd_token_revoke, token_database

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
  "listen_address",
  "load_demo",
  "main",
  "migrate_database",
  "setup_logging",
  "token_database",
]


def main(argv: list[str] | None = None) -> int:
  args = build_parser().parse_args(argv)
  try:
    env = Environment(args.config)
    setup_logging(args.config)
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
