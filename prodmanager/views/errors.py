"""Error views: JSON ``{"message", "reasons"}`` for every ``/api/`` failure, an error page elsewhere.

No stack trace, SQL or exception text of an unexpected error ever reaches a response. The
exception view tween only sees what views and the tweens under it raise; :func:`failsafe_tween_factory`
answers the rest (pyramid_tm reading a token's identity or committing, the tweens above it) through
the same views, and :func:`failsafe_app` answers what even that cannot (response callbacks).
"""

import json
import logging
import sys
from urllib.parse import urlencode

from jsonschema.exceptions import best_match
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.validation.request.exceptions import (
  MissingRequiredParameter,
  MissingRequiredRequestBody,
  SecurityValidationError,
)
from pyramid.exceptions import BadCSRFToken, PredicateMismatch
from pyramid.httpexceptions import (
  HTTPException,
  HTTPForbidden,
  HTTPMethodNotAllowed,
  HTTPNotFound,
  HTTPSeeOther,
)
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config
from pyramid_openapi3.exceptions import RequestValidationError, ResponseValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from ..api.schemas import field_message
from ..errors import AppError, Message, TooManyAttempts, localize
from ..paths import is_json_path
from ..state import app_state
from ..tweens import security_headers

log = logging.getLogger(__name__)

# The database failures that mean "cannot be reached now" (down, restarting, pool exhausted, locked):
# the client may retry, unlike after a bug.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)
RETRY_AFTER_SECONDS = 5


def wants_json(request) -> bool:
  """JSON errors for the API and for every JSON document outside it (badge.json, /health/*)."""
  route = getattr(request, "matched_route", None)
  return is_json_path(request.path) or (route is not None and route.name.startswith("api:"))


def json_error(
  request, status: int, message: str, reasons: dict | None = None, headers: dict | None = None
) -> Response:
  response = Response(
    json_body={"message": localize(request._, message), "reasons": localize(request._, reasons or {})},
    status=status,
    content_type="application/json",
    charset="utf-8",
  )
  response.headers.update(headers or {})
  return response


def html_error(request, status: int, message: str) -> Response:
  response = render_to_response(
    "prodmanager:templates/pages/error.jinja2",
    {"status": status, "message": localize(request._, message)},
    request=request,
  )
  response.status = status
  return response


def error_response(
  request, status: int, message: str, reasons: dict | None = None, headers: dict | None = None
):
  if wants_json(request):
    return json_error(request, status, message, reasons, headers)
  response = html_error(request, status, message)
  response.headers.update(headers or {})
  return response


@exception_view_config(AppError)
def app_error(exc, request):
  headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
  return error_response(request, exc.status, exc.message, exc.reasons, headers)


@exception_view_config(TooManyAttempts)
def too_many_attempts(exc, request):
  """Too many wrong secrets from this client: 429 with the time to wait, JSON or the error page."""
  outcome = exc.outcome
  headers = {"Retry-After": str(outcome.reset)}
  if not wants_json(request):
    # The login page's own figures; an API response keeps those of the API limit, if any.
    headers.update(outcome.headers())
  return error_response(
    request,
    429,
    exc.message if wants_json(request) else request._("errors.too_many_requests_text", seconds=outcome.reset),
    exc.reasons,
    headers,
  )


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request) -> list[str]:
  """The methods the API document gives the request's route (``HEAD`` with ``GET``), for ``Allow``."""
  route = getattr(request, "matched_route", None)
  openapi = getattr(app_state(request.registry), "openapi", None)
  if route is None or openapi is None:
    return []
  item = openapi.document.document.get("paths", {}).get(route.pattern, {})
  methods = {key.upper() for key in item if key.upper() in METHOD_ORDER}
  if "GET" in methods:
    methods.add("HEAD")
  return [method for method in METHOD_ORDER if method in methods]


@notfound_view_config()
def not_found(exc, request):
  allowed = allowed_methods(request) if wants_json(request) else []
  # A method the path's operations never take is a 405, whether or not the id exists.
  if wants_json(request) and (
    isinstance(exc, PredicateMismatch) or (allowed and request.method not in allowed)
  ):
    return json_error(
      request,
      405,
      Message("api.errors.method_not_allowed", method=request.method, path=request.path),
      {
        "method": [
          Message("api.request.method_not_allowed_use", method=request.method, allowed=", ".join(allowed))
          if allowed
          else Message("api.request.method_not_allowed", method=request.method)
        ]
      },
      {"Allow": ", ".join(allowed)} if allowed else None,
    )
  return error_response(request, 404, request._("errors.not_found"), not_found_reasons(request))


