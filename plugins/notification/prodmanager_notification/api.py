"""The notification API (openapi.yaml): webhook subscribers, e-mail subscribers and deliveries, for
tokens carrying ``notification_api`` and operators' sessions."""

import datetime as dt
import secrets
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPNoContent
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import func, select

from prodmanager.api.request_body import request_data
from prodmanager.errors import Conflict, NotAllowed, NotFound, Unauthorized, ValidationFailed
from prodmanager.security import ADMIN, token_permission_principal
from prodmanager.services import parse_int_param
from prodmanager.state import app_state

from .delivery import retry_now
from .models import Channel, Delivery, DeliveryStatus, Flavour, Kind, Message, Subscriber

PERMISSION = "notification_api"
KINDS = [kind.value for kind in Kind]


def iso(value: dt.datetime | None) -> str | None:
  return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def require_permission(request) -> None:
  """An operator's session, or a token carrying notification_api."""
  identity = request.identity
  if identity is None:
    raise Unauthorized("Authentication required", {"token": [f"a token with the {PERMISSION} permission"]})
  principals = identity.principals
  if ADMIN not in principals and token_permission_principal(PERMISSION) not in principals:
    raise NotAllowed("Permission denied", {"token": [f"this token lacks the {PERMISSION} permission"]})


def serialize_webhook(row: Subscriber) -> dict:
  return {
    "id": row.id,
    "name": row.name,
    "url": row.url,
    "flavour": (row.flavour or Flavour.JSON).value,
    "secret": row.secret or "",
    "kinds": sorted(row.kind_set),
    "scopes": sorted(row.scope_ids),
    "services": sorted(row.service_ids),
    "created_at": iso(row.created_at),
  }


def serialize_subscriber(row: Subscriber) -> dict:
  return {
    "id": row.id,
    "email": row.email,
    "confirmed_at": iso(row.confirmed_at),
    "all_events": row.all_events,
    "kinds": sorted(row.kind_set),
    "scopes": sorted(row.scope_ids),
    "services": sorted(row.service_ids),
    "follows": sorted(row.followed_incidents),
    "created_at": iso(row.created_at),
  }


def serialize_delivery(row: Delivery) -> dict:
  return {
    "id": row.id,
    "message_id": row.message_id,
    "event": row.message.event,
    "channel": row.channel.value,
    "recipient": row.recipient,
    "status": row.status.value,
    "attempts": row.attempts,
    "next_attempt_at": iso(row.next_attempt_at),
    "last_error": row.last_error,
    "created_at": iso(row.created_at),
    "sent_at": iso(row.sent_at),
  }


def check_url(value) -> str | None:
  """None when ``value`` is an http(s) URL with a host, else why not."""
  if not isinstance(value, str) or not value.strip():
    return "required: an http or https URL"
  parts = urlsplit(value.strip())
  if parts.scheme not in ("http", "https") or not parts.hostname:
    return "expected an http or https URL with a host, such as https://hooks.example.com/status"
  if any(character.isspace() or ord(character) < 32 for character in value.strip()):
    return "must not contain spaces or control characters"
  return None


def known_ids(request, type_name: str, ids, field: str, reasons: dict) -> list[int]:
  model = app_state(request.registry).resource_types[type_name].service.model
  wanted = sorted(set(ids))
  found = set(request.dbsession.scalars(select(model.id).where(model.id.in_(wanted)))) if wanted else set()
  missing = [ident for ident in wanted if ident not in found]
  if missing:
    reasons[field] = [f"no {type_name} with id {ident}" for ident in missing]
  return wanted


def apply_webhook(request, row: Subscriber, data: dict, creating: bool) -> None:
  reasons: dict[str, list[str]] = {}
  if creating or "name" in data:
    name = (data.get("name") or "").strip()
    if not name:
      reasons["name"] = ["required"]
    row.name = name
  if creating or "url" in data:
    problem = check_url(data.get("url"))
    if problem:
      reasons["url"] = [problem]
    else:
      row.url = data["url"].strip()
  if creating or "flavour" in data:
    row.flavour = Flavour(data.get("flavour") or "json")
  if "secret" in data or creating:
    row.secret = (data.get("secret") or "").strip() or secrets.token_urlsafe(32)
  kinds = data.get("kinds", sorted(row.kind_set))
  scopes = known_ids(request, "scope", data.get("scopes", sorted(row.scope_ids)), "scopes", reasons)
  services = known_ids(request, "service", data.get("services", sorted(row.service_ids)), "services", reasons)
  if reasons:
    raise ValidationFailed("Webhook subscriber refused", reasons)
  row.set_filters(kinds, scopes, services)


