"""API token records: every token minted is stored by its ``jti``, so that it can be listed and revoked.

A token is a signed JWT (see :class:`prodmanager.security.TokenService`, which imports this module); its signature proves who
made it, not whether it is still wanted. So every token is recorded when it is minted, in the same
transaction (``POST /api/token/create`` and ``prodmanager token create``), and every API request that
carries one looks its record up (one SELECT on the unique ``jti`` index): an unknown ``jti`` — a token
signed elsewhere with the same key, or minted before records existed — and a revoked one are refused
with 401 and the reason.

``last_used_at`` tells an operator whether a token is still in use before revoking it. It is written
at most once a minute per token: writing it on every request would turn every read into a write
(a row lock on PostgreSQL, the single writer lock of SQLite, one WAL entry per request), for a
precision nobody needs. It is written in its own short transaction, so that a request that fails
afterwards still counts as a use.
"""

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass

from pyramid.exceptions import ConfigurationError
from sqlalchemy import JSON, Integer, String, func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .actions import register
from .db import Base, UTCDateTime, utcnow
from .errors import Message, NotFound, Unauthorized, ValidationFailed
from .fields import parse_datetime
from .state import app_state
from .text import check_text

log = logging.getLogger(__name__)

NAME_LENGTH = (8, 16)
DESCRIPTION_LENGTH = (12, 32)
MAX_JTI = 64
DEFAULT_LIFETIME = dt.timedelta(hours=1)
TOUCH_INTERVAL = dt.timedelta(minutes=1)
# In the info of the session writing a token's last use: that write changes no token's validity, so
# it keeps the token version (prodmanager.cache) and the tokens checked lately.
TOUCH_KEY = "prodmanager.token_touch"
SECRET_HEADER = "X-ProdManager-Secret"
CREATED_BY_SECRET = "secret"
CREATED_BY_CLI = "cli"
# A token minted by ProdManager 0.22 (signed with PM_SECRET_KEY itself), recorded when first seen.
CREATED_BY_LEGACY = "0.22"


class TokenRecord(Base):
  """One minted API token (never the token string itself: only what it says and what became of it)."""

  __tablename__ = "token"

  id: Mapped[int] = mapped_column(Integer, primary_key=True)
  jti: Mapped[str] = mapped_column(String(MAX_JTI), unique=True, index=True)
  name: Mapped[str] = mapped_column(String(255))  # the aud claim
  description: Mapped[str] = mapped_column(String(255))  # the sub claim
  permissions: Mapped[list] = mapped_column(JSON)
  not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime)
  expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
  created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  created_by: Mapped[str] = mapped_column(String(255))
  revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
  revoked_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
  last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

  def status(self, now: dt.datetime | None = None) -> str:
    """``revoked``, ``expired``, ``pending`` (not valid yet) or ``active``."""
    now = now or utcnow()
    if self.revoked_at is not None:
      return "revoked"
    if self.expires_at <= now:
      return "expired"
    if self.not_before > now:
      return "pending"
    return "active"


# -- minting ---------------------------------------------------------------------------------------


@dataclass
class TokenRequest:
  name: str
  description: str
  not_before: dt.datetime
  expires: dt.datetime
  permissions: list[str]


def known_permissions(registry) -> list[str]:
  """The permissions a token may carry: ``<type>_api`` of every resource type, and those declared
  with :func:`add_token_permission`."""
  state = app_state(registry)
  declared = set(state.token_permissions)
  return sorted({resource_type.permission for resource_type in state.resource_types.values()} | declared)


PERMISSION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def add_token_permission(config, name: str, description: str = "") -> None:
  """Declare a token permission that no resource type gives (``<plugin>_api`` by convention), for
  views that check it themselves: a token carrying it has the principal ``perm:<name>``
  (:func:`prodmanager.security.token_permission_principal`)."""
  if not PERMISSION_NAME.match(name):
    raise ConfigurationError(f"add_token_permission: {name!r} must be lower case letters, digits and '_'")
  register(
    config,
    ("prodmanager.token_permission", name),
    lambda: app_state(config.registry).token_permissions.__setitem__(name, description),
    what="token permissions",
    title=name,
    description=description,
  )