def not_found_reasons(request) -> dict:
  """What was not found. An unknown id of a type is named by its type, as 0.22 did
  (``{"scope": ["no scope has the id 12"]}``): its clients read ``reasons.<type>``."""
  context = getattr(request, "context", None)
  # A type's container (prodmanager.resources.Container, not imported: it imports the security
  # module, which imports this one), where traversal stopped at an id it does not hold.
  container = getattr(context, "resource_type", None) is not None and not hasattr(context, "row")
  if wants_json(request) and container and request.view_name:
    name = context.resource_type.name
    return {name: [Message("api.errors.unknown_id", type=name, ident=request.view_name)]}
  return {"resource": [Message("api.request.nothing_at", path=request.path)]}


@forbidden_view_config()
def forbidden(exc, request):
  if request.identity is None:
    if wants_json(request):
      return json_error(
        request,
        401,
        Message("api.errors.authentication_required"),
        {"token": [Message("api.token.send_with_permission")]},
        {"WWW-Authenticate": "Bearer"},
      )
    if request.method == "GET":
      return HTTPSeeOther(f"/login?{urlencode({'next': request.path_qs})}")
    return error_response(request, 403, request._("errors.forbidden"))
  permission = exc.result.permission if hasattr(exc.result, "permission") else "forbidden"
  return error_response(
    request,
    403,
    Message("api.errors.not_allowed"),
    {"permission": [Message("api.request.credentials", permission=permission)]},
  )


@exception_view_config(BadCSRFToken)
def bad_csrf(exc, request):
  return error_response(
    request,
    400,
    request._("errors.csrf"),
    {"csrf_token": [Message("api.request.csrf")]},
  )


@exception_view_config(HTTPMethodNotAllowed)
def method_not_allowed(exc, request):
  allowed = allowed_methods(request)
  return error_response(
    request,
    405,
    Message("api.errors.method_not_allowed", method=request.method, path=request.path),
    headers={"Allow": ", ".join(allowed)} if allowed else None,
  )


@exception_view_config(RequestValidationError)
def request_validation_error(exc, request):
  reasons, status = {}, 400
  for error in exc.errors:
    name = error.__class__.__name__
    if isinstance(error, SecurityValidationError):
      # The operation requires a token and none was sent: 401, like the security policy answers.
      return json_error(
        request,
        401,
        Message("api.errors.authentication_required"),
        {"token": [Message("api.token.send")]},
        {"WWW-Authenticate": "Bearer"},
      )
    if "MediaTypeNotFound" in name or "MediaTypeNotFound" in repr(getattr(error, "__cause__", "")):
      status = 415
      reasons.setdefault("content_type", []).append(
        Message("api.request.content_type", content_type=(request.content_type or "-")[:100])
      )
      continue
    for field, message in describe_validation_error(error):
      reasons.setdefault(field, []).append(message)
  message = Message("api.errors.unsupported_media_type" if status == 415 else "api.errors.invalid_request")
  return json_error(request, status, message, reasons)


def describe_validation_error(error) -> list[tuple[str, str]]:
  """Turn an openapi-core error into (field, message) pairs a client can act on.

  Short messages from the catalogues that name the field; never the submitted value (a body may
  be 1 MiB, and openapi-core's own messages quote it whole).
  """
  found = []
  cause = error.__cause__ or error
  schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
  parameter = getattr(error, "name", None) or getattr(getattr(error, "param", None), "name", None)
  if schema_errors:
    for schema_error in schema_errors:
      path = [str(part) for part in schema_error.absolute_path]
      field = parameter or (path[0] if path else _required_field(schema_error.message)) or "body"
      found.append((field, schema_error_message(schema_error)))
  elif isinstance(cause, MediaTypeDeserializeError):
    found.append(("body", Message("api.request.unreadable_body", mimetype=cause.mimetype[:100])))
  elif isinstance(error, MissingRequiredRequestBody) or isinstance(cause, MissingRequiredRequestBody):
    found.append(("body", Message("api.request.body_required")))
  elif isinstance(error, MissingRequiredParameter):
    found.append((parameter or "request", Message("api.request.required")))
  else:
    log.info("invalid request on %s: %s", error.__class__.__name__, cause.__class__.__name__)
    found.append((parameter or "request", Message("api.request.invalid_value")))
  return found


