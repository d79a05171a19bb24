"""Helpers of the Statuspage tests: a world to arrange scopes, services, monitors (with their status
history), incidents and maintenances (with timeline events) directly in the database."""

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from prodmanager.timeline import EventType, status_columns_of_diff
from prodmanager_incident.models import Incident, IncidentEvent, IncidentSeverity, IncidentStatus
from prodmanager_maintenance.models import Maintenance, MaintenanceEvent, MaintenanceStatus, ServiceStatus
from prodmanager_monitor.models import Monitor, MonitorStatus, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

ENDPOINTS = (
  "summary.json",
  "status.json",
  "components.json",
  "incidents.json",
  "incidents/unresolved.json",
  "scheduled-maintenances.json",
  "scheduled-maintenances/upcoming.json",
  "scheduled-maintenances/active.json",
)
BASE = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def at(minutes: float = 0, days: float = 0) -> dt.datetime:
  """A fixed moment: ``BASE`` plus some minutes or days."""
  return BASE + dt.timedelta(minutes=minutes, days=days)


def diff(**changes) -> str:
  """An event's content as the timeline writes it: ``{field: [old, new]}`` with sorted keys."""
  return json.dumps({name: list(values) for name, values in changes.items()}, sort_keys=True)


@dataclass
class World:
  db: Session
  scopes: dict = field(default_factory=dict)
  services: dict = field(default_factory=dict)

  def add(self, row):
    self.db.add(row)
    self.db.flush()
    return row

  def scope(self, name: str, description: str = "") -> Scope:
    if name not in self.scopes:
      self.scopes[name] = self.add(Scope(name=name, description=description))
    return self.scopes[name]

  def service(self, name: str, description: str = "") -> Service:
    if name not in self.services:
      self.services[name] = self.add(Service(name=name, description=description))
    return self.services[name]

  def monitor(self, scope: str, service: str, status: str = "ok", when: dt.datetime = BASE) -> Monitor:
    """A monitor with its initial status in the history (as the monitor service records it)."""
    row = self.add(
      Monitor(
        name=f"Monitor {scope} {service} {status}",
        description="",
        status=MonitorStatus(status),
        scope_id=self.scope(scope).id,
        service_id=self.service(service).id,
      )
    )
    self.add(MonitorStatusChange(monitor_id=row.id, old_status=None, new_status=row.status, changed_at=when))
    return row

  def incident(
    self,
    scope: str,
    service: str,
    name: str = "Incident",
    status: str = "active",
    severity: str = "high",
    when: dt.datetime = BASE,
    events=None,
    **values,
  ) -> Incident:
    """An incident; ``events`` is a list of (type, content, internal) written a minute apart after
    its creation; by default, the internal create event the timeline writes."""
    row = self.add(
      Incident(
        name=name,
        description=values.pop("description", ""),
        status=IncidentStatus(status),
        severity=IncidentSeverity(severity),
        scope_id=self.scope(scope).id,
        service_id=self.service(service).id,
        creation_date=when,
        start_impact_date=values.pop("start_impact_date", when),
        **values,
      )
    )
    if events is None:
      events = [("create", diff(name=[None, name], status=[None, status], severity=[None, severity]), True)]
    self.events(IncidentEvent, row, events)
    return row

  def maintenance(
    self,
    scope: str,
    service: str,
    name: str = "Maintenance",
    status: str = "scheduled",
    start: dt.datetime = BASE,
    hours: float = 2,
    when: dt.datetime | None = None,
    events=None,
    **values,
  ) -> Maintenance:
    when = when or start - dt.timedelta(days=1)
    row = self.add(
      Maintenance(
        name=name,
        description=values.pop("description", ""),
        status=MaintenanceStatus(status),
        service_status=ServiceStatus.DOWN,
        scope_id=self.scope(scope).id,
        service_id=self.service(service).id,
        creation_date=when,
        scheduled_start_date=start,
        scheduled_end_date=start + dt.timedelta(hours=hours),
        **values,
      )
    )
    if events is None:
      events = [("create", diff(name=[None, name], status=[None, status]), True)]
    self.events(MaintenanceEvent, row, events)
    return row

  def events(self, model, row, events) -> None:
    for number, (kind, content, internal) in enumerate(events):
      self.db.add(
        model(
          parent_id=row.id,
          type=EventType(kind),
          content=content,
          **(status_columns_of_diff(content) if kind != "comment" else {}),
          internal=internal,
          creation_date=row.creation_date + dt.timedelta(minutes=number),
        )
      )
    self.db.flush()
