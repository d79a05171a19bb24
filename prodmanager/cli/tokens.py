"""``prodmanager token create|list|revoke``: API tokens recorded in the database."""

import datetime as dt
import logging
import sys
from contextlib import contextmanager

from sqlalchemy import inspect

from .. import make_config
from ..errors import ValidationFailed
from ..fields import parse_datetime
from ..migrate import _sqlite_file
from ..settings import ConfigurationError
from ..state import app_state
from ..tokens import (
  CREATED_BY_CLI,
  TokenRecord,
  check_token_request,
  find_record,
  list_records,
  mint_recorded,
  revoke,
)
from .environment import Environment

log = logging.getLogger(__package__)


@contextmanager
def token_database(env: Environment):
  """The application's registry and a session in one transaction, on a migrated database."""
  not_migrated = "the database has no token table: run `prodmanager migrate` first"
  sqlite_file = _sqlite_file(env.database_uri)
  if sqlite_file is not None and not sqlite_file.exists():
    raise ConfigurationError(not_migrated)  # Do not create an empty database file just to say so.
  # The raw INI settings, as for the application: make_config parses them (and the PM_* variables).
  registry = make_config(env.ini).registry
  engine = app_state(registry).db_engine
  try:
    if not inspect(engine).has_table(TokenRecord.__tablename__):
      raise ConfigurationError(not_migrated)
    session = app_state(registry).db_session_factory()
    try:
      with session.begin():
        yield registry, session
    finally:
      session.close()
  finally:
    engine.dispose()


def cmd_token_create(args, env: Environment) -> int:
  """Print the new token, and nothing else on stdout, so that ``TOKEN=$(prodmanager token create …)`` works."""
  if args.hours < 1:
    raise ConfigurationError(f"--hours {args.hours}: expected a positive number of hours")
  now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
  try:
    not_before = parse_datetime(args.not_before) if args.not_before else now
  except ValueError as error:
    raise ConfigurationError(f"--not-before {args.not_before!r}: {error}") from None
  try:
    expiration = not_before + dt.timedelta(hours=args.hours)
  except OverflowError:
    # Past year 9999: the date range check below refuses it with the other reasons.
    expiration = dt.datetime.max.replace(tzinfo=dt.UTC)
  with token_database(env) as (registry, session):
    try:
      wanted = check_token_request(
        registry,
        args.name,
        args.description,
        not_before,
        expiration,
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
    "prodmanager.jwt_max_lifetime_hours (PM_JWT_MAX_LIFETIME_HOURS) when that is set.",
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
