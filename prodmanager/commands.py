"""Plugin commands of the ``prodmanager`` command line: ``config.add_cli_command`` (docs/directives.md).

A plugin adds ``prodmanager <name>``::

  def import_rows(context, args):
    with context.session() as session:
      ...
    print(f"imported {count} rows")
    return 0

  config.add_cli_command(
    "import-rows", import_rows, help="import rows from a CSV file",
    arguments=lambda parser: parser.add_argument("path"),
  )

``run(context, args)`` receives a :class:`CommandContext` (the application's registry and settings,
and sessions in a transaction of their own) and the parsed ``argparse`` namespace; it returns the
exit status (None means 0). The command line builds the configuration (the INI file given with
``--config``, the ``PM_*`` variables) to find the plugins' commands, only when the command is not one
of the core's.
"""

import argparse
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import Session

from .actions import register
from .state import app_state

# The core's own commands (prodmanager.cli), which no plugin may take.
CORE_COMMANDS = frozenset(
  {"serve", "migrate", "import", "demo", "plugins", "token", "worker", "integrations", "help"}
)
NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class CliCommand:
  name: str
  run: Callable[..., int | None]
  help: str
  arguments: Callable[[argparse.ArgumentParser], None] | None


class CliCommands:
  """The plugins' commands by name, in registration order."""

  def __init__(self):
    self.by_name: dict[str, CliCommand] = {}

  def add(self, command: CliCommand) -> None:
    self.by_name[command.name] = command

  def __iter__(self) -> Iterator[CliCommand]:
    return iter(self.by_name.values())

  def __len__(self) -> int:
    return len(self.by_name)

  def __contains__(self, name: str) -> bool:
    return name in self.by_name

  def __getitem__(self, name: str) -> CliCommand:
    return self.by_name[name]


class CommandContext:
  """What a plugin command receives besides its arguments."""

  def __init__(self, registry):
    self.registry = registry

  @property
  def settings(self) -> dict:
    return self.registry.settings

  @contextmanager
  def session(self) -> Iterator[Session]:
    """A session in a transaction: committed when the block ends, rolled back when it raises.
    Domain events emitted in it are delivered after the commit, as in a request."""
    session = app_state(self.registry).db_session_factory()
    try:
      with session.begin():
        yield session
    finally:
      session.close()


def add_cli_command(
  config,
  name: str,
  run: Callable[..., int | None],
  *,
  help: str = "",  # noqa: A002 - argparse's name for it
  arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
  """Add the subcommand ``prodmanager <name>``: ``run(context, args)`` returns its exit status.

  ``name`` is lower case (letters, digits, ``-``) and not a core command; ``arguments(parser)``
  adds the command's arguments to its ``argparse`` parser (``--config`` is already there).
  """
  if not NAME.match(name):
    raise ConfigurationError(f"add_cli_command: {name!r} must be lower case letters, digits and '-'")
  if name in CORE_COMMANDS:
    raise ConfigurationError(f"add_cli_command: {name!r} is a core command")
  command = CliCommand(name, run, help, arguments)
  register(
    config,
    ("prodmanager.cli_command", name),
    lambda: app_state(config.registry).cli_commands.add(command),
    what="cli commands",
    title=name,
    run=run,
    help=help,
  )


def add_subparsers(commands, common: argparse.ArgumentParser, registry) -> None:
  """Add the registered plugin commands to the ``prodmanager`` parser's subcommands."""
  for command in app_state(registry).cli_commands:
    parser = commands.add_parser(command.name, parents=[common], help=command.help, description=command.help)
    if command.arguments is not None:
      command.arguments(parser)
    parser.set_defaults(plugin_command=command)


def run_command(command: CliCommand, args: argparse.Namespace, registry) -> int:
  status = command.run(CommandContext(registry), args)
  return 0 if status is None else int(status)


def includeme(config):
  app_state(config.registry).cli_commands = CliCommands()
  config.add_directive("add_cli_command", add_cli_command)
