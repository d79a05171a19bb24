"""Test data of the maintenance plugin: ``make.maintenance(...)``, ``make.maintenance_event(...)``,
``make.maintenance_events()`` and the JSON shape of a maintenance (``prodmanager.testing`` collects
the factories when the plugin is enabled)."""

import datetime as dt

from prodmanager.db import utcnow
from prodmanager.testing import add_events, event_diff, factory, stored_events
from prodmanager.timeline import EventType, status_columns_of_diff

from .models import PAIR, Maintenance, MaintenanceEvent, MaintenanceStatus, ServiceStatus

API = "http://localhost/api"


def minute(value: dt.datetime) -> str:
  """The API's format of a date."""
  return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


@factory
def maintenance(
  make,
  name="Maintenance",
  status="scheduled",
  scope=None,
  service=None,
  start: dt.datetime | None = None,
  hours: float = 2,
  events=(),
  created=False,
  **values,
) -> Maintenance:
  """A maintenance added directly, on the first scope and service of the test unless given; it
  starts in a day by default.

  No event is written this way, unless ``created`` asks for the internal ``create`` event the
  timeline writes (its name and status) or ``events`` lists ``(type, content, internal)`` (after
  it): the first at its creation, then a minute apart (see also :func:`maintenance_event`).
  """
  start = start or utcnow() + dt.timedelta(days=1)
  row = make.add(
    Maintenance,
    name=name,
    status=MaintenanceStatus(status),
    service_status=ServiceStatus(values.pop("service_status", "up")),
    **make.parent_ids(PAIR, scope=scope, service=service),
    description=values.pop("description", ""),
    creation_date=values.pop("creation_date", utcnow()),
    scheduled_start_date=start,
    scheduled_end_date=values.pop("end", start + dt.timedelta(hours=hours)),
    **values,
  )
  if created:
    events = [("create", event_diff(name=(None, name), status=(None, status)), True), *events]
  add_events(make, MaintenanceEvent, row, events)
  return row


@factory
def maintenance_event(
  make, row, content="A comment", internal=False, event_type=EventType.COMMENT, when=None
) -> MaintenanceEvent:
  """One event of a maintenance's timeline, added directly."""
  return make.add(
    MaintenanceEvent,
    parent_id=row.id,
    type=event_type,
    content=content,
    internal=internal,
    creation_date=when or utcnow(),
    # The typed status columns, as the timeline service writes them.
    **(status_columns_of_diff(content) if event_type is not EventType.COMMENT else {}),
  )


@factory
def maintenance_events(make, ident: int | None = None) -> list[tuple]:
  """(type, internal, content) of the stored events (of one maintenance, or all), oldest first."""
  return stored_events(make, MaintenanceEvent, ident, "type", "internal", "content")


def expected_maintenance(ident: int, body: dict, events=None, **values) -> dict:
  """The JSON of a maintenance (docs/api.md) for a body sent to the API."""
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
