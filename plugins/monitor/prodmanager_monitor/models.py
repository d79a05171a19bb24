"""Monitors and their status history."""

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from prodmanager.db import Base, UTCDateTime, enum_column, utcnow
from prodmanager.membership import Membership
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

# Every monitor belongs to one (scope, service) pair.
PAIR = Membership(scope=Scope, service=Service)


class MonitorStatus(enum.Enum):
  """Declaration order is severity order: ok < warning < alert."""

  OK = "ok"
  WARNING = "warning"
  ALERT = "alert"


# The statuses' values in severity order: the one list every count per status follows.
STATUSES = [status.value for status in MonitorStatus]


class Monitor(PAIR.columns(), Base):
  __tablename__ = "monitor"
  __table_args__ = (PAIR.index("monitor"),)

  id: Mapped[int] = mapped_column(primary_key=True)
  name: Mapped[str] = mapped_column(String(255), index=True)
  description: Mapped[str] = mapped_column(Text, default="")
  status: Mapped[MonitorStatus] = mapped_column(
    enum_column(MonitorStatus), default=MonitorStatus.OK, index=True
  )
  integration: Mapped[str | None] = mapped_column(String(255), index=True)
  external_reference: Mapped[str | None] = mapped_column(String(255), index=True)
  external_link: Mapped[str | None] = mapped_column(String(2048))


class MonitorStatusChange(Base):
  """One status change of a monitor: the source of uptime figures."""

  __tablename__ = "monitor_status_change"
  __table_args__ = (
    Index("ix_monitor_status_change_monitor_at", "monitor_id", "changed_at"),
    Index("ix_monitor_status_change_changed_at", "changed_at"),  # the newest change of all
  )

  id: Mapped[int] = mapped_column(primary_key=True)
  monitor_id: Mapped[int] = mapped_column(ForeignKey("monitor.id", ondelete="CASCADE"))
  old_status: Mapped[MonitorStatus | None] = mapped_column(enum_column(MonitorStatus))
  new_status: Mapped[MonitorStatus] = mapped_column(enum_column(MonitorStatus))
  changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
