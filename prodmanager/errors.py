"""Errors raised by services and rendered as JSON on ``/api`` and as pages elsewhere.

Every API error has the 0.22 shape ``{"message": ..., "reasons": {field_or_topic: [...]}}``.
A message or reason may be a :class:`Message` (a key of the i18n catalogues): the error views answer
it in the request's language.
"""

from functools import cache
from pathlib import Path

from pyramid.httpexceptions import HTTPException

from .i18n import ENGLISH_LOADED, Catalogues, format_message


@cache
def _core_english() -> dict[str, str]:
  catalogues = Catalogues()
  catalogues.load_directory(Path(__file__).with_name("translations"))
  return catalogues.messages["en"]


def _english(key: str) -> str | None:
  """The English text of ``key``: the core's catalogue, else any English catalogue loaded in this
  process (a plugin's labels, ``incident.singular``), so that plain-string messages read well."""
  return _core_english().get(key) or ENGLISH_LOADED.get(key)


class Message(str):
  """A message of the i18n catalogues (``Message("api.token.expired")``), for errors raised where no
  request is at hand (services, the token checks).

  The error views translate it into the request's language; as a plain string (logs, the CLI,
  tests) it reads in English. An argument may itself be a message (a field's label,
  ``Message("validation.not_before", other=Message("fields.start_date"))``): it is translated too.
  """

  key: str
  arguments: dict

  def __new__(cls, key: str, **arguments):
    english = _english(key)
    text = super().__new__(cls, format_message(english, key, {k: str(v) for k, v in arguments.items()}))
    text.key = key
    text.arguments = arguments
    return text

  def translate(self, translate) -> str:
    """This message through ``translate`` (``request._``)."""
    return translate(self.key, **{name: localize(translate, value) for name, value in self.arguments.items()})


def reason(error: Exception):
  """The message a ``ValueError`` carries: its :class:`Message` when it has one (translated later)."""
  first = error.args[0] if error.args else ""
  return first if isinstance(first, Message) else str(error)


def localize(translate, value):
  """``value`` (a message, a list of them or a dict of reasons) with every :class:`Message` translated."""
  if isinstance(value, Message):
    return value.translate(translate)
  if isinstance(value, dict):
    return {key: localize(translate, item) for key, item in value.items()}
  if isinstance(value, (list, tuple)):
    return [localize(translate, item) for item in value]
  return value


class AppError(Exception):
  """A failure the user can act on: it carries an HTTP status, a message and per-field reasons."""

  status = 400

  def __init__(self, message: str, reasons: dict[str, list[str]] | None = None, status: int | None = None):
    super().__init__(message)
    self.message = message
    self.reasons = reasons or {}
    if status is not None:
      self.status = status

  def to_json(self) -> dict:
    return {"message": self.message, "reasons": self.reasons}


class ValidationFailed(AppError):
  status = 400


class NotAllowed(AppError):
  status = 403


class NotFound(AppError):
  status = 404


class Conflict(AppError):
  status = 409


class Unauthorized(AppError):
  status = 401


class TooManyAttempts(AppError):
  """Too many failed attempts at the administrator secret from one client (429).

  ``outcome`` is the :class:`prodmanager.ratelimit.Outcome` of the refused attempt (its headers).
  """

  status = 429

  def __init__(self, message, reasons, outcome):
    super().__init__(message, reasons)
    self.outcome = outcome


def http_reasons(exc: HTTPException) -> dict[str, list[str]]:
  detail = getattr(exc, "detail", None) or getattr(exc, "explanation", "")
  return {"request": [str(detail)]} if detail else {}