def check_token_request(
  registry, name, description, not_before, expiration, permissions, now: dt.datetime | None = None
) -> TokenRequest:
  """Validate what a token is asked for (API and CLI alike); raise :class:`ValidationFailed` with every reason.

  ``not_before`` and ``expiration`` are raw values (text, a datetime, or None for the defaults: valid
  from now, the current minute, for one hour), computed when called, never at process start.
  """
  reasons = {}
  name = str(name or "").strip()
  description = str(description or "").strip()
  if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
    reasons["name"] = [f"must be between {NAME_LENGTH[0]} and {NAME_LENGTH[1]} characters long"]
  if not DESCRIPTION_LENGTH[0] <= len(description) <= DESCRIPTION_LENGTH[1]:
    reasons["description"] = [
      f"must be between {DESCRIPTION_LENGTH[0]} and {DESCRIPTION_LENGTH[1]} characters long"
    ]
  for field, text in (("name", name), ("description", description)):
    try:
      check_text(text)
    except ValueError as error:
      reasons.setdefault(field, []).append(str(error))
  now = (now or utcnow()).replace(second=0, microsecond=0)
  dates = {}
  for field, raw, default in (
    ("not_before_date", not_before, now),
    ("expiration_date", expiration, now + DEFAULT_LIFETIME),
  ):
    try:
      dates[field] = parse_datetime(raw) if raw not in (None, "") else default
    except ValueError as error:
      reasons[field] = [str(error)]
  if len(dates) == 2:
    lifetime = dates["expiration_date"] - dates["not_before_date"]
    maximum = registry.settings["prodmanager.jwt_max_lifetime_hours"]
    if lifetime <= dt.timedelta(0):
      reasons["expiration_date"] = ["must be after not_before_date"]
    elif maximum is not None and lifetime > dt.timedelta(hours=maximum):
      reasons["expiration_date"] = [
        f"the token would be valid for more than the maximum lifetime of {maximum} hours "
        "(PM_JWT_MAX_LIFETIME_HOURS) after not_before_date"
      ]
  permissions = list(permissions or [])
  if not all(isinstance(permission, str) for permission in permissions):
    reasons["permissions"] = ["expected a list of permission names"]
  else:
    known = known_permissions(registry)
    unknown = [permission for permission in permissions if permission not in known]
    if unknown:
      reasons["permissions"] = [
        f"unknown permission {permission!r}; choose among {', '.join(known)}" for permission in unknown
      ]
  if reasons:
    raise ValidationFailed("Token creation failed", reasons)
  return TokenRequest(
    name, description, dates["not_before_date"], dates["expiration_date"], sorted(set(permissions))
  )


def mint_recorded(
  registry, session: Session, wanted: TokenRequest, created_by: str
) -> tuple[str, TokenRecord]:
  """Mint a token and add its record to ``session``: both happen, or neither (the caller's transaction)."""
  token, claims = app_state(registry).tokens.mint(
    wanted.name, wanted.description, wanted.not_before, wanted.expires, wanted.permissions
  )
  record = TokenRecord(
    jti=claims["jti"],
    name=wanted.name,
    description=wanted.description,
    permissions=list(wanted.permissions),
    not_before=wanted.not_before,
    expires_at=wanted.expires,
    created_at=dt.datetime.fromtimestamp(claims["iat"], dt.UTC),
    created_by=created_by,
  )
  session.add(record)
  session.flush()
  return token, record


# -- verification ----------------------------------------------------------------------------------


def claim_date(value: int) -> dt.datetime:
  """A verified timestamp claim as a datetime (0.22 accepted any: past year 9999 is kept as its end)."""
  try:
    return dt.datetime.fromtimestamp(value, dt.UTC)
  except (OverflowError, OSError, ValueError):
    return dt.datetime.max.replace(tzinfo=dt.UTC) if value > 0 else dt.datetime.min.replace(tzinfo=dt.UTC)


def legacy_record(claims: dict) -> TokenRecord:
  """The record of a 0.22 token, from its verified claims: what it says, minted when it says."""
  issued = claims.get("iat")
  permissions = claims["permissions"]
  return TokenRecord(
    jti=claims["jti"],
    name=claims["aud"][:255],
    description=claims["sub"][:255],
    permissions=list(permissions),
    not_before=claim_date(claims["nbf"]),
    expires_at=claim_date(claims["exp"]),
    created_at=claim_date(issued) if isinstance(issued, int) and not isinstance(issued, bool) else utcnow(),
    created_by=CREATED_BY_LEGACY,
  )


def record_legacy(session: Session, claims: dict):
  """Record a 0.22 token seen for the first time, and return its row (id, revoked_at, last_used_at).

  Two replicas may see it at once: the unique ``jti`` index keeps one record, the other reads it.
  """
  try:
    with session.begin():
      session.add(legacy_record(claims))
    log.info("token %s (%s) minted by 0.22 recorded on its first use", claims["jti"], claims["aud"])
  except IntegrityError:
    session.rollback()
  with session.begin():
    return session.execute(
      select(TokenRecord.id, TokenRecord.revoked_at, TokenRecord.last_used_at).where(
        TokenRecord.jti == claims["jti"]
      )
    ).one_or_none()


