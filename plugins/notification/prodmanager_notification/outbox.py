"""The transactional outbox: notification rows written in the transaction of the change.

Domain events wait in the session until commit (prodmanager.domain_events); just before the
outermost commit, :func:`write_pending` turns the triggering ones into one ``notification_message``
and one ``notification_delivery`` per recipient, flushed by that same commit. A rolled-back change
writes nothing; a committed one cannot lose its notifications, whatever happens to the process next.
"""

import functools
import json
import logging

from pyramid.threadlocal import get_current_request
from sqlalchemy import and_, bindparam, exists, insert, literal, or_, select
from sqlalchemy.orm import Session

from prodmanager.db import utcnow
from prodmanager.domain_events import PENDING

from . import snapshot as snapshots
from .models import (
  Channel,
  Delivery,
  DeliveryStatus,
  Follow,
  Kind,
  Message,
  Purpose,
  Subscriber,
  SubscriberScope,
  SubscriberService,
)
from .settings import mail_settings

log = logging.getLogger(__name__)
DONE = "prodmanager.notification.done"  # (the pending list, how many of its events were handled)


def base_url(registry) -> str:
  """The address links start with: PM_PUBLIC_URL, else the request that made the change, else
  http://localhost (a change made from the CLI of an instance without PM_PUBLIC_URL)."""
  public_url = registry.settings["prodmanager.public_url"]
  if public_url:
    return public_url.rstrip("/")
  request = get_current_request()
  if request is not None:
    return request.application_url
  log.warning("notification links use http://localhost: set PM_PUBLIC_URL")
  return "http://localhost"


def recipients(
  session: Session, kind: str, scope_id: int, service_id: int, incident_id: int | None, channels
):
  """``(subscriber id, channel, address or URL)`` of the active subscribers a notification of
  ``kind`` about this scope and service goes to (followers of the incident included)."""
  statement = recipients_statement(kind == Kind.MONITOR.value, incident_id is not None, tuple(channels))
  values = {"kind": f"%,{kind},%", "scope_id": scope_id, "service_id": service_id, "incident_id": incident_id}
  return [
    (ident, channel, email if channel is Channel.EMAIL else url)
    for ident, channel, email, url in session.execute(statement, values)
  ]


@functools.cache
def recipients_statement(monitor: bool, followers: bool, channels: tuple):
  """The query of :func:`recipients`, made once per shape: building it took longer than running it,
  on every write that notifies."""
  kinds = literal(",") + Subscriber.kinds + literal(",")
  no_scope = ~exists().where(SubscriberScope.subscriber_id == Subscriber.id)
  no_service = ~exists().where(SubscriberService.subscriber_id == Subscriber.id)
  wanted = and_(
    Subscriber.all_events.is_(True),
    or_(Subscriber.kinds == "", kinds.like(bindparam("kind"))),
    or_(
      no_scope,
      exists().where(
        SubscriberScope.subscriber_id == Subscriber.id, SubscriberScope.scope_id == bindparam("scope_id")
      ),
    ),
    or_(
      no_service,
      exists().where(
        SubscriberService.subscriber_id == Subscriber.id,
        SubscriberService.service_id == bindparam("service_id"),
      ),
    ),
  )
  if monitor:
    # Monitor changes go to webhooks (chat channels, automation), and to a mail subscriber only if
    # it asked for them by name: an empty filter does not mean every flap of every probe.
    wanted = and_(wanted, or_(Subscriber.channel == Channel.WEBHOOK, Subscriber.kinds != ""))
  if followers:
    wanted = or_(
      wanted,
      exists().where(Follow.subscriber_id == Subscriber.id, Follow.incident_id == bindparam("incident_id")),
    )
  return (
    select(Subscriber.id, Subscriber.channel, Subscriber.email, Subscriber.url)
    .where(Subscriber.confirmed_at.is_not(None), Subscriber.channel.in_(channels), wanted)
    .order_by(Subscriber.id)
  )


def queue(
  session: Session, event: str, snapshot: dict, targets, purpose=Purpose.EVENT, type_name=None, object_id=None
):
  """Write one message and a pending delivery for each ``(subscriber id, channel, recipient)``."""
  if not targets:
    return None
  now = utcnow()
  message = Message(
    event=event, type_name=type_name, object_id=object_id, snapshot=json.dumps(snapshot), created_at=now
  )
  session.add(message)
  session.flush()
  session.execute(
    insert(Delivery),
    [
      {
        "message_id": message.id,
        "subscriber_id": ident,
        "purpose": purpose,
        "channel": channel,
        "recipient": recipient,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
      }
      for ident, channel, recipient in targets
    ],
  )
  return message


def write_pending(registry, session: Session) -> None:
  """The before-commit hook: the outbox rows of the events emitted since the last call."""
  if session.in_nested_transaction():
    return
  events = session.info.get(PENDING) or []
  # The core replaces the list after each commit: a count is only meaningful for the same list.
  seen = session.info.get(DONE)
  done = seen[1] if seen is not None and seen[0] is events else 0
  if done >= len(events):
    return
  session.info[DONE] = (events, len(events))
  channels = [Channel.WEBHOOK]
  if mail_settings(registry.settings).enabled:
    channels.append(Channel.EMAIL)
  url = None
  batch = events[done:]
  # A one-step update (a status posted with its message) emits the status change and the comment:
  # the comment's notification carries both, so its status change sends nothing of its own.
  told_by_comment = {
    (event.type_name, event.id)
    for event in batch
    if event.name.endswith(".commented")
    and event.name in snapshots.TRIGGERS
    and "status" in event.data
    and not event.data.get("internal", True)
  }
  for event in batch:
    if event.name not in snapshots.TRIGGERS:
      continue
    if event.name.endswith(".status_changed") and (event.type_name, event.id) in told_by_comment:
      continue
    url = url or base_url(registry)
    snapshot = snapshots.take(registry, session, event, url)
    if snapshot is None:
      continue
    incident_id = snapshot["id"] if snapshot["kind"] == Kind.INCIDENT.value else None
    targets = recipients(
      session, snapshot["kind"], snapshot["scope"]["id"], snapshot["service"]["id"], incident_id, channels
    )
    queue(session, event.name, snapshot, targets, type_name=event.type_name, object_id=event.id)