def schema_error_message(error) -> str:
  """A short message for a JSON Schema error; never echoes the submitted value (it may be 64 KiB)."""
  validator, expected = error.validator, error.validator_value
  if validator in ("anyOf", "oneOf") and error.context:
    # "X is not valid under any of the given schemas" says nothing; the closest branch does.
    # A branch that failed on its type is the wrong branch for this value: prefer the others.
    relevant = [branch for branch in error.context if branch.validator != "type"] or error.context
    return schema_error_message(best_match(relevant))
  if validator == "type" and isinstance(expected, list):
    kinds = [kind for kind in expected if kind != "null"]
    if len(kinds) == 1:
      # A nullable field: "expected a value of type string or null" reads better than a list.
      return Message("api.request.type_or_null", expected=kinds[0])
    return Message("api.request.types", types=", ".join(expected))
  if validator == "enum":
    return Message(
      "api.request.enum", choices=", ".join("null" if value is None else str(value) for value in expected)
    )
  if validator == "required":
    return Message("api.request.required")
  # A schema generated from a field: the field's own message says what is wrong with the value.
  # (Not for a value of the wrong type: "expected a value of type string" says it better.)
  described = None if validator == "type" else field_message(error.schema, error.instance)
  if described:
    return described
  messages = {
    "maxLength": "api.request.max_length",
    "minLength": "api.request.min_length",
    "type": "api.request.type",
    "maxItems": "api.request.max_items",
    "minimum": "api.request.minimum",
    "maximum": "api.request.maximum",
    "pattern": "api.request.pattern",
    "format": "api.request.format",
  }
  if validator in messages:
    return Message(messages[validator], expected=expected)
  return Message("api.request.invalid_value")


def _required_field(message: str) -> str | None:
  if message.endswith("is a required property"):
    return message.split("'")[1] if "'" in message else None
  return None


@exception_view_config(ResponseValidationError)
def response_validation_error(exc, request):
  response = getattr(exc, "response", None)
  if response is not None and response.status_code >= 500:
    # Already an error answer of these views (an unexpected error, the database unreachable): it
    # says what happened, which a complaint about the document would hide.
    return response
  log.error(
    "response does not match the OpenAPI document on %s %s: %s", request.method, request.path, exc.errors
  )
  return error_response(
    request, 500, Message("api.errors.internal"), {"server": [Message("api.request.response_mismatch")]}
  )


@exception_view_config(HTTPException)
def http_exception(exc, request):
  if exc.code and exc.code < 400:
    return exc
  if isinstance(exc, HTTPNotFound):
    return not_found(exc, request)
  if isinstance(exc, HTTPForbidden):
    return forbidden(exc, request)
  return error_response(
    request, exc.code, exc.title, {"request": [exc.explanation]} if exc.explanation else {}
  )


def database_unavailable(exc, request):
  log.error("database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__)
  return error_response(
    request,
    503,
    request._("errors.unavailable"),
    {"database": [Message("api.request.database_unavailable")]},
    {"Retry-After": str(RETRY_AFTER_SECONDS)},
  )


@exception_view_config(Exception)
def server_error(exc, request):
  log.exception("unexpected error on %s %s", request.method, request.path)
  return error_response(
    request, 500, Message("api.errors.internal"), {"server": [Message("api.request.unexpected")]}
  )


# -- failures outside the exception view tween -----------------------------------------------------


def failsafe_tween_factory(handler, registry):
  """Answer every exception raised below this tween through the error views above.

  Pyramid's exception view tween only covers what is under it; pyramid_tm, above it, reads the
  identity (a token's record, from the database) and commits. Should an error view fail in turn,
  a minimal answer of the right kind is given instead of the WSGI server's plain-text 500.
  """

  def tween(request):
    try:
      return handler(request)
    except Exception:
      exc_info = sys.exc_info()
      try:
        return request.invoke_exception_view(exc_info)
      except Exception:
        log.exception("the error views failed on %s", request.environ.get("PATH_INFO", "?"))
        return minimal_error(request.environ)
      finally:
        del exc_info

  return tween


def minimal_error(environ, status: int = 500) -> Response:
  """A 500 that needs nothing but the environ (its raw path decides JSON or HTML)."""
  path = environ.get("PATH_INFO", "")
  if is_json_path(path):
    body = {
      "message": "Internal error",
      "reasons": {"server": ["an unexpected error happened; it was logged"]},
    }
    return Response(json.dumps(body), status=status, content_type="application/json", charset="utf-8")
  return Response(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Server error</title></head>'
    "<body><h1>Server error</h1><p>Something went wrong on our side. Please try again in a moment.</p>"
    "</body></html>",
    status=status,
    content_type="text/html",
    charset="utf-8",
  )


def failsafe_app(app):
  """The WSGI application, answering what escapes Pyramid's tweens (response callbacks, such as the
  session cookie's) with :func:`minimal_error` and the security headers, never the server's 500."""

  def wrapped(environ, start_response):
    started = []

    def recording_start_response(status, headers, exc_info=None):
      started.append(status)
      return start_response(status, headers, exc_info)

    try:
      return app(environ, recording_start_response)
    except Exception:
      if started:
        raise  # the status line is sent: nothing else can be answered
      log.exception("unexpected error outside the tweens on %s", environ.get("PATH_INFO", "?"))
      response = minimal_error(environ)
      security_headers(response.headers, environ.get("wsgi.url_scheme") == "https")
      return response(environ, start_response)

  wrapped.registry = app.registry
  return wrapped


def includeme(config):
  config.scan(__name__)
  for error in DATABASE_UNAVAILABLE:
    config.add_exception_view(database_unavailable, context=error)
