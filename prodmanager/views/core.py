"""Core pages and endpoints: login/logout, API tokens, health probes, about and robots.txt."""

import datetime as dt
import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlparse

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPNoContent, HTTPNotFound, HTTPSeeOther
from pyramid.response import FileResponse, Response
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from sqlalchemy import text

from .. import tokens
from ..api import set_pagination_headers
from ..errors import Message, ValidationFailed
from ..i18n import LANGUAGE_COOKIE
from ..rendering import AUTO_RELOAD_COOKIE
from ..resources import Root
from ..security import check_secret, token_administrator
from ..services import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, Page, parse_int_param
from ..settings import LANGUAGES
from ..site import logo_file
from ..state import app_state
from ..version import __version__

log = logging.getLogger(__name__)


def safe_next(request, target: str | None) -> str:
  """Only same-site paths are accepted as a post-login destination (no open redirect); a path with
  a control character or a space (CRLF would split the Location header) is no destination either."""
  if (
    target
    and target.startswith("/")
    and not target.startswith(("//", "/\\"))
    and all(character.isprintable() and not character.isspace() for character in target)
    and not urlparse(target).netloc
  ):
    return target
  return "/"


def login_form(request):
  return {"error": None, "next": safe_next(request, request.GET.get("next"))}


def login(request):
  _ = request._
  target = safe_next(request, request.POST.get("next"))
  if not check_secret(request, request.POST.get("secret")):
    request.response.status = 401
    return {"error": _("auth.invalid_secret"), "next": target}
  headers = remember(request, "admin", remember=request.POST.get("remember") in ("on", "true", "1", "yes"))
  request.session.flash(("success", _("auth.logged_in")))
  get_csrf_token(request)
  return HTTPSeeOther(target, headers=headers)


def logout(request):
  """End the session, and say so on the next page (the new, anonymous session carries the message)."""
  headers = forget(request)
  request.session.flash(("success", request._("auth.logged_out")))
  return HTTPSeeOther("/", headers=headers)


def about(request):
  return {}


def favicon(request):
  """``/favicon.ico``: browsers ask for it on every page whatever the HTML links to."""
  path = Path(__file__).resolve().parent.parent / "static" / "img" / "favicon.ico"
  return FileResponse(str(path), request=request, content_type="image/x-icon", cache_max_age=86400)


def site_logo_file(request):
  """``/site-logo``: the image file named by ``PM_SITE_LOGO``."""
  path = logo_file(request.registry)
  if path is None:
    raise HTTPNotFound()
  content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
  return FileResponse(str(path), request=request, content_type=content_type, cache_max_age=3600)


PREFERENCE_MAX_AGE = 365 * 24 * 3600


def preferences(request):
  """``/preferences?lang=fr`` or ``?auto_reload=on|off``, then back to ``next``: the language switcher
  and the auto-reload toggle of the footer, remembered in cookies (plain links: no JavaScript)."""
  response = HTTPSeeOther(safe_next(request, request.GET.get("next")))
  lang = request.GET.get("lang")
  auto_reload = request.GET.get("auto_reload")
  if lang is None and auto_reload is None:
    raise ValidationFailed(Message("preferences.invalid"), {"lang": [Message("preferences.choose")]})
  options = {"max_age": PREFERENCE_MAX_AGE, "path": "/", "samesite": "Lax", "httponly": True}
  if lang is not None:
    if lang not in LANGUAGES:
      raise ValidationFailed(Message("preferences.invalid"), {"lang": [Message("preferences.languages")]})
    response.set_cookie(LANGUAGE_COOKIE, lang, **options)
  if auto_reload is not None:
    if auto_reload not in ("on", "off"):
      raise ValidationFailed(Message("preferences.invalid"), {"auto_reload": [Message("preferences.on_off")]})
    if auto_reload == "on":
      response.set_cookie(AUTO_RELOAD_COOKIE, "on", **options)
    else:
      response.delete_cookie(AUTO_RELOAD_COOKIE, path="/")
  return response


def robots(request):
  allow = request.registry.settings["prodmanager.robots_allow"]
  body = "User-agent: *\n" + ("Allow: /\n" if allow else "Disallow: /\n")
  return Response(body, content_type="text/plain", charset="utf-8")


# -- API tokens ------------------------------------------------------------------------------------


