"""Test data of the incident plugin: ``make.incident(...)`` with its timeline, and
``make.incident_events()`` (``prodmanager.testing`` collects them when the plugin is enabled)."""

import datetime as dt

from prodmanager.testing import factory, stored_events
from prodmanager.timeline import EventType, status_columns_of_diff

from .models import Incident, IncidentEvent, IncidentSeverity, IncidentStatus

DEFAULT_START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@factory
def incident(
  make, name="Incident", status="active", severity="high", scope=None, service=None, events=(), **values
) -> Incident:
  """An incident added directly, on the first scope and service of the test unless given. No event
  is written this way, unless ``events`` lists ``(type, content, internal)``, a minute apart after
  its creation."""
  values.setdefault("start_impact_date", DEFAULT_START)
  values.setdefault("creation_date", values["start_impact_date"])
  row = make.add(
    Incident,
    name=name,
    status=IncidentStatus(status),
    severity=IncidentSeverity(severity),
    scope_id=(scope or make.default("scope")).id,
    service_id=(service or make.default("service")).id,
    description=values.pop("description", ""),
    **values,
  )
  for number, (kind, content, internal) in enumerate(events):
    make.db.add(
      IncidentEvent(
        parent_id=row.id,
        type=EventType(kind),
        content=content,
        internal=internal,
        creation_date=row.creation_date + dt.timedelta(minutes=number + 1),
        # The typed status columns, as the timeline service writes them.
        **(status_columns_of_diff(content) if kind != "comment" else {}),
      )
    )
  make.db.flush()
  return row


@factory
def incident_events(make, ident: int | None = None) -> list[tuple]:
  """The stored events (of one incident, or all) as (type, content, internal), oldest first."""
  return stored_events(make, IncidentEvent, ident, "type", "content", "internal")
