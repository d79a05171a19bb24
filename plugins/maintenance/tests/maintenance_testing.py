"""Helpers of the maintenance tests (imported by the test modules and the conftest)."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prodmanager.timeline import EventType, status_columns_of_diff
from prodmanager_maintenance.models import Maintenance, MaintenanceEvent, MaintenanceStatus, ServiceStatus
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

API = "http://localhost/api"


def utcnow() -> dt.datetime:
  return dt.datetime.now(dt.UTC)


def minute(value: dt.datetime) -> str:
  """The API's format of a date."""
  return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


@dataclass
class World:
  """Scopes ``paris``, ``lyon`` and services ``compute``, ``network``, on the test's session."""

  db: Session
  paris: Scope
  lyon: Scope
  compute: Service
  network: Service

  def maintenance(
    self,
    name="Maintenance",
    status="scheduled",
    scope=None,
    service=None,
    start: dt.datetime | None = None,
    hours: float = 2,
    **values,
  ) -> Maintenance:
    """A maintenance added directly (no event is written this way); it starts in a day by default."""
    start = start or utcnow() + dt.timedelta(days=1)
    row = Maintenance(
      name=name,
      status=MaintenanceStatus(status),
      service_status=ServiceStatus(values.pop("service_status", "up")),
      scope_id=(scope or self.paris).id,
      service_id=(service or self.compute).id,
      description=values.pop("description", ""),
      creation_date=values.pop("creation_date", utcnow()),
      scheduled_start_date=start,
      scheduled_end_date=values.pop("end", start + dt.timedelta(hours=hours)),
      **values,
    )
    self.db.add(row)
    self.db.flush()
    return row

  def event(self, row, content="A comment", internal=False, event_type=EventType.COMMENT, when=None):
    event = MaintenanceEvent(
      parent_id=row.id,
      type=event_type,
      content=content,
      internal=internal,
      creation_date=when or utcnow(),
      **(status_columns_of_diff(content) if event_type is not EventType.COMMENT else {}),
    )
    self.db.add(event)
    self.db.flush()
    return event

  def table(self, model=Maintenance) -> list:
    """Every row of a table, read from the database (not from the session's identity map)."""
    return self.db.execute(select(model.__table__).order_by(model.__table__.c.id)).all()

  def count(self, model=Maintenance) -> int:
    return self.db.scalar(select(func.count()).select_from(model))

  def events(self, ident: int | None = None) -> list[tuple]:
    """(type, internal, content) of the stored events, oldest first."""
    table = MaintenanceEvent.__table__
    statement = select(table.c.type, table.c.internal, table.c.content).order_by(table.c.id)
    if ident is not None:
      statement = statement.where(table.c.parent_id == ident)
    return [(kind.value, internal, content) for kind, internal, content in self.db.execute(statement)]


def expected_maintenance(ident: int, body: dict, events=None, **values) -> dict:
  """The 0.22 shape of a maintenance (docs/api.md#endpoints-of-a-resource-type) for a body sent to the API."""
  result = {
    "id": ident,
    "name": body["name"],
    "description": body.get("description", ""),
    "external_reference": body.get("external_reference"),
    "external_link": body.get("external_link"),
    "status": body.get("status", "scheduled"),
    "service_status": body["service_status"],
    "scope": body["scope"],
    "service": body["service"],
    "scheduled_start_date": body["scheduled_start_date"],
    "scheduled_end_date": body["scheduled_end_date"],
    "start_date": body.get("start_date"),
    "end_date": body.get("end_date"),
    **values,
    "links": {
      "self": f"{API}/maintenance/{ident}",
      "scope": f"{API}/scope/{body['scope']}",
      "service": f"{API}/service/{body['service']}",
      "calendar": f"{API}/maintenance/{ident}/calendar",
    },
  }
  if events is not None:
    result["events"] = events
  return result


def form_of(page):
  """The create/update form of a page (the layout also carries the logout form)."""
  return next(form for form in page.forms.values() if form.action != "/logout")
