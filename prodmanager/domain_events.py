"""Domain events: facts such as "<type> created" or "<type> status changed", delivered to
subscribers only after the transaction that caused them has committed.

Services call :func:`emit` on their session; whatever path made the change (web form, API, CLI,
integration) goes through a service, so every path emits. Events wait in ``session.info`` and are
handed to subscribers from SQLAlchemy's ``after_commit`` hook: a rolled-back change emits nothing.
A subscriber that fails is logged and never breaks the request (its change is already committed);
work that must not be lost (mail) belongs in the transactional outbox instead, written before commit.

Plugins subscribe with ``config.add_domain_event_subscriber(callback, names=("runbook.created",))``;
``callback(event)`` receives a :class:`DomainEvent`.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

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


class Subscribers:
  def __init__(self):
    self.entries: list[tuple[Callable[[DomainEvent], None], frozenset[str] | None]] = []

  def deliver(self, events: list[DomainEvent]) -> None:
    for domain_event in events:
      for callback, names in self.entries:
        if names is None or domain_event.name in names:
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
  config, callback: Callable[[DomainEvent], None], names: Iterable[str] | None = None
) -> None:
  """Call ``callback(event)`` after commit for the named domain events (all of them when ``names`` is None)."""
  config.registry["domain_events.subscribers"].entries.append((callback, frozenset(names) if names else None))


def includeme(config):
  subscribers = Subscribers()
  config.registry["domain_events.subscribers"] = subscribers
  config.add_directive("add_domain_event_subscriber", add_domain_event_subscriber)
  # Every session of the application (requests, CLI, demo) knows where to deliver.
  config.registry["db.session_factory"].configure(info={"prodmanager.subscribers": subscribers})
