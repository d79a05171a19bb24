"""Unit tests of prodmanager.timeline: one encoding of values and diffs, the status columns, and
TimelineService's record, comment and events_of (visibility), through the incident type."""

import datetime as dt
import enum
import json
from types import SimpleNamespace

import pytest

from prodmanager.errors import ValidationFailed
from prodmanager.timeline import (
  EventType,
  encode_diff,
  encode_value,
  event_date,
  status_columns,
  status_columns_of_diff,
)


class Colour(enum.Enum):
  RED = "red"


# -- encoding ---------------------------------------------------------------------------------------


@pytest.mark.one_backend
def test_encode_value():
  assert encode_value(Colour.RED) == "red"
  assert encode_value(dt.datetime(2024, 5, 1, 13, 45, 30, tzinfo=dt.UTC)) == "2024-05-01T13:45"
  assert encode_value(None) is None
  assert encode_value(3) == 3
  assert encode_value("text") == "text"


@pytest.mark.one_backend
def test_encode_diff_is_sorted_json_of_old_and_new():
  changes = {
    "status": (None, Colour.RED),
    "date": (dt.datetime(2024, 5, 1, tzinfo=dt.UTC), None),
    "name": ("Panne", "Panne réseau"),
  }
  encoded = encode_diff(changes)
  assert json.loads(encoded) == {
    "date": ["2024-05-01T00:00", None],
    "name": ["Panne", "Panne réseau"],
    "status": [None, "red"],
  }
  assert encoded.index('"date"') < encoded.index('"name"') < encoded.index('"status"')
  assert "réseau" in encoded  # not \u00e9 escapes


@pytest.mark.one_backend
def test_status_columns():
  assert status_columns({"status": (None, Colour.RED)}) == {"old_status": None, "new_status": "red"}
  assert status_columns({"name": ("a", "b")}) == {}
  assert status_columns({"state": ("a", "b")}, "state") == {"old_status": "a", "new_status": "b"}


@pytest.mark.one_backend
@pytest.mark.parametrize(
  ("content", "expected"),
  [
    ('{"status": ["active", "stable"]}', {"old_status": "active", "new_status": "stable"}),
    ('{"status": [null, "active"]}', {"old_status": None, "new_status": "active"}),
    ('{"name": ["a", "b"]}', {}),
    ('{"status": ["active"]}', {}),
    ('{"status": ["active", null]}', {}),
    ("[1, 2]", {}),
    ("not json", {}),
    ("", {}),
  ],
)
def test_status_columns_of_diff(content, expected):
  assert status_columns_of_diff(content) == expected


@pytest.mark.one_backend
def test_event_date_is_the_apis_minute_in_utc():
  """Stored to the second, shown at 0.22's minute precision like every date of the API objects."""
  paris = dt.timezone(dt.timedelta(hours=2))
  assert event_date(dt.datetime(2024, 5, 1, 15, 45, 30, tzinfo=paris)) == "2024-05-01T13:45"


# -- TimelineService --------------------------------------------------------------------------------


@pytest.fixture
def incidents(dbsession, registry):
  from prodmanager_incident.services import IncidentService

  request = SimpleNamespace(
    dbsession=dbsession,
    registry=registry,
    identity=SimpleNamespace(kind="token", name="ci"),
    application_url="http://localhost",
  )
  return IncidentService(request)


def events_table(make):
  from prodmanager_incident.models import IncidentEvent

  return [(row.type, row.internal, row.old_status, row.new_status) for row in make.table(IncidentEvent)]


def test_create_and_update_record_internal_events_with_diffs(incidents, make):
  from prodmanager_incident.models import IncidentEvent

  scope, service = make.scope(name="Paris DC"), make.service(name="Web")
  row = incidents.create({"name": "Outage", "severity": "high", "scope": scope.id, "service": service.id})
  changes = incidents.update(row, {"status": "stable"})
  assert set(changes) >= {"status"}
  events = make.table(IncidentEvent)
  assert [(e.type, e.internal, e.old_status, e.new_status) for e in events] == [
    (EventType.CREATE, True, None, "active"),
    (EventType.UPDATE, True, "active", "stable"),
  ]
  created = json.loads(events[0].content)
  assert created["name"] == [None, "Outage"]
  assert created["severity"] == [None, "high"]
  assert json.loads(events[1].content)["status"] == ["active", "stable"]
  assert {e.author for e in events} == {"token:ci"}
  # An update that changes nothing writes no event.
  incidents.update(row, {"status": "stable"})
  assert len(make.table(IncidentEvent)) == 2