def get_webhook(request) -> Subscriber:
  row = request.dbsession.get(Subscriber, int(request.matchdict["id"]))
  if row is None or row.channel is not Channel.WEBHOOK:
    raise NotFound(
      "Webhook subscriber not found", {"id": [f"no webhook subscriber {request.matchdict['id']}"]}
    )
  return row


def list_webhooks(context, request):
  require_permission(request)
  rows = request.dbsession.scalars(
    select(Subscriber).where(Subscriber.channel == Channel.WEBHOOK).order_by(Subscriber.id)
  )
  return [serialize_webhook(row) for row in rows]


def create_webhook(context, request):
  require_permission(request)
  from prodmanager.db import utcnow

  row = Subscriber(channel=Channel.WEBHOOK, all_events=True, kinds="", confirmed_at=utcnow())
  apply_webhook(request, row, request_data(request), creating=True)
  request.dbsession.add(row)
  request.dbsession.flush()
  request.response.status = 201
  request.response.headers["Location"] = f"{request.application_url}/api/notification/webhook/{row.id}"
  return serialize_webhook(row)


def read_webhook(context, request):
  require_permission(request)
  return serialize_webhook(get_webhook(request))


def update_webhook(context, request):
  require_permission(request)
  row = get_webhook(request)
  apply_webhook(request, row, request_data(request), creating=False)
  request.dbsession.flush()
  return serialize_webhook(row)


def delete_webhook(context, request):
  require_permission(request)
  request.dbsession.delete(get_webhook(request))
  request.dbsession.flush()
  return HTTPNoContent()


def list_subscribers(context, request):
  require_permission(request)
  rows = request.dbsession.scalars(
    select(Subscriber).where(Subscriber.channel == Channel.EMAIL).order_by(Subscriber.email)
  )
  return [serialize_subscriber(row) for row in rows]


def delete_subscriber(context, request):
  require_permission(request)
  row = request.dbsession.get(Subscriber, int(request.matchdict["id"]))
  if row is None or row.channel is not Channel.EMAIL:
    raise NotFound("Subscriber not found", {"id": [f"no e-mail subscriber {request.matchdict['id']}"]})
  request.dbsession.delete(row)
  request.dbsession.flush()
  return HTTPNoContent()


def list_deliveries(context, request):
  require_permission(request)
  page = parse_int_param(request.GET, "page", 1, 1, 10_000_000)
  per_page = parse_int_param(request.GET, "per_page", 20, 0, 50)
  statement = select(Delivery).join(Message)
  if request.GET.get("status"):
    statement = statement.where(Delivery.status == DeliveryStatus(request.GET["status"]))
  total = request.dbsession.scalar(select(func.count()).select_from(statement.subquery()))
  rows = request.dbsession.scalars(
    statement.order_by(Delivery.id.desc()).limit(per_page).offset((page - 1) * per_page)
  )
  return {
    "items": [serialize_delivery(row) for row in rows],
    "total": total,
    "page": page,
    "per_page": per_page,
  }


def retry_delivery(context, request):
  require_permission(request)
  row = request.dbsession.get(Delivery, int(request.matchdict["id"]))
  if row is None:
    raise NotFound("Delivery not found", {"id": [f"no delivery {request.matchdict['id']}"]})
  if row.status in (DeliveryStatus.SENT, DeliveryStatus.CANCELLED):
    raise Conflict(
      "Delivery not retried", {"status": [f"the delivery is {row.status.value}: it is not sent again"]}
    )
  retry_now(request.dbsession, [row.id])
  request.dbsession.expire(row)
  return serialize_delivery(row)


def includeme(config):
  config.add_token_permission(PERMISSION, "manage notification subscribers and deliveries")
  config.add_openapi_fragment("prodmanager_notification:openapi.yaml")
  public = {"permission": NO_PERMISSION_REQUIRED}  # require_permission checks the caller itself
  config.add_api_view(list_webhooks, "/api/notification/webhook", "GET", **public)
  config.add_api_view(create_webhook, "/api/notification/webhook", "POST", **public)
  config.add_api_view(read_webhook, "/api/notification/webhook/{id}", "GET", **public)
  config.add_api_view(update_webhook, "/api/notification/webhook/{id}", "PATCH", **public)
  config.add_api_view(delete_webhook, "/api/notification/webhook/{id}", "DELETE", **public)
  config.add_api_view(list_subscribers, "/api/notification/subscriber", "GET", **public)
  config.add_api_view(delete_subscriber, "/api/notification/subscriber/{id}", "DELETE", **public)
  config.add_api_view(list_deliveries, "/api/notification/delivery", "GET", **public)
  config.add_api_view(retry_delivery, "/api/notification/delivery/{id}/retry", "POST", **public)
