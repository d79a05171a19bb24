"""Incidents and their timeline events."""

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from prodmanager.db import Base, UTCDateTime, enum_column, utcnow
from prodmanager.membership import Membership
from prodmanager.timeline import EventColumns
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

# Every incident belongs to one (scope, service) pair.
PAIR = Membership(scope=Scope, service=Service)


class IncidentSeverity(enum.Enum):
  """Declaration order is the order of the lists: critical < high < moderate < low < minor."""

  CRITICAL = "critical"
  HIGH = "high"
  MODERATE = "moderate"
  LOW = "low"
  MINOR = "minor"


class IncidentStatus(enum.Enum):
  """Declaration order is the life of an incident: active < investigating < stable < resolved."""

  ACTIVE = "active"
  INVESTIGATING = "investigating"
  STABLE = "stable"
  RESOLVED = "resolved"


ONGOING = (IncidentStatus.ACTIVE, IncidentStatus.INVESTIGATING, IncidentStatus.STABLE)
PAST = (IncidentStatus.RESOLVED,)
# An ongoing incident of these severities raises the overall status to alert (others to warning).
ALERTING = frozenset({IncidentSeverity.CRITICAL, IncidentSeverity.HIGH})


class Incident(PAIR.columns(), Base):
  __tablename__ = "incident"
  # Its page reads its own rows only: carried over across the writes of the others (prodmanager.cache).
  __row_scope__ = ("incident", "id")
  __table_args__ = (
    # The default order (start of impact, newest first) and the scope/service pages' panels.
    PAIR.index("incident"),
    Index("ix_incident_status_start_impact", "status", "start_impact_date"),
    # The newest creation (the Statuspage page's last update) and the "-creation_date" order.
    Index("ix_incident_creation_date", "creation_date"),
  )

  id: Mapped[int] = mapped_column(primary_key=True)
  name: Mapped[str] = mapped_column(String(255), index=True)
  description: Mapped[str] = mapped_column(Text, default="")
  external_reference: Mapped[str | None] = mapped_column(String(255), index=True)
  external_link: Mapped[str | None] = mapped_column(String(2048))
  severity: Mapped[IncidentSeverity] = mapped_column(enum_column(IncidentSeverity), index=True)
  status: Mapped[IncidentStatus] = mapped_column(
    enum_column(IncidentStatus), default=IncidentStatus.ACTIVE, index=True
  )
  creation_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  start_impact_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
  investigation_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  stable_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  resolve_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

  @property
  def duration(self) -> dt.timedelta | None:
    """How long the impact lasted, once resolved (docs/user-guide.md#incidents)."""
    if self.status is not IncidentStatus.RESOLVED or self.resolve_date is None:
      return None
    return self.resolve_date - self.start_impact_date


class IncidentEvent(EventColumns, Base):
  """One event of an incident's timeline (docs/user-guide.md#the-timeline), deleted with the incident."""

  __tablename__ = "incident_event"
  __row_scope__ = ("incident", "parent_id")
  __table_args__ = (
    Index("ix_incident_event_parent_date", "parent_id", "creation_date"),
    Index("ix_incident_event_creation_date", "creation_date"),  # the history feeds, newest first
  )

  parent_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"))
