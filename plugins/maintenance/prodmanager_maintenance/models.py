"""Maintenances (product.md §2.5) and their event timeline (§2.6)."""

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prodmanager.db import Base, UTCDateTime, enum_column, utcnow
from prodmanager.timeline import EventColumns
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


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


class Maintenance(Base):
  __tablename__ = "maintenance"
  __table_args__ = (Index("ix_maintenance_scope_service", "scope_id", "service_id"),)

  id: Mapped[int] = mapped_column(primary_key=True)
  name: Mapped[str] = mapped_column(String(255), index=True)
  description: Mapped[str] = mapped_column(Text, default="")
  external_reference: Mapped[str | None] = mapped_column(String(255), index=True)
  external_link: Mapped[str | None] = mapped_column(String(2048))
  status: Mapped[MaintenanceStatus] = mapped_column(
    enum_column(MaintenanceStatus), default=MaintenanceStatus.SCHEDULED, index=True
  )
  service_status: Mapped[ServiceStatus] = mapped_column(enum_column(ServiceStatus), index=True)
  scope_id: Mapped[int] = mapped_column(ForeignKey("scope.id", ondelete="RESTRICT"), index=True)
  service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="RESTRICT"), index=True)
  creation_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  scheduled_start_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
  scheduled_end_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
  start_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  end_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

  scope: Mapped[Scope] = relationship(lazy="raise")
  service: Mapped[Service] = relationship(lazy="raise")

  @property
  def overdue(self) -> bool:
    """Still scheduled although its scheduled window has ended (flagged on the pages)."""
    return self.status is MaintenanceStatus.SCHEDULED and self.scheduled_end_date < utcnow()


class MaintenanceEvent(EventColumns, Base):
  """One event of a maintenance's timeline; deleted with the maintenance."""

  __tablename__ = "maintenance_event"

  parent_id: Mapped[int] = mapped_column(ForeignKey("maintenance.id", ondelete="CASCADE"), index=True)
