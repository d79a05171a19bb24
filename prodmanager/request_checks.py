"""Checks of what every request carries, before any view or tween reads it.

* The path and the query string must be UTF-8 once percent-decoded: WebOb decodes them lazily and
  raised ``UnicodeDecodeError`` wherever they were first read (a tween, the router, the error
  page's layout), which the WSGI server answered with a plain-text 500.
* The query string holds at most :data:`MAX_QUERY_PARAMETERS` parameters in :data:`MAX_QUERY_BYTES`,
  and a form body at most :data:`MAX_FORM_FIELDS` fields: 20,000 parameters took seconds of CPU per
  request. No page or endpoint needs more (a filter takes at most 50 values).
* A JSON body must not hold a lone surrogate (``"\\ud800"``): JSON allows the escape, but it is no
  character, and it cannot be stored or sent back.

Every refusal is a :class:`~prodmanager.errors.ValidationFailed` (400), answered by the error views:
JSON on ``/api``, the error page elsewhere.
"""

import json
import re
from urllib.parse import parse_qsl

from .errors import Message, ValidationFailed

INVALID = Message("api.errors.invalid_request")

MAX_QUERY_PARAMETERS = 500
MAX_QUERY_BYTES = 16 * 1024
MAX_FORM_FIELDS = 500
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# A \uD800-\uDFFF escape: only then can a parsed JSON text hold a lone surrogate.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")


def wsgi_text(value: str) -> str:
  """A WSGI environ string (bytes as Latin-1) decoded as UTF-8, or ``UnicodeDecodeError``."""
  return value.encode("latin-1").decode("utf-8")


def replaced(value: str) -> str:
  """``value`` with every byte sequence that is not UTF-8 replaced by U+FFFD, back in WSGI form."""
  return value.encode("latin-1").decode("utf-8", "replace").encode("utf-8").decode("latin-1")


def check_path_and_query(environ) -> None:
  path = environ.get("PATH_INFO", "")
  query = environ.get("QUERY_STRING", "")
  try:
    wsgi_text(path)
  except UnicodeDecodeError:
    # Whatever answers next (the error page's layout, the metrics) reads the path: make it readable.
    environ["PATH_INFO"], environ["QUERY_STRING"] = replaced(path), ""
    raise ValidationFailed(INVALID, {"path": [Message("api.request.path_not_utf8")]}) from None
  if len(query) > MAX_QUERY_BYTES:
    environ["QUERY_STRING"] = ""
    raise ValidationFailed(INVALID, {"query": [Message("api.request.query_too_long", limit=MAX_QUERY_BYTES)]})
  if not query:
    return
  pairs = parse_qsl(query, keep_blank_values=True, encoding="latin-1")
  if len(pairs) > MAX_QUERY_PARAMETERS:
    environ["QUERY_STRING"] = ""
    raise ValidationFailed(
      INVALID, {"query": [Message("api.request.too_many_parameters", limit=MAX_QUERY_PARAMETERS)]}
    )
  for key, value in pairs:
    try:
      wsgi_text(key), wsgi_text(value)
    except UnicodeDecodeError:
      environ["QUERY_STRING"] = ""
      try:
        field = wsgi_text(key)[:50] or "query"
      except UnicodeDecodeError:
        field = "query"
      raise ValidationFailed(INVALID, {field: [Message("api.request.not_utf8")]}) from None


def check_form_body(request) -> None:
  """URL-encoded forms: a bounded number of fields, UTF-8 (the body is at most 1 MiB, read once)."""
  if request.method not in ("POST", "PUT", "PATCH") or request.content_type != FORM_CONTENT_TYPE:
    return
  body = request.body
  if body.count(b"&") >= MAX_FORM_FIELDS:
    raise ValidationFailed(INVALID, {"body": [Message("api.request.too_many_fields", limit=MAX_FORM_FIELDS)]})
  for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
    try:
      wsgi_text(key), wsgi_text(value)
    except UnicodeDecodeError:
      raise ValidationFailed(INVALID, {"body": [Message("api.request.form_not_utf8")]}) from None


def request_checks_tween_factory(handler, registry):
  """Refuse, with a 400, a request whose path, query or form cannot be read (module docstring)."""

  def tween(request):
    check_path_and_query(request.environ)
    check_form_body(request)
    return handler(request)

  return tween


def has_lone_surrogate(value) -> bool:
  if isinstance(value, str):
    try:
      value.encode("utf-8")
    except UnicodeEncodeError:
      return True
    return False
  if isinstance(value, dict):
    return any(has_lone_surrogate(key) or has_lone_surrogate(item) for key, item in value.items())
  if isinstance(value, list):
    return any(has_lone_surrogate(item) for item in value)
  return False


def json_body(request):
  """``request.json_body`` (WebOb's), refusing a lone surrogate with a 400 naming the field."""
  text = request.body.decode(request.charset or "utf-8")
  data = json.loads(text)
  if SURROGATE_ESCAPE.search(text) and has_lone_surrogate(data):
    message = [Message("api.request.lone_surrogate")]
    fields = []
    if isinstance(data, dict):
      fields = [
        key for key, value in data.items() if not has_lone_surrogate(key) and has_lone_surrogate(value)
      ]
    reasons = {field: message for field in fields} or {"body": message}
    raise ValidationFailed(Message("api.errors.invalid_json"), reasons)
  return data


def includeme(config):
  config.add_request_method(json_body, "json_body", reify=True)
