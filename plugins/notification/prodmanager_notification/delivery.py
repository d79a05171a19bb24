"""Delivering the outbox: claim due rows, send each, record the outcome (docs/notifications.md#the-worker).

* **Claiming** is one atomic statement, so that several workers (or a worker and the thread of
  ``prodmanager serve``) never take the same row: ``UPDATE … SET claimed_by = <this batch>,
  claimed_until = now + lease WHERE id IN (due rows)``, the due rows selected ``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL (concurrent workers skip each other's rows instead of waiting), under
  SQLite's single write lock (``BEGIN IMMEDIATE``) there. A row is due when it is pending, its
  next attempt has come, and it is unclaimed or its claim's lease ran out (its worker died).
* **Sending** happens outside any transaction; the outcome is committed right after each send, in
  its own transaction: ``sent`` (never claimed again), or a new ``next_attempt_at`` with exponential
  back-off (``PM_NOTIFICATION_RETRY_SECONDS`` doubled per failure, at most
  ``PM_NOTIFICATION_RETRY_MAX_SECONDS``) and ``last_error``, or ``failed`` after
  ``PM_NOTIFICATION_MAX_ATTEMPTS`` or a permanent refusal. The outcome is only written if the claim
  is still this batch's.
* A worker killed between a successful send and its record leaves a claimed row that another
  worker takes again once the lease (``PM_NOTIFICATION_LEASE_SECONDS``) runs out: at-least-once for
  that single row, never for a row recorded as sent.
"""

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select, update

from prodmanager.commands import CommandContext
from prodmanager.db import sqlite_writes, utcnow

from . import webhooks
from .mail import Mailer, PermanentFailure, TemporaryFailure, compose
from .models import Channel, Delivery, DeliveryStatus, Purpose, Subscriber
from .settings import mail_settings, outbox_settings
from .subscriptions import unsubscribe_link

log = logging.getLogger(__name__)


@dataclass
class Report:
  """What one run did, by delivery id."""

  sent: list[int] = field(default_factory=list)
  retried: list[int] = field(default_factory=list)
  failed: list[int] = field(default_factory=list)
  cancelled: list[int] = field(default_factory=list)
  lost_claims: list[int] = field(default_factory=list)

  def __bool__(self) -> bool:
    return bool(self.sent or self.retried or self.failed or self.cancelled or self.lost_claims)


def due(now: dt.datetime):
  return and_(
    Delivery.status == DeliveryStatus.PENDING,
    Delivery.next_attempt_at <= now,
    or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
  )


def claim(session, now: dt.datetime, lease: dt.timedelta, limit: int) -> str:
  """Claim up to ``limit`` due deliveries for a new batch; returns the batch's id."""
  batch = uuid.uuid4().hex
  rows = select(Delivery.id).where(due(now)).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
  if session.get_bind().dialect.name == "postgresql":
    rows = rows.with_for_update(skip_locked=True)
  session.execute(
    update(Delivery)
    .where(Delivery.id.in_(rows.scalar_subquery()), due(now))
    .values(claimed_by=batch, claimed_until=now + lease)
    .execution_options(synchronize_session=False)
  )
  return batch


def backoff(settings, attempts: int) -> dt.timedelta:
  seconds = min(settings.retry_max_seconds, settings.retry_seconds * 2 ** max(0, attempts - 1))
  return dt.timedelta(seconds=seconds)


