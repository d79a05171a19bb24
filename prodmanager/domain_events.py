"""Domain events: facts such as "<type> created" or "<type> status changed", delivered to
subscribers only after the transaction that caused them has committed.

Services call :func:`emit` on their session; whatever path made the change (web form, API, CLI,
integration) goes through a service, so every path emits. Events wait in ``session.info`` and are
handed to subscribers from SQLAlchemy's ``after_commit`` hook: a rolled-back change emits nothing.
A subscriber that fails is logged and never breaks the request (its change is already committed);
work that must not be lost (mail) belongs in the transactional outbox instead, written before commit.

Plugins subscribe with ``config.add_domain_event_subscriber(callback, names=("runbook.created",))``;
``callback(event)`` receives a :class:`DomainEvent`. Subscribers are called in registration order.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from .actions import callable_name, register
from .state import app_state

log = logging.getLogger(__name__)
PENDING = "prodmanager.pending_events"


@dataclass(frozen=True)
class DomainEvent:
  """``name`` such as ``runbook.status_changed``; ``type_name`` and ``id`` name the row concerned."""

  name: str
  type_name: str
  id: int
  data: dict[str, Any] = field(default_factory=dict)


def emit(session: Session, name: str, type_name: str, ident: int, **data) -> None:
  """Queue a domain event; it is delivered only if the session's transaction commits."""
  session.info.setdefault(PENDING, []).append(DomainEvent(name, type_name, ident, data))


@dataclass(frozen=True)
class Subscriber:
  """``callback`` called with the events named in ``names`` (every event when None)."""

  name: str
  callback: Callable[[DomainEvent], None]
  names: frozenset[str] | None

  def wants(self, event_name: str) -> bool:
    return self.names is None or event_name in self.names


class Subscribers:
  """The domain event subscribers, in registration order, and their delivery."""

  def __init__(self):
    self.entries: list[Subscriber] = []

  def add(self, subscriber: Subscriber) -> None:
    self.entries.append(subscriber)

  def remove(self, subscriber: Subscriber) -> None:
    """Tests subscribe to a running application, then unsubscribe."""
    self.entries.remove(subscriber)

  def __iter__(self):
    return iter(self.entries)

  def __len__(self) -> int:
    return len(self.entries)

  def deliver(self, events: list[DomainEvent]) -> None:
    for domain_event in events:
      for subscriber in self.entries:
        if subscriber.wants(domain_event.name):
          callback = subscriber.callback
          try:
            callback(domain_event)
          except Exception:  # noqa: BLE001 - the change is committed; a subscriber must not undo the response
            log.exception("domain event subscriber %r failed on %s", callback, domain_event.name)


# SQLAlchemy sends after_commit and after_rollback for savepoints (begin_nested) too, while the
# savepoint is still the session's current nested transaction; in both hooks, `in_transaction()` is
# still true even for the outermost transaction. Only the outermost transaction decides: releasing a
# savepoint (every ResourceService.flush) must not deliver events that a later rollback would undo.


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
  if session.in_nested_transaction():
    return
  events = session.info.pop(PENDING, None)
  subscribers = session.info.get("prodmanager.subscribers")
  if events and subscribers is not None:
    subscribers.deliver(events)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
  # A savepoint rollback keeps the events: the service layer uses savepoints for flushes, never to
  # undo a whole change (a failed flush fails the whole request, whose rollback discards them).
  if not session.in_nested_transaction():
    session.info.pop(PENDING, None)


def add_domain_event_subscriber(
  config, callback: Callable[[DomainEvent], None], names: Iterable[str] | None = None, name: str = ""
) -> None:
  """Call ``callback(event)`` after commit for the named domain events (all of them when ``names`` is None).

  ``name`` (default: the callable's dotted name) identifies the subscriber: registering the same
  name twice is a configuration conflict.
  """
  subscriber = Subscriber(name or callable_name(callback), callback, frozenset(names) if names else None)
  register(
    config,
    ("prodmanager.domain_event_subscriber", subscriber.name),
    lambda: app_state(config.registry).subscribers.add(subscriber),
    what="domain event subscribers",
    title=subscriber.name,
    callback=callback,
    names=sorted(subscriber.names) if subscriber.names else None,
  )


def includeme(config):
  subscribers = Subscribers()
  app_state(config.registry).subscribers = subscribers
  config.add_directive("add_domain_event_subscriber", add_domain_event_subscriber)
  # Every session of the application (requests, CLI, demo) knows where to deliver.
  app_state(config.registry).db_session_factory.configure(info={"prodmanager.subscribers": subscribers})
