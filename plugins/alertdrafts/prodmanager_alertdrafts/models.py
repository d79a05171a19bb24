"""Draft incidents proposed by monitors in alert, and the monitors behind each one.

A draft lives in this plugin's tables only: nothing public (incident lists, feeds, Statuspage JSON,
roll-ups, notifications) reads them, so a draft is invisible until an operator publishes it, which
creates a real incident through the incident service.
"""

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prodmanager.db import Base, UTCDateTime, enum_column, utcnow
from prodmanager_incident.models import Incident, IncidentSeverity
from prodmanager_monitor.models import Monitor
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


class DraftState(enum.Enum):
  """``open``: waiting for an operator; ``published``: an incident was created from it (``incident_id``);
  ``dismissed``: an operator refused it; ``closed``: its monitors recovered before anyone published it."""

  OPEN = "open"
  PUBLISHED = "published"
  DISMISSED = "dismissed"
  CLOSED = "closed"


STATES = [state.value for state in DraftState]


class AlertDraft(Base):
  """One proposed incident on a (scope, service) pair."""

  __tablename__ = "alertdraft"
  __table_args__ = (
    # One open draft per pair: a second monitor alerting on the pair joins it. The partial unique
    # index makes two alerts arriving together (two replicas, two hooks) open one draft, not two.
    Index(
      "uq_alertdraft_open_pair",
      "scope_id",
      "service_id",
      unique=True,
      sqlite_where=text("state = 'open'"),
      postgresql_where=text("state = 'open'"),
    ),
    Index("ix_alertdraft_state_opened", "state", "opened_at"),
  )

  id: Mapped[int] = mapped_column(primary_key=True)
  scope_id: Mapped[int] = mapped_column(ForeignKey(Scope.id, ondelete="CASCADE"), index=True)
  service_id: Mapped[int] = mapped_column(ForeignKey(Service.id, ondelete="CASCADE"), index=True)
  state: Mapped[DraftState] = mapped_column(enum_column(DraftState), default=DraftState.OPEN)
  opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  # The suggested incident, from the first monitor and its alert source.
  name: Mapped[str] = mapped_column(String(255))
  severity: Mapped[IncidentSeverity] = mapped_column(enum_column(IncidentSeverity))
  description: Mapped[str] = mapped_column(Text, default="")
  # When it left the open state (published, dismissed or closed), and by whom ("session:admin"...).
  decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  decided_by: Mapped[str | None] = mapped_column(String(255))
  incident_id: Mapped[int | None] = mapped_column(ForeignKey(Incident.id, ondelete="SET NULL"), index=True)
  # Every monitor of the draft is back to ok: for a published draft, resolving its incident is proposed.
  recovered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  resolve_proposed: Mapped[bool] = mapped_column(Boolean, default=False)

  scope: Mapped[Scope] = relationship(lazy="raise")
  service: Mapped[Service] = relationship(lazy="raise")
  incident: Mapped[Incident | None] = relationship(lazy="raise")
  monitors: Mapped[list["DraftMonitor"]] = relationship(
    back_populates="draft", lazy="raise", order_by="DraftMonitor.alerted_at", cascade="all, delete-orphan"
  )


class DraftMonitor(Base):
  """A monitor whose alert opened or joined a draft; ``recovered_at`` once it is back to ok."""

  __tablename__ = "alertdraft_monitor"
  __table_args__ = (Index("ix_alertdraft_monitor_monitor", "monitor_id"),)

  draft_id: Mapped[int] = mapped_column(ForeignKey(AlertDraft.id, ondelete="CASCADE"), primary_key=True)
  monitor_id: Mapped[int] = mapped_column(ForeignKey(Monitor.id, ondelete="CASCADE"), primary_key=True)
  # What set the alert: the integration's name (datadog_eu), or "" for an operator's or a hook's edit.
  source: Mapped[str] = mapped_column(String(255), default="")
  alerted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  recovered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

  draft: Mapped[AlertDraft] = relationship(back_populates="monitors", lazy="raise")
  monitor: Mapped[Monitor] = relationship(lazy="raise")


class MonitorChoice(Base):
  """An operator's choice for one monitor, which wins over ``PM_ALERT_DRAFTS``: its alerts always
  open drafts (``opens_drafts`` true), or never."""

  __tablename__ = "alertdraft_choice"

  monitor_id: Mapped[int] = mapped_column(ForeignKey(Monitor.id, ondelete="CASCADE"), primary_key=True)
  opens_drafts: Mapped[bool] = mapped_column(Boolean)
