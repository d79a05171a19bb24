"""Operator sessions kept on the server, so that logging out ends them.

The session cookie is signed, not stored: on its own, a copy taken before a logout would keep
working until it expires (12 hours, 7 days with "remember me"). So a login also opens a record
here, by a random id that the cookie carries, and a session is only valid while its record is:
logout deletes it, and every session-authenticated request looks it up (one SELECT on the
primary key, once per request). The database holds the records, because every deployment has
one (Redis is optional).

The record is keyed by an HMAC of the id under a key derived from the administrator secret: a
database dump does not give cookies away, and a change of the secret makes every record
unreachable (on top of the cookie signature, whose key is derived from the secret too).
Expired records are deleted at each login.
"""

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from sqlalchemy import String, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, utcnow
from .state import app_state

log = logging.getLogger(__name__)

KEY_LENGTH = 64  # hex SHA-256


class LoginSession(Base):
  """One open operator session (never the id of the cookie itself, only its HMAC)."""

  __tablename__ = "login_session"

  key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
  name: Mapped[str] = mapped_column(String(255))
  created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


def record_key(request, session_id: str) -> str:
  key = app_state(request.registry).session_record_key
  return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


def open_session(request, name: str, seconds: int) -> str:
  """Record a new session in the request's transaction; returns the id for the cookie."""
  session_id = secrets.token_urlsafe(32)
  now = utcnow()
  dbsession = request.dbsession
  dbsession.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
  dbsession.add(
    LoginSession(
      key=record_key(request, session_id),
      name=name,
      created_at=now,
      expires_at=now + dt.timedelta(seconds=seconds),
    )
  )
  dbsession.flush()
  # The record is not committed yet: this request knows it is open without looking.
  request.__dict__["_prodmanager_login_session"] = (session_id, True)
  return session_id


def close_session(request, session_id: str | None) -> None:
  """Delete the record of a session (logout), in the request's transaction."""
  if isinstance(session_id, str) and session_id:
    request.dbsession.execute(delete(LoginSession).where(LoginSession.key == record_key(request, session_id)))
    request.__dict__["_prodmanager_login_session"] = (session_id, False)


def is_open(request, session_id) -> bool:
  """Whether the session of this id is still recorded and not expired (looked up once per request).

  In a short session of its own, like the token records: the identity is asked for outside the
  request's transaction too (tweens, error views). A database failure counts as closed: a request
  never gets an operator's rights on a session nobody could check.
  """
  if not isinstance(session_id, str) or not session_id:
    return False
  cached = request.__dict__.get("_prodmanager_login_session")
  if cached is not None and cached[0] == session_id:
    return cached[1]
  session = app_state(request.registry).db_session_factory()
  try:
    with session.begin():
      found = session.scalar(
        select(LoginSession.key).where(
          LoginSession.key == record_key(request, session_id), LoginSession.expires_at > utcnow()
        )
      )
    result = found is not None
  except SQLAlchemyError as error:
    log.warning("could not check an operator session: %s", error)
    result = False
  finally:
    session.close()
  request.__dict__["_prodmanager_login_session"] = (session_id, result)
  return result