class CheckedTokens:
  """The tokens of this process whose record was found valid lately: their next requests skip the check.

  A token is kept with the **token version** read before its record was: a value replaced after
  every commit that writes the token table (prodmanager.cache, shared like the content version), so
  a revocation, whatever process or host makes it, is seen by the next request everywhere. It is
  kept at most until its ``last_used_at`` is due again (a minute), so that use is still noted, and
  for ``KEEP_SECONDS``: processes that share neither the instance folder nor Redis (hosts without
  Redis) see a revocation within that time.
  """

  MAX_TOKENS = 1000
  KEEP_SECONDS = 5

  def __init__(self, version):
    self.version = version
    self.valid: dict[str, tuple[str, float]] = {}  # jti -> (token version, when last_used_at is due)

  def current(self) -> str | None:
    try:
      return self.version.current()
    except Exception:  # noqa: BLE001 - the version's store is out of reach: check the record
      return None

  def known(self, jti: str) -> bool:
    entry = self.valid.get(jti)
    if entry is None:
      return False
    version, due = entry
    return time.time() < due and version == self.current()

  def remember(self, jti: str, version: str | None, last_used: dt.datetime) -> None:
    if version is None:
      return
    if len(self.valid) >= self.MAX_TOKENS:
      self.valid.clear()
    self.valid[jti] = (
      version,
      min((last_used + TOUCH_INTERVAL).timestamp(), time.time() + self.KEEP_SECONDS),
    )


def check_record(
  session_factory, claims: dict, legacy: bool = False, checked: CheckedTokens | None = None
) -> None:
  """Refuse (401) a token whose ``jti`` is unknown or revoked; note its use at most once a minute.

  One SELECT on the unique ``jti`` index, in a short session of its own (the identity may be asked
  for outside the request's transaction); the UPDATE of ``last_used_at`` only when the stored value
  is a minute old or more, and conditional, so that concurrent workers do not write it twice.
  A ``legacy`` token (minted by 0.22, which recorded nothing) is recorded the first time it is seen,
  so that it is listed and can be revoked like the others.
  """
  jti = claims.get("jti")
  if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
    raise Unauthorized(Message("api.token.invalid"), {"token": [Message("api.token.unknown")]})
  if checked is not None and checked.known(jti):
    return
  # Read before the record: a revocation committed after it replaces it, and the next check reads again.
  version = checked.current() if checked is not None else None
  session = session_factory()
  try:
    with session.begin():
      row = session.execute(
        select(TokenRecord.id, TokenRecord.revoked_at, TokenRecord.last_used_at).where(TokenRecord.jti == jti)
      ).one_or_none()
    if row is None and legacy:
      row = record_legacy(session, claims)
    if row is None:
      raise Unauthorized(Message("api.token.invalid"), {"token": [Message("api.token.unknown")]})
    if row.revoked_at is not None:
      raise Unauthorized(Message("api.token.invalid"), {"token": [Message("api.token.revoked")]})
    now = utcnow()
    last_used = row.last_used_at
    if last_used is None or now - last_used >= TOUCH_INTERVAL:
      last_used = now
      session.info[TOUCH_KEY] = True
      try:
        with session.begin():
          session.execute(
            update(TokenRecord)
            .where(
              TokenRecord.id == row.id,
              or_(TokenRecord.last_used_at.is_(None), TokenRecord.last_used_at <= now - TOUCH_INTERVAL),
            )
            .values(last_used_at=now)
          )
      except SQLAlchemyError as error:
        # Only bookkeeping: the request goes on.
        log.warning("could not record the last use of token %s: %s", jti, error)
    if checked is not None:
      checked.remember(jti, version, last_used)
  finally:
    session.close()


# -- administration (API and CLI) ------------------------------------------------------------------


def find_record(session: Session, jti: str) -> TokenRecord | None:
  return session.scalar(select(TokenRecord).where(TokenRecord.jti == jti))


def get_record(session: Session, jti: str) -> TokenRecord:
  record = find_record(session, jti)
  if record is None:
    raise NotFound("Unknown token", {"jti": [f"no token has the jti {jti!r}"]})
  return record


def revoke(record: TokenRecord, by: str, now: dt.datetime | None = None) -> bool:
  """Revoke a token; True if it was active until now (revoking twice keeps the first revocation)."""
  if record.revoked_at is not None:
    return False
  record.revoked_at = now or utcnow()
  record.revoked_by = by
  return True


def list_records(
  session: Session, offset: int = 0, limit: int | None = None
) -> tuple[list[TokenRecord], int]:
  """Records, newest first, and how many there are in all."""
  total = session.scalar(select(func.count()).select_from(TokenRecord))
  statement = select(TokenRecord).order_by(TokenRecord.created_at.desc(), TokenRecord.id.desc())
  if limit == 0:
    return [], total
  rows = list(session.scalars(statement.offset(offset).limit(limit)))
  return rows, total


def format_date(value: dt.datetime | None) -> str | None:
  """Token dates keep the seconds (``YYYY-MM-DDTHH:MM:SS``, UTC)."""
  return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def serialize(record: TokenRecord, now: dt.datetime | None = None) -> dict:
  """What the API says of a token: never the token string, which is not stored anyway."""
  return {
    "jti": record.jti,
    "name": record.name,
    "description": record.description,
    "permissions": list(record.permissions or []),
    "not_before_date": format_date(record.not_before),
    "expiration_date": format_date(record.expires_at),
    "creation_date": format_date(record.created_at),
    "created_by": record.created_by,
    "last_used_date": format_date(record.last_used_at),
    "revocation_date": format_date(record.revoked_at),
    "revoked_by": record.revoked_by,
    "status": record.status(now),
  }
