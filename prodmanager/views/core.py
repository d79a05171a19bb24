"""Core pages and endpoints: login/logout, API tokens, health probes, about and robots.txt."""

import datetime as dt
import logging
from urllib.parse import urlparse

from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from sqlalchemy import text

from ..errors import Unauthorized, ValidationFailed
from ..fields import parse_datetime
from ..security import check_secret
from ..version import __version__

log = logging.getLogger(__name__)


def safe_next(request, target: str | None) -> str:
  """Only same-site paths are accepted as a post-login destination (no open redirect)."""
  if (
    target and target.startswith("/") and not target.startswith(("//", "/\\")) and not urlparse(target).netloc
  ):
    return target
  return "/"


def login_form(request):
  return {"error": None, "next": safe_next(request, request.GET.get("next"))}


def login(request):
  _ = request._
  target = safe_next(request, request.POST.get("next"))
  if not check_secret(request.registry.settings, request.POST.get("secret")):
    log.warning("failed login from %s", request.client_addr)
    request.response.status = 401
    return {"error": _("auth.invalid_secret"), "next": target}
  headers = remember(request, "admin", remember=request.POST.get("remember") in ("on", "true", "1", "yes"))
  request.session.flash(("success", _("auth.logged_in")))
  get_csrf_token(request)
  return HTTPSeeOther(target, headers=headers)


def logout(request):
  headers = forget(request)
  return HTTPSeeOther("/", headers=headers)


def about(request):
  return {}


def robots(request):
  allow = request.registry.settings["prodmanager.robots_allow"]
  body = "User-agent: *\n" + ("Allow: /\n" if allow else "Disallow: /\n")
  return Response(body, content_type="text/plain", charset="utf-8")


# -- API tokens ------------------------------------------------------------------------------------


def token_create(request):
  """Mint a token with the administrator secret; defaults are computed now, not at process start."""
  data = request.POST if request.content_type != "application/json" else None
  body = request.json_body if data is None else None
  if body is not None and not isinstance(body, dict):
    raise ValidationFailed("Token creation failed", {"body": ["expected a JSON object"]})

  def value(name):
    if body is not None:
      return body.get(name)
    return data.get(name)

  if not check_secret(request.registry.settings, value("secret")):
    # 0.22 answered 400 with a reason on the secret field; kept so that scripts see the same shape.
    raise ValidationFailed("Token creation failed", {"secret": ["the application secret is invalid"]})
  reasons = {}
  name = str(value("name") or "").strip()
  description = str(value("description") or "").strip()
  if not 8 <= len(name) <= 16:
    reasons["name"] = ["must be between 8 and 16 characters long"]
  if not 12 <= len(description) <= 32:
    reasons["description"] = ["must be between 12 and 32 characters long"]
  now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
  dates = {}
  for field, default in (("not_before_date", now), ("expiration_date", now + dt.timedelta(hours=1))):
    raw = value(field)
    try:
      dates[field] = parse_datetime(raw) if raw not in (None, "") else default
    except ValueError as error:
      reasons[field] = [str(error)]
  if not reasons and dates["expiration_date"] <= dates["not_before_date"]:
    reasons["expiration_date"] = ["must be after not_before_date"]
  if body is not None:
    permissions = body.get("permissions") or []
    permissions = [permissions] if isinstance(permissions, str) else permissions
  else:
    permissions = data.getall("permissions") + data.getall("permission")
  known = sorted(rt.permission for rt in request.registry["resource_types"].values())
  unknown = [p for p in permissions if p not in known]
  if unknown:
    reasons["permissions"] = [f"unknown permission {p!r}; choose among {', '.join(known)}" for p in unknown]
  if reasons:
    raise ValidationFailed("Token creation failed", reasons)
  token, _claims = request.registry["security.tokens"].mint(
    name, description, dates["not_before_date"], dates["expiration_date"], sorted(set(permissions))
  )
  return token


def token_whoami(request):
  identity = request.identity
  if identity is None or identity.kind != "token":
    raise Unauthorized("No token", {"token": ["send a token in the Authorization header: Bearer <token>"]})
  return {"payload": identity.claims, "playload": identity.claims}


# -- health ----------------------------------------------------------------------------------------


def health_live(request):
  return Response("OK", content_type="text/plain", charset="utf-8")


def health_ready(request):
  checks, healthy = {}, True
  try:
    with request.registry["db.engine"].connect() as connection:
      connection.execute(text("SELECT 1"))
    checks["database"] = "ok"
  except Exception as error:  # noqa: BLE001 - any failure means "not ready"
    log.error("readiness: database check failed: %s", error)
    checks["database"] = "unavailable"
    healthy = False
  request.response.status = 200 if healthy else 503
  return {"status": "ok" if healthy else "unavailable", "checks": checks}


def health_version(request):
  return {"current": __version__, "latest": None, "release_url": None}


def includeme(config):
  config.add_view(
    login_form,
    name="login",
    request_method="GET",
    renderer="prodmanager:templates/pages/login.jinja2",
    permission=NO_PERMISSION_REQUIRED,
  )
  config.add_view(
    login,
    name="login",
    request_method="POST",
    renderer="prodmanager:templates/pages/login.jinja2",
    permission=NO_PERMISSION_REQUIRED,
  )
  config.add_view(logout, name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
  config.add_view(about, name="about", renderer="prodmanager:templates/pages/about.jinja2")
  config.add_view(robots, name="robots.txt", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(token_create, "/api/token/create", "POST", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(token_whoami, "/api/token/whoami", "GET", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(health_live, "/health", "GET", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(health_ready, "/health/ready", "GET", permission=NO_PERMISSION_REQUIRED)
  config.add_api_view(health_version, "/health/version", "GET", permission=NO_PERMISSION_REQUIRED)
