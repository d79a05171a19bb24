"""Subscribers and the transactional outbox (docs/notifications.md#tables).

* ``notification_subscriber``: one row per recipient, an e-mail address (visitors, double opt-in:
  active once ``confirmed_at`` is set) or a webhook (operators; ``flavour`` json, slack, teams or
  discord). Filters: ``kinds`` (comma-separated, empty = every kind) and the scopes and services of
  the two association tables (none = every scope, every service); ``all_events`` false means the
  subscriber only follows the incidents of ``notification_follow``. ``token`` is the random secret of
  its unsubscribe and manage links; ``secret`` signs its webhook payloads.
* ``notification_message``: one row per notification (an event, or a confirmation mail), with a
  JSON snapshot of what it says, written in the transaction of the change that caused it.
* ``notification_delivery``: one row per recipient of a message, the unit the workers claim, send,
  retry and mark sent (``status`` pending, sent, failed or cancelled).
"""

import datetime as dt
import enum
import secrets

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prodmanager.db import Base, UTCDateTime, enum_column, utcnow


class Channel(enum.Enum):
  EMAIL = "email"
  WEBHOOK = "webhook"


class Flavour(enum.Enum):
  """The body a webhook receives: ProdManager's signed JSON, or a chat's incoming-webhook format."""

  JSON = "json"
  SLACK = "slack"
  TEAMS = "teams"
  DISCORD = "discord"


class Kind(enum.Enum):
  """What a subscriber may restrict its notifications to."""

  INCIDENT = "incident"
  MAINTENANCE = "maintenance"
  ANNOUNCEMENT = "announcement"
  MONITOR = "monitor"


class DeliveryStatus(enum.Enum):
  PENDING = "pending"
  SENT = "sent"
  FAILED = "failed"
  CANCELLED = "cancelled"


class Purpose(enum.Enum):
  EVENT = "event"  # an incident, maintenance, announcement or monitor notification
  CONFIRM = "confirm"  # the double opt-in mail (or a mail with the manage link)


def new_token() -> str:
  return secrets.token_urlsafe(32)


class Subscriber(Base):
  __tablename__ = "notification_subscriber"

  id: Mapped[int] = mapped_column(primary_key=True)
  channel: Mapped[Channel] = mapped_column(enum_column(Channel), index=True)
  # E-mail subscribers: the address, stored lower-case (one row per address).
  email: Mapped[str | None] = mapped_column(String(320), unique=True)
  # Webhook subscribers: a label, the URL, the body format and the signing secret.
  name: Mapped[str] = mapped_column(String(255), default="")
  url: Mapped[str | None] = mapped_column(String(2048))
  flavour: Mapped[Flavour | None] = mapped_column(enum_column(Flavour))
  secret: Mapped[str | None] = mapped_column(String(255))
  token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
  all_events: Mapped[bool] = mapped_column(Boolean, default=True)
  kinds: Mapped[str] = mapped_column(String(255), default="")
  created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

  scopes: Mapped[list["SubscriberScope"]] = relationship(
    cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
  )
  services: Mapped[list["SubscriberService"]] = relationship(
    cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
  )
  follows: Mapped[list["Follow"]] = relationship(
    cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
  )

  @property
  def kind_set(self) -> set[str]:
    return {kind for kind in self.kinds.split(",") if kind}

  @property
  def scope_ids(self) -> set[int]:
    return {link.scope_id for link in self.scopes}

  @property
  def service_ids(self) -> set[int]:
    return {link.service_id for link in self.services}

  @property
  def followed_incidents(self) -> set[int]:
    return {follow.incident_id for follow in self.follows}

  def set_filters(self, kinds=(), scope_ids=(), service_ids=()) -> None:
    """Replace the filters (empty: everything)."""
    self.kinds = ",".join(sorted(set(kinds)))
    wanted_scopes, wanted_services = set(scope_ids), set(service_ids)
    self.scopes = [link for link in self.scopes if link.scope_id in wanted_scopes] + [
      SubscriberScope(scope_id=ident) for ident in sorted(wanted_scopes - self.scope_ids)
    ]
    self.services = [link for link in self.services if link.service_id in wanted_services] + [
      SubscriberService(service_id=ident) for ident in sorted(wanted_services - self.service_ids)
    ]

  def follow(self, incident_id: int) -> None:
    if incident_id not in self.followed_incidents:
      self.follows.append(Follow(incident_id=incident_id))


class SubscriberScope(Base):
  __tablename__ = "notification_subscriber_scope"

  subscriber_id: Mapped[int] = mapped_column(
    ForeignKey("notification_subscriber.id", ondelete="CASCADE"), primary_key=True
  )
  scope_id: Mapped[int] = mapped_column(
    ForeignKey("scope.id", ondelete="CASCADE"), primary_key=True, index=True
  )


class SubscriberService(Base):
  __tablename__ = "notification_subscriber_service"

  subscriber_id: Mapped[int] = mapped_column(
    ForeignKey("notification_subscriber.id", ondelete="CASCADE"), primary_key=True
  )
  service_id: Mapped[int] = mapped_column(
    ForeignKey("service.id", ondelete="CASCADE"), primary_key=True, index=True
  )


class Follow(Base):
  """An e-mail subscriber following one incident ("follow this incident")."""

  __tablename__ = "notification_follow"

  subscriber_id: Mapped[int] = mapped_column(
    ForeignKey("notification_subscriber.id", ondelete="CASCADE"), primary_key=True
  )
  incident_id: Mapped[int] = mapped_column(
    ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True, index=True
  )
  created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
  """What one notification says, frozen when the change that caused it was committed."""

  __tablename__ = "notification_message"

  id: Mapped[int] = mapped_column(primary_key=True)
  event: Mapped[str] = mapped_column(String(64))  # incident.created, notification.confirm...
  type_name: Mapped[str | None] = mapped_column(String(64))
  object_id: Mapped[int | None] = mapped_column(Integer)
  snapshot: Mapped[str] = mapped_column(Text)  # JSON (see snapshot.py)
  created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

  deliveries: Mapped[list["Delivery"]] = relationship(back_populates="message", passive_deletes=True)


class Delivery(Base):
  """One message to one recipient: claimed by a worker, sent, retried, marked sent."""

  __tablename__ = "notification_delivery"
  __table_args__ = (Index("ix_notification_delivery_due", "status", "next_attempt_at"),)

  id: Mapped[int] = mapped_column(primary_key=True)
  message_id: Mapped[int] = mapped_column(
    ForeignKey("notification_message.id", ondelete="CASCADE"), index=True
  )
  # NULL for confirmation mails (no subscriber yet) and once the subscriber is deleted: a pending
  # event delivery whose subscriber is gone is cancelled, never sent.
  subscriber_id: Mapped[int | None] = mapped_column(
    ForeignKey("notification_subscriber.id", ondelete="SET NULL"), index=True
  )
  purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose))
  channel: Mapped[Channel] = mapped_column(enum_column(Channel))
  recipient: Mapped[str] = mapped_column(String(2048))
  status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.PENDING)
  attempts: Mapped[int] = mapped_column(Integer, default=0)
  next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  claimed_by: Mapped[str | None] = mapped_column(String(64))
  claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  last_error: Mapped[str | None] = mapped_column(Text)
  created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

  message: Mapped[Message] = relationship(back_populates="deliveries", lazy="joined")