def token_create(request):
  """Mint a token with the administrator secret and record it, in the request's transaction.

  Defaults are computed now, not at process start; the lifetime is capped by
  ``PM_JWT_MAX_LIFETIME_HOURS``.
  """
  data = request.POST if request.content_type != "application/json" else None
  body = request.json_body if data is None else None
  if body is not None and not isinstance(body, dict):
    raise ValidationFailed(Message("api.token.creation_failed"), {"body": [Message("api.request.object")]})

  def value(name):
    if body is not None:
      return body.get(name)
    return data.get(name)

  if not check_secret(request, value("secret")):
    # 0.22 answered 400 with a reason on the secret field; kept so that scripts see the same shape.
    raise ValidationFailed(Message("api.token.creation_failed"), {"secret": [Message("api.secret.invalid")]})
  if body is not None:
    permissions = body.get("permissions") or []
    permissions = [permissions] if isinstance(permissions, str) else permissions
  else:
    permissions = data.getall("permissions") + data.getall("permission")
  wanted = tokens.check_token_request(
    request.registry,
    value("name"),
    value("description"),
    value("not_before_date"),
    value("expiration_date"),
    permissions,
  )
  identity = request.identity
  created_by = (
    identity.name if identity is not None and identity.kind == "session" else tokens.CREATED_BY_SECRET
  )
  token, _record = tokens.mint_recorded(request.registry, request.dbsession, wanted, created_by)
  return token


def token_list(request):
  """The recorded tokens, newest first, paginated like every list (administrators only)."""
  token_administrator(request)
  page = parse_int_param(request.GET, "page", 1, 1, MAX_PAGE)
  per_page = parse_int_param(request.GET, "per_page", DEFAULT_PER_PAGE, 0, MAX_PER_PAGE)
  rows, total = tokens.list_records(request.dbsession, (page - 1) * per_page, per_page)
  set_pagination_headers(request, Page(rows, page, per_page, total))
  now = dt.datetime.now(dt.UTC)
  return {"items": [tokens.serialize(row, now) for row in rows]}


def token_revoke(request):
  """Revoke a token (0.22 style: 200 and the record); revoking it again changes nothing."""
  administrator = token_administrator(request)
  record = tokens.get_record(request.dbsession, request.matchdict["jti"])
  if tokens.revoke(record, administrator):
    log.info("token %s (%s) revoked by %s", record.jti, record.name, administrator)
  return tokens.serialize(record)


def token_delete(request):
  """Revoke a token (REST: 204). The record stays, so that the list still shows it, revoked."""
  token_revoke(request)
  return HTTPNoContent()


def token_whoami(request):
  """The claims of the request's token; null without one (0.22's answer: clients test for it)."""
  identity = request.identity
  claims = identity.claims if identity is not None and identity.kind == "token" else None
  return {"payload": claims, "playload": claims}


# -- health ----------------------------------------------------------------------------------------


def health_live(request):
  return Response("OK", content_type="text/plain", charset="utf-8")


def health_ready(request):
  checks, healthy = {}, True
  try:
    with app_state(request.registry).db_engine.connect() as connection:
      connection.execute(text("SELECT 1"))
    checks["database"] = "ok"
  except Exception as error:  # noqa: BLE001 - any failure means "not ready"
    log.error("readiness: database check failed: %s", error)
    checks["database"] = "unavailable"
    healthy = False
  backend = app_state(request.registry).ratelimit.backend
  if hasattr(backend, "ping"):
    # Reported, never failed on: without Redis every request is still served (the API limit fails
    # open, the secret throttle counts in this process), and an orchestrator that pulled every
    # replica at a Redis blip would turn it into an outage.
    checks["redis"] = "ok" if backend.ping() else "unavailable"
  request.response.status = 200 if healthy else 503
  return {"status": "ok" if healthy else "unavailable", "checks": checks}


def health_version(request):
  return {"current": __version__, "latest": None, "release_url": None}


def includeme(config):
  # Site pages hang off the root only: /scope/login is not a login page.
  config.add_view(
    login_form,
    context=Root,
    name="login",
    request_method="GET",
    renderer="prodmanager:templates/pages/login.jinja2",
    permission=NO_PERMISSION_REQUIRED,
  )
  config.add_view(
    login,
    context=Root,
    name="login",
    request_method="POST",
    renderer="prodmanager:templates/pages/login.jinja2",
    permission=NO_PERMISSION_REQUIRED,
  )
  config.add_view(
    logout, context=Root, name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED
  )
  config.add_view(about, context=Root, name="about", renderer="prodmanager:templates/pages/about.jinja2")
  config.add_view(robots, context=Root, name="robots.txt", permission=NO_PERMISSION_REQUIRED)
  config.add_view(favicon, context=Root, name="favicon.ico", permission=NO_PERMISSION_REQUIRED)
  config.add_view(site_logo_file, context=Root, name="site-logo", permission=NO_PERMISSION_REQUIRED)
  config.add_view(
    preferences, context=Root, name="preferences", request_method="GET", permission=NO_PERMISSION_REQUIRED
  )
  config.add_api_view(token_create, "/api/token/create", "POST", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(token_whoami, "/api/token/whoami", "GET", permission=NO_PERMISSION_REQUIRED)
  # Administrators only: security.token_administrator checks the session or the secret header itself.
  config.add_api_view(token_list, "/api/token", "GET", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(token_revoke, "/api/token/{jti}/revoke", "POST", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(token_delete, "/api/token/{jti}", "DELETE", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(health_live, "/health", "GET", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(health_ready, "/health/ready", "GET", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(health_version, "/health/version", "GET", permission=NO_PERMISSION_REQUIRED)