def record(context: CommandContext, delivery_id: int, batch: str, values: dict) -> bool:
  """Write an outcome if the row is still this batch's; False when the claim was lost."""
  with context.session() as session:
    result = session.execute(
      update(Delivery)
      .where(
        Delivery.id == delivery_id, Delivery.claimed_by == batch, Delivery.status == DeliveryStatus.PENDING
      )
      .values(claimed_by=None, claimed_until=None, **values)
      .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


class Sender:
  """Sends one claimed delivery by its channel; keeps one SMTP connection for the batch."""

  def __init__(self, registry):
    self.registry = registry
    self.mail = mail_settings(registry.settings)
    self.outbox = outbox_settings(registry.settings)
    self.mailer = Mailer(self.mail)

  def cancel_reason(self, delivery: Delivery, subscriber: Subscriber | None) -> str | None:
    if delivery.purpose is Purpose.EVENT:
      if subscriber is None:
        return "the subscriber was deleted"
      if subscriber.confirmed_at is None:
        return "the subscriber is not confirmed"
    if delivery.channel is Channel.EMAIL and not self.mail.enabled:
      return "mail is disabled (PM_MAIL_ENABLED)"
    return None

  def send(self, delivery: Delivery, subscriber: Subscriber | None) -> None:
    snapshot = json.loads(delivery.message.snapshot)
    if delivery.channel is Channel.EMAIL:
      unsubscribe = manage = None
      if delivery.purpose is Purpose.EVENT:
        unsubscribe = unsubscribe_link(snapshot["base_url"], subscriber.token)
        manage = f"{snapshot['base_url']}/notification/manage/{subscriber.token}"
      message = compose(
        self.registry, self.mail, snapshot, delivery.recipient, unsubscribe, manage, delivery.id
      )
      self.mailer.send(message, delivery.recipient)
    else:
      webhooks.send(
        self.registry, subscriber, delivery.id, delivery.message, snapshot, self.outbox.webhook_timeout
      )

  def close(self) -> None:
    self.mailer.close()


def deliver_due(registry, now: dt.datetime | None = None, limit: int | None = None) -> Report:
  """Claim the due deliveries (one batch) and send them; ``now`` is replaceable in tests."""
  settings = outbox_settings(registry.settings)
  context = CommandContext(registry)
  report = Report()
  writes = sqlite_writes.set(True)  # SQLite: take the write lock when each transaction begins
  sender = Sender(registry)
  try:
    now = now or utcnow()
    with context.session() as session:
      batch = claim(session, now, dt.timedelta(seconds=settings.lease_seconds), limit or settings.batch_size)
    with context.session() as session:
      claimed = list(
        session.execute(
          select(Delivery, Subscriber)
          .outerjoin(Subscriber, Subscriber.id == Delivery.subscriber_id)
          .where(Delivery.claimed_by == batch)
          .order_by(Delivery.id)
        ).unique()
      )
      session.expunge_all()
    for delivery, subscriber in claimed:
      deliver_one(context, sender, batch, delivery, subscriber, settings, report, now)
  finally:
    sender.close()
    sqlite_writes.reset(writes)
  return report


def deliver_one(
  context, sender: Sender, batch: str, delivery: Delivery, subscriber, settings, report: Report, now
) -> None:
  """Send one claimed delivery and record the outcome; retries count from ``now`` (the batch's time)."""
  reason = sender.cancel_reason(delivery, subscriber)
  if reason is not None:
    if record(context, delivery.id, batch, {"status": DeliveryStatus.CANCELLED, "last_error": reason}):
      report.cancelled.append(delivery.id)
    return
  attempts = delivery.attempts + 1
  try:
    sender.send(delivery, subscriber)
  except (PermanentFailure, TemporaryFailure) as error:
    final = isinstance(error, PermanentFailure) or attempts >= settings.max_attempts
    values = {"attempts": attempts, "last_error": str(error)[:2000]}
    if final:
      values["status"] = DeliveryStatus.FAILED
    else:
      values["next_attempt_at"] = max(now, utcnow()) + backoff(settings, attempts)
    log.warning(
      "notification delivery %s to %s failed (attempt %d%s): %s",
      delivery.id,
      delivery.recipient,
      attempts,
      ", giving up" if final else "",
      error,
    )
    if record(context, delivery.id, batch, values):
      (report.failed if final else report.retried).append(delivery.id)
    else:
      report.lost_claims.append(delivery.id)
    return
  except Exception as error:  # noqa: BLE001 - a bug in one message must not stop the others
    log.exception("notification delivery %s could not be built", delivery.id)
    values = {"attempts": attempts, "last_error": f"{type(error).__name__}: {error}"[:2000]}
    values["status"] = DeliveryStatus.FAILED
    if record(context, delivery.id, batch, values):
      report.failed.append(delivery.id)
    return
  if record(
    context, delivery.id, batch, {"status": DeliveryStatus.SENT, "attempts": attempts, "sent_at": utcnow()}
  ):
    report.sent.append(delivery.id)
  else:
    # The lease ran out while sending and another worker took the row: it may send it again.
    log.error(
      "notification delivery %s was sent after its claim expired (PM_NOTIFICATION_LEASE_SECONDS)", delivery.id
    )
    report.lost_claims.append(delivery.id)


def delivery_job(context: CommandContext) -> None:
  """The worker's job: deliver batches until nothing is due (a backlog drains in one run)."""
  while True:
    report = deliver_due(context.registry)
    if not (report.sent or report.retried or report.failed or report.cancelled):
      return


def retry_now(session, ids=None) -> int:
  """ "Retry now": failed deliveries become pending with a fresh count of attempts, waiting ones
  are due at once (a claimed one is left to its worker). Returns how many rows changed."""
  now = utcnow()

  def scoped(statement):
    return statement if ids is None else statement.where(Delivery.id.in_(ids))

  # The waiting ones first: the failed ones become waiting ones, counted once.
  waiting = session.execute(
    scoped(update(Delivery).where(Delivery.status == DeliveryStatus.PENDING, Delivery.claimed_by.is_(None)))
    .values(next_attempt_at=now)
    .execution_options(synchronize_session=False)
  )
  failed = session.execute(
    scoped(update(Delivery).where(Delivery.status == DeliveryStatus.FAILED))
    .values(
      status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=0, claimed_by=None, claimed_until=None
    )
    .execution_options(synchronize_session=False)
  )
  return failed.rowcount + waiting.rowcount