def test_record_takes_the_status_columns_from_the_changes(incidents, make):
  row = make.incident(name="Outage")
  event = incidents.record(row, EventType.UPDATE, "{}", False, {"name": ("a", "b")})
  incidents.db.flush()
  assert (event.parent_id, event.old_status, event.new_status, event.status_change) == (
    row.id,
    None,
    None,
    False,
  )
  event = incidents.record(row, EventType.UPDATE, "{}", True, {"status": (None, Colour.RED)})
  incidents.db.flush()
  assert (event.old_status, event.new_status, event.status_change) == (None, "red", True)


def test_record_without_identity_has_no_author(dbsession, registry, make):
  from prodmanager_incident.services import IncidentService

  service = IncidentService(SimpleNamespace(dbsession=dbsession, registry=registry))
  event = service.record(make.incident(name="Outage"), EventType.COMMENT, "hello", False)
  assert event.author is None


def test_comment_is_public_unless_internal_is_asked(incidents, make):
  row = make.incident(name="Outage")
  public = incidents.comment(row, {"comment": "  We are on it  "})
  internal = incidents.comment(row, {"comment": "root cause: disk", "internal": "true"})
  assert (public.type, public.content, public.internal) == (EventType.COMMENT, "We are on it", False)
  assert (internal.content, internal.internal) == ("root cause: disk", True)
  assert public.id is not None  # flushed


@pytest.mark.parametrize(
  ("data", "reasons"),
  [
    ({}, {"comment": ["this field is required"]}),
    ({"comment": "   "}, {"comment": ["this field is required"]}),
    ({"comment": "ok", "internal": "perhaps"}, {"internal": ["expected true or false"]}),
    ({"comment": ["a"]}, {"comment": ["expected a text value"]}),
  ],
)
def test_comment_refusals_write_nothing(incidents, make, data, reasons):
  from prodmanager_incident.models import IncidentEvent

  row = make.incident(name="Outage")
  with pytest.raises(ValidationFailed) as caught:
    incidents.comment(row, data)
  assert caught.value.reasons == reasons
  assert caught.value.message == "Comment failed"
  assert make.table(IncidentEvent) == []


def test_events_of_filters_by_visibility_oldest_first(incidents, make):
  first = make.incident(
    name="Outage",
    events=[("comment", "public one", False), ("comment", "secret", True), ("comment", "public two", False)],
  )
  other = make.incident(name="Other", events=[("comment", "elsewhere", False)])
  empty = make.incident(name="Quiet")
  everything = incidents.events_of([first.id, other.id, empty.id], include_internal=True)
  assert [e.content for e in everything[first.id]] == ["public one", "secret", "public two"]
  assert [e.content for e in everything[other.id]] == ["elsewhere"]
  assert everything[empty.id] == []
  public = incidents.events_of([first.id], include_internal=False)
  assert [e.content for e in public[first.id]] == ["public one", "public two"]
  assert incidents.events_of([], include_internal=True) == {}


def test_events_visibility_follows_the_permission_in_the_api(webapp, make, make_token):
  row = make.incident(name="Outage", events=[("comment", "public", False), ("comment", "secret", True)])
  anonymous = webapp.get(f"/api/incident/{row.id}/events").json["items"]
  assert [event["content"] for event in anonymous] == ["public"]
  allowed = webapp.get(f"/api/incident/{row.id}/events", headers=make_token(["incident_api"])).json["items"]
  assert [event["content"] for event in allowed] == ["public", "secret"]
  others = webapp.get(f"/api/incident/{row.id}/events", headers=make_token(["monitor_api"])).json["items"]
  assert [event["content"] for event in others] == ["public"]
