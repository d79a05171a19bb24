"""Maintenances (docs/user-guide.md#maintenances) and their event timeline (docs/user-guide.md#the-timeline)."""

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from prodmanager.cache import changes_at
from prodmanager.db import Base, UTCDateTime, enum_column, utcnow
from prodmanager.membership import Membership
from prodmanager.timeline import EventColumns
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

# Every maintenance belongs to one (scope, service) pair.
PAIR = Membership(scope=Scope, service=Service)


class MaintenanceStatus(enum.Enum):
  """Declaration order is the life cycle: scheduled < in-progress < succeed < failed < canceled."""

  SCHEDULED = "scheduled"
  IN_PROGRESS = "in-progress"
  SUCCEED = "succeed"
  FAILED = "failed"
  CANCELED = "canceled"


class ServiceStatus(enum.Enum):
  """The state the service is expected to be in during the work: up < degraded < down."""

  UP = "up"
  DEGRADED = "degraded"
  DOWN = "down"


ONGOING = (MaintenanceStatus.IN_PROGRESS,)
PAST = (MaintenanceStatus.SUCCEED, MaintenanceStatus.FAILED, MaintenanceStatus.CANCELED)


class Maintenance(PAIR.columns(), Base):
  __tablename__ = "maintenance"
  # Its page reads its own rows only: carried over across the writes of the others (prodmanager.cache).
  __row_scope__ = ("maintenance", "id")
  __table_args__ = (
    PAIR.index("maintenance"),
    # The history feeds (newest scheduled first) and the Statuspage page's last update.
    Index("ix_maintenance_creation_date", "creation_date"),
  )

  id: Mapped[int] = mapped_column(primary_key=True)
  name: Mapped[str] = mapped_column(String(255), index=True)
  description: Mapped[str] = mapped_column(Text, default="")
  external_reference: Mapped[str | None] = mapped_column(String(255), index=True)
  external_link: Mapped[str | None] = mapped_column(String(2048))
  status: Mapped[MaintenanceStatus] = mapped_column(
    enum_column(MaintenanceStatus), default=MaintenanceStatus.SCHEDULED, index=True
  )
  service_status: Mapped[ServiceStatus] = mapped_column(enum_column(ServiceStatus), index=True)
  creation_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  scheduled_start_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
  scheduled_end_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
  start_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  end_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

  @property
  def overdue(self) -> bool:
    """Still scheduled although its scheduled window has ended (flagged on the pages)."""
    if self.status is not MaintenanceStatus.SCHEDULED:
      return False
    # A cached page showing it on time expires when its window ends.
    changes_at(self.scheduled_end_date)
    return self.scheduled_end_date < utcnow()


class MaintenanceEvent(EventColumns, Base):
  """One event of a maintenance's timeline; deleted with the maintenance."""

  __tablename__ = "maintenance_event"
  __row_scope__ = ("maintenance", "parent_id")
  __table_args__ = (
    Index("ix_maintenance_event_parent_date", "parent_id", "creation_date"),
    Index("ix_maintenance_event_creation_date", "creation_date"),  # the history feeds, newest first
  )

  parent_id: Mapped[int] = mapped_column(ForeignKey("maintenance.id", ondelete="CASCADE"))
