"""Tweens: reverse-proxy headers, request size limit, query text check and security headers."""

from urllib.parse import parse_qsl

from pyramid.response import Response

from .cache import cacheable_response, rendering
from .errors import ValidationFailed
from .paths import is_api_path
from .text import check_text

MAX_BODY_BYTES = 1024 * 1024

CSP = (
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def proxy_fix(app, count: int):
  """Trust ``count`` reverse proxies: take client address, scheme and host from their X-Forwarded-* headers.

  ``X-Forwarded-For`` is consumed: WebOb's ``request.client_addr`` (which the rate limits count by)
  reads its *first* entry, which any client writes. With no trusted proxy it is simply dropped.
  """

  def middleware(environ, start_response):
    forwarded_for = [
      part.strip() for part in environ.pop("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if not count:
      return app(environ, start_response)
    if len(forwarded_for) >= count:
      environ["REMOTE_ADDR"] = forwarded_for[-count]
    for header, key in (
      ("HTTP_X_FORWARDED_PROTO", "wsgi.url_scheme"),
      ("HTTP_X_FORWARDED_HOST", "HTTP_HOST"),
    ):
      values = [part.strip() for part in environ.get(header, "").split(",") if part.strip()]
      if len(values) >= count:
        environ[key] = values[-count]
    return app(environ, start_response)

  middleware.registry = app.registry
  return middleware


def body_limit_tween_factory(handler, registry):
  def tween(request):
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
      # The raw path: this tween answers before the path is known to be UTF-8 (request_checks).
      if is_api_path(request.environ.get("PATH_INFO", "")):
        return Response(
          json_body={
            "message": "Request body too large",
            "reasons": {"body": [f"at most {MAX_BODY_BYTES} bytes are accepted"]},
          },
          status=413,
          charset="utf-8",
        )
      return Response("Request body too large", status=413, content_type="text/plain", charset="utf-8")
    return handler(request)

  return tween


def query_text_tween_factory(handler, registry):
  """Refuse (400, naming the parameter) a query string whose names or values hold a control character.

  Every view reads its parameters from the query string, and a NUL reaching PostgreSQL is a 500:
  one check here covers the views of every plugin. Registered under the exception view tween, so
  the error is answered like any other (JSON on ``/api``, the error page elsewhere).
  """

  def tween(request):
    # ``errors="replace"``: undecodable bytes are not this check's business (they answer 400 elsewhere).
    for name, value in parse_qsl(request.query_string, keep_blank_values=True, errors="replace"):
      # A bad name is reported as "query": the reason's key would hold the bad character itself.
      for text, field, label in ((name, "query", "a query parameter name"), (value, name, name)):
        try:
          check_text(text)
        except ValueError as error:
          # The message names the parameter too: the HTML error page shows the message only.
          raise ValidationFailed(f"Invalid query parameter {label}: {error}", {field: [str(error)]}) from None
    return handler(request)

  return tween


def security_headers(headers, https: bool) -> None:
  """The headers every response carries (those a view set itself are kept); HSTS only over HTTPS."""
  headers.setdefault("X-Content-Type-Options", "nosniff")
  headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
  headers.setdefault("X-Frame-Options", "DENY")
  headers.setdefault("Content-Security-Policy", CSP)
  if https:
    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def security_headers_tween_factory(handler, registry):
  def tween(request):
    response = handler(request)
    security_headers(response.headers, request.scheme == "https")
    return response

  return tween


def head_as_get_tween_factory(handler, registry):
  """``HEAD`` answers exactly like ``GET``, without the body.

  Views and the API document declare ``GET`` only; pyramid_openapi3 found no ``head`` operation and
  every ``HEAD`` under ``/api`` answered 500 (Statuspage consumers probe pages with
  ``HEAD /api/v2/components.json``). The request is handled as a ``GET``; its method is restored
  before the answer leaves, and WebOb then sends the headers (``Content-Length`` included) only.
  """

  def tween(request):
    if request.method != "HEAD":
      return handler(request)
    request.method = "GET"
    try:
      return handler(request)
    finally:
      request.method = "HEAD"

  return tween


def etag_tween_factory(handler, registry):
  """ETag on every successful GET/HEAD page and JSON response, and 304 on a matching If-None-Match.

  The tag is a hash of the body, so it changes exactly when what the reader sees changes.
  """

  def tween(request):
    response = handler(request)
    if request.method in ("GET", "HEAD") and response.status_code == 200 and response.etag is None:
      if response.app_iter is not None and not hasattr(response, "_app_iter_file"):
        if rendering.get() is request.environ and cacheable_response(request, response):
          # The cache tween tags the answer it keeps with its version: no hash of the body
          # (0.7 ms for the Statuspage summary of 1,000 components).
          return response
        response.md5_etag()
        response.conditional_response = True
    return response

  return tween
