"""Visitors' subscriptions: double opt-in, manage, unsubscribe (docs/notifications.md#visitors-subscribing-by-e-mail).

A request to subscribe (or to follow an incident) changes nothing: it queues a mail to the address
with a signed, expiring link carrying what was asked; following the link (and pressing the button
of its page, so that a mail scanner fetching links confirms nothing) applies it. The answer is the
same whatever the address: known, unknown, confirmed or not, throttled or not.
"""

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from prodmanager.db import utcnow
from prodmanager.ratelimit import address_client, limiter_of
from prodmanager.state import app_state

from . import signing
from .models import Channel, Follow, Kind, Purpose, Subscriber
from .outbox import base_url, queue
from .settings import mail_settings, outbox_settings

# A practical address check (RFC 5321 lengths, one @, a dot in the domain, no spaces or control
# characters, so nothing can be injected into a header).
EMAIL = re.compile(
  r"^[^@\s\x00-\x1f\x7f<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_EMAIL = 254
VISITOR_KINDS = (Kind.INCIDENT.value, Kind.MAINTENANCE.value, Kind.ANNOUNCEMENT.value)


def normalise_email(value) -> str | None:
  """The address lower-cased, or None when it is not one."""
  if not isinstance(value, str):
    return None
  value = value.strip()
  if not value or len(value) > MAX_EMAIL or not EMAIL.match(value):
    return None
  return value.lower()


def visitor_kinds(registry) -> list[str]:
  """The kinds a visitor may choose: those of the enabled plugins."""
  types = app_state(registry).resource_types
  return [kind for kind in VISITOR_KINDS if kind in types]


def find_by_email(session: Session, email: str) -> Subscriber | None:
  return session.scalar(select(Subscriber).where(Subscriber.email == email))


def find_by_token(session: Session, token) -> Subscriber | None:
  if not isinstance(token, str) or not token or len(token) > 64:
    return None
  return session.scalar(
    select(Subscriber).where(Subscriber.token == token, Subscriber.channel == Channel.EMAIL)
  )


def client_allowed(request) -> bool:
  """The per-client throttle of the subscribe and unsubscribe forms (counted in Redis when set,
  else in the process; never fails open)."""
  limits = outbox_settings(request.registry.settings)
  outcome = limiter_of(request.registry).hit(
    "notification_subscribe",
    address_client(request),
    limits.subscribe_limit,
    limits.subscribe_period,
    strict=True,
  )
  return outcome is None or outcome.allowed


def address_allowed(request, email: str) -> bool:
  """The per-address throttle: at most a few mails to one address per period, whoever asks (no
  mail bombing of someone else's address). The address is counted by its hash."""
  limits = outbox_settings(request.registry.settings)
  digest = hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
  outcome = limiter_of(request.registry).hit(
    "notification_address", digest, limits.address_limit, limits.address_period, strict=True
  )
  return outcome is None or outcome.allowed


def confirmation_link(request, data: dict) -> str:
  settings = request.registry.settings
  hours = outbox_settings(settings).confirm_hours
  token = signing.sign(settings["prodmanager.secret_key"], data, hours * 3600)
  return f"{base_url(request.registry)}/notification/confirm/{token}"


def manage_link(registry, subscriber: Subscriber) -> str:
  return f"{base_url(registry)}/notification/manage/{subscriber.token}"


def unsubscribe_link(base: str, token: str) -> str:
  return f"{base}/notification/unsubscribe/{token}"


def send_account_mail(request, email: str, template: str, values: dict) -> None:
  """Queue a mail about the subscription itself (confirm, manage, unsubscribe): no list headers."""
  snapshot = {"template": template, "base_url": base_url(request.registry), **values}
  queue(
    request.dbsession,
    "notification.account",
    snapshot,
    [(None, Channel.EMAIL, email)],
    purpose=Purpose.CONFIRM,
  )


def request_subscription(request, email: str, kinds, scope_ids, service_ids, incident=None) -> None:
  """Queue the confirmation mail of a subscription (``incident``: following that incident), if
  mail is enabled and the address was not asked too often."""
  if not mail_settings(request.registry.settings).enabled or not address_allowed(request, email):
    return
  if incident is not None:
    data = {"e": email, "a": "follow", "i": incident.id}
    values = {"action": "follow", "incident": {"id": incident.id, "name": incident.name}}
  else:
    data = {
      "e": email,
      "a": "subscribe",
      "k": sorted(kinds),
      "sc": sorted(scope_ids),
      "sv": sorted(service_ids),
    }
    values = {"action": "subscribe"}
  values["confirm_url"] = confirmation_link(request, data)
  existing = find_by_email(request.dbsession, email)
  if existing is not None and existing.confirmed_at is not None:
    values["manage_url"] = manage_link(request.registry, existing)
  send_account_mail(request, email, "confirm", values)


def request_unsubscription(request, email: str) -> None:
  """0.22's unsubscribe form: the address receives its unsubscribe link (nobody else can unsubscribe it)."""
  if not mail_settings(request.registry.settings).enabled:
    return
  subscriber = find_by_email(request.dbsession, email)
  if subscriber is None or subscriber.confirmed_at is None or not address_allowed(request, email):
    return
  base = base_url(request.registry)
  send_account_mail(
    request,
    email,
    "unsubscribe",
    {
      "unsubscribe_url": unsubscribe_link(base, subscriber.token),
      "manage_url": manage_link(request.registry, subscriber),
    },
  )


def existing_ids(session: Session, model, ids) -> list[int]:
  wanted = {ident for ident in ids if isinstance(ident, int)}
  if not wanted:
    return []
  return sorted(session.scalars(select(model.id).where(model.id.in_(wanted))))


def confirm(request, token: str) -> Subscriber | None:
  """Apply what a valid confirmation token asks; None when the token is invalid or expired."""
  try:
    data = signing.unsign(request.registry.settings["prodmanager.secret_key"], token)
  except signing.BadToken:
    return None
  email = normalise_email(data.get("e"))
  if email is None or data.get("a") not in ("subscribe", "follow"):
    return None
  session = request.dbsession
  types = app_state(request.registry).resource_types
  subscriber = find_by_email(session, email)
  if subscriber is None:
    subscriber = Subscriber(channel=Channel.EMAIL, email=email, all_events=False, kinds="")
    session.add(subscriber)
  if data["a"] == "subscribe":
    kinds = [kind for kind in data.get("k") or [] if kind in visitor_kinds(request.registry)]
    subscriber.all_events = True
    subscriber.set_filters(
      kinds,
      existing_ids(session, types["scope"].service.model, data.get("sc") or []),
      existing_ids(session, types["service"].service.model, data.get("sv") or []),
    )
  else:
    incident_model = types["incident"].service.model
    if session.get(incident_model, data.get("i")) is None:
      return None
    subscriber.follow(data["i"])
  if subscriber.confirmed_at is None:
    subscriber.confirmed_at = utcnow()
  session.flush()
  return subscriber


def update_filters(
  request, subscriber: Subscriber, all_events: bool, kinds, scope_ids, service_ids, unfollow=()
) -> None:
  session = request.dbsession
  types = app_state(request.registry).resource_types
  subscriber.all_events = all_events
  subscriber.set_filters(
    [kind for kind in kinds if kind in visitor_kinds(request.registry)],
    existing_ids(session, types["scope"].service.model, scope_ids),
    existing_ids(session, types["service"].service.model, service_ids),
  )
  for follow in list(subscriber.follows):
    if follow.incident_id in set(unfollow):
      subscriber.follows.remove(follow)
  session.flush()


def unsubscribe(session: Session, token) -> None:
  """Delete the subscriber of an unsubscribe token (its filters and follows with it; its pending
  deliveries are cancelled by the worker). An unknown token does nothing."""
  subscriber = find_by_token(session, token)
  if subscriber is not None:
    session.delete(subscriber)
    session.flush()


def followed(session: Session, subscriber: Subscriber, incident_model) -> list:
  ids = [follow.incident_id for follow in subscriber.follows]
  if not ids:
    return []
  return list(
    session.scalars(select(incident_model).where(incident_model.id.in_(ids)).order_by(incident_model.id))
  )


__all__ = ["Follow"]
