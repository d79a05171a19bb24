"""Test data of the incident plugin: ``make.incident(...)`` with its timeline, and
``make.incident_events()`` (``prodmanager.testing`` collects them when the plugin is enabled)."""

import datetime as dt

from prodmanager.testing import add_events, event_diff, factory, stored_events

from .models import PAIR, Incident, IncidentEvent, IncidentSeverity, IncidentStatus

DEFAULT_START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@factory
def incident(
  make,
  name="Incident",
  status="active",
  severity="high",
  scope=None,
  service=None,
  events=(),
  created=False,
  **values,
) -> Incident:
  """An incident added directly, on the first scope and service of the test unless given; it is
  created when its impact starts (``start_impact_date``, a fixed moment by default).

  No event is written this way, unless ``created`` asks for the internal ``create`` event the
  timeline writes (its name, status and severity) or ``events`` lists ``(type, content, internal)``
  (after it): the first at its creation, then a minute apart.
  """
  values.setdefault("start_impact_date", DEFAULT_START)
  values.setdefault("creation_date", values["start_impact_date"])
  row = make.add(
    Incident,
    name=name,
    status=IncidentStatus(status),
    severity=IncidentSeverity(severity),
    **make.parent_ids(PAIR, scope=scope, service=service),
    description=values.pop("description", ""),
    **values,
  )
  if created:
    creation = event_diff(name=(None, name), status=(None, status), severity=(None, severity))
    events = [("create", creation, True), *events]
  add_events(make, IncidentEvent, row, events)
  return row


@factory
def incident_events(make, ident: int | None = None) -> list[tuple]:
  """The stored events (of one incident, or all) as (type, content, internal), oldest first."""
  return stored_events(make, IncidentEvent, ident, "type", "content", "internal")
