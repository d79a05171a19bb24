"""The drafts API (openapi.yaml): list, read, publish, dismiss and resolve, for tokens carrying
``alertdrafts_api`` and operators' sessions (whose writes carry the CSRF token, as every
cookie-authenticated write does)."""

from pyramid.security import NO_PERMISSION_REQUIRED

from prodmanager.api.pagination import set_pagination_headers
from prodmanager.api.request_body import request_data
from prodmanager.errors import NotAllowed, Unauthorized
from prodmanager.fields import format_datetime
from prodmanager.security import ADMIN, token_permission_principal
from prodmanager.urls import api_url

from .services import DraftService

PERMISSION = "alertdrafts_api"


def require_permission(request) -> None:
  """An operator's session, or a token carrying alertdrafts_api."""
  identity = request.identity
  if identity is None:
    raise Unauthorized("Authentication required", {"token": [f"a token with the {PERMISSION} permission"]})
  principals = identity.principals
  if ADMIN not in principals and token_permission_principal(PERMISSION) not in principals:
    raise NotAllowed("Permission denied", {"token": [f"this token lacks the {PERMISSION} permission"]})


def serialize(request, draft) -> dict:
  return {
    "id": draft.id,
    "state": draft.state.value,
    "scope": draft.scope_id,
    "service": draft.service_id,
    "opened_at": format_datetime(draft.opened_at),
    "name": draft.name,
    "severity": draft.severity.value,
    "description": draft.description,
    "monitors": [
      {
        "id": link.monitor_id,
        "name": link.monitor.name,
        "status": link.monitor.status.value,
        "source": link.source,
        "alerted_at": format_datetime(link.alerted_at),
        "recovered_at": format_datetime(link.recovered_at),
      }
      for link in draft.monitors
    ],
    "incident": draft.incident_id,
    "decided_at": format_datetime(draft.decided_at),
    "recovered_at": format_datetime(draft.recovered_at),
    "resolve_proposed": draft.resolve_proposed,
    "links": {
      "self": api_url(request, "alertdraft", draft.id),
      "scope": api_url(request, "scope", draft.scope_id),
      "service": api_url(request, "service", draft.service_id),
      "incident": api_url(request, "incident", draft.incident_id) if draft.incident_id else None,
    },
  }


def list_drafts(context, request):
  require_permission(request)
  page = DraftService(request).page(request.GET)
  set_pagination_headers(request, page)
  return {"items": [serialize(request, draft) for draft in page.items]}


def get_draft(context, request):
  require_permission(request)
  return serialize(request, DraftService(request).get(request.matchdict["id"]))


def publish_draft(context, request):
  require_permission(request)
  data = request_data(request) if request.body else {}
  draft, incident = DraftService(request).publish(request.matchdict["id"], data)
  request.response.headers["Location"] = api_url(request, "incident", incident.id)
  return serialize(request, draft)


def dismiss_draft(context, request):
  require_permission(request)
  return serialize(request, DraftService(request).dismiss(request.matchdict["id"]))


def resolve_draft(context, request):
  require_permission(request)
  return serialize(request, DraftService(request).resolve(request.matchdict["id"]))


def get_monitor_choice(context, request):
  require_permission(request)
  service = DraftService(request)
  return service.choice(service.monitor(request.matchdict["id"]))


def set_monitor_choice(context, request):
  require_permission(request)
  service = DraftService(request)
  monitor = service.monitor(request.matchdict["id"])
  return service.set_choice(monitor, request_data(request).get("choice"))


def includeme(config):
  config.add_token_permission(
    PERMISSION, "list, publish and dismiss draft incidents, resolve their incidents"
  )
  config.add_openapi_fragment("prodmanager_alertdrafts:openapi.yaml")
  public = {"permission": NO_PERMISSION_REQUIRED}  # require_permission checks the caller itself
  config.add_api_view(list_drafts, "/api/alertdraft", "GET", **public)
  config.add_api_view(get_draft, "/api/alertdraft/{id}", "GET", **public)
  config.add_api_view(publish_draft, "/api/alertdraft/{id}/publish", "POST", **public)
  config.add_api_view(dismiss_draft, "/api/alertdraft/{id}/dismiss", "POST", **public)
  config.add_api_view(resolve_draft, "/api/alertdraft/{id}/resolve", "POST", **public)
  config.add_api_view(get_monitor_choice, "/api/alertdraft/monitor/{id}", "GET", **public)
  config.add_api_view(set_monitor_choice, "/api/alertdraft/monitor/{id}", "POST", **public)
