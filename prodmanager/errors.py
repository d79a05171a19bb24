"""Errors raised by services and rendered as JSON on ``/api`` and as pages elsewhere.

Every API error has the 0.22 shape ``{"message": ..., "reasons": {field_or_topic: [...]}}``.
"""

from pyramid.httpexceptions import HTTPException


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


def http_reasons(exc: HTTPException) -> dict[str, list[str]]:
  detail = getattr(exc, "detail", None) or getattr(exc, "explanation", "")
  return {"request": [str(detail)]} if detail else {}
