"""Documents read by machines survive a stored control character (issue 8 item 13).

Input refuses control characters now, but rows written before (or by hand in the database) still
hold them: one incident named ``ctl\\x0bchar`` made /history.atom and /history.rss answer 500 for
everyone. The rows here are inserted directly, as such old data would be.
"""

import datetime as dt
import xml.etree.ElementTree as ElementTree

import icalendar
import pytest

from prodmanager.timeline import EventType

# (No NUL: PostgreSQL cannot store it, so no database holds one.)
BAD = "ctl\x0bchar\x01\x1f"


@pytest.fixture
def parents(dbsession):
  from prodmanager_scope.models import Scope
  from prodmanager_service.models import Service

  scope, service = Scope(name=f"scope {BAD}", description=""), Service(name=f"service {BAD}", description="")
  dbsession.add_all([scope, service])
  dbsession.flush()
  return scope, service


@pytest.fixture
def bad_incident(dbsession, parents):
  from prodmanager_incident.models import Incident, IncidentEvent, IncidentSeverity, IncidentStatus

  scope, service = parents
  start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
  row = Incident(
    name=f"incident {BAD}",
    description=f"description {BAD}",
    status=IncidentStatus.ACTIVE,
    severity=IncidentSeverity.HIGH,
    scope_id=scope.id,
    service_id=service.id,
    start_impact_date=start,
    creation_date=start,
  )
  dbsession.add(row)
  dbsession.flush()
  for kind, content in ((EventType.CREATE, "{}"), (EventType.COMMENT, f"public comment \x01 {BAD}")):
    dbsession.add(
      IncidentEvent(parent_id=row.id, type=kind, content=content, internal=False, creation_date=start)
    )
  dbsession.flush()
  return row


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_history_feeds_strip_what_xml_cannot_carry(webapp, bad_incident, path):
  response = webapp.get(path, status=200)
  root = ElementTree.fromstring(response.body)  # well-formed XML, or this raises
  texts = "".join(root.itertext())
  assert "incident ctlchar" in texts
  assert "public comment  ctlchar" in texts
  assert not {"\x0b", "\x01", "\x1f"} & set(response.text)


def test_maintenance_calendars_strip_control_characters(webapp, dbsession, parents):
  from prodmanager_maintenance.models import Maintenance, MaintenanceStatus, ServiceStatus

  scope, service = parents
  start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
  row = Maintenance(
    name=f"maintenance {BAD}",
    description=f"**bold** {BAD}",
    external_reference=f"ref {BAD}",
    status=MaintenanceStatus.SCHEDULED,
    service_status=ServiceStatus.UP,
    scope_id=scope.id,
    service_id=service.id,
    creation_date=start - dt.timedelta(days=2),
    scheduled_start_date=start,
    scheduled_end_date=start + dt.timedelta(hours=2),
  )
  dbsession.add(row)
  dbsession.flush()
  for path in (f"/maintenance/{row.id}/calendar", f"/api/maintenance/{row.id}/calendar", "/maintenance.ics"):
    response = webapp.get(path, status=200)
    body = response.body.decode()
    controls = {char for char in body if ord(char) < 0x20 and char not in "\t\r\n" or char == "\x7f"}
    assert not controls, f"{path}: {controls}"
    event = next(iter(icalendar.Calendar.from_ical(response.body).walk("VEVENT")))
    assert str(event["summary"]) == "maintenance ctlchar"
    assert "scope ctlchar" in str(event["description"])


def test_badges_strip_what_xml_cannot_carry(webapp, parents):
  scope, _service = parents
  response = webapp.get(f"/scope/{scope.id}/badge.svg", status=200)
  root = ElementTree.fromstring(response.body)
  assert "scope ctlchar" in "".join(root.itertext())
  assert webapp.get(f"/scope/{scope.id}/badge.json", status=200).json["label"] == "scope ctlchar"
