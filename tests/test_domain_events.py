"""Domain events (prodmanager.domain_events): queued on the session, delivered to subscribers in
order after the outermost transaction commits, discarded on rollback; a failing subscriber is logged
and never breaks the response; subscribers receive only the names they asked for."""

import logging

import pytest

from prodmanager.domain_events import DomainEvent, Subscriber, emit
from prodmanager.state import app_state
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


@pytest.fixture
def subscribe(registry):
  """``subscribe(callback, names=None)`` on the running application; removed after the test."""
  subscribers = app_state(registry).subscribers
  added = []

  def add(callback, names=None):
    subscriber = Subscriber(f"test-{len(added)}", callback, frozenset(names) if names else None)
    subscribers.add(subscriber)
    added.append(subscriber)

  yield add
  for subscriber in added:
    subscribers.remove(subscriber)


@pytest.fixture
def received(subscribe) -> list:
  events = []
  subscribe(events.append)
  return events


@pytest.fixture
def announcement_body(dbsession) -> dict:
  scope, service = Scope(name="Events scope", description=""), Service(name="Events service", description="")
  dbsession.add_all([scope, service])
  dbsession.flush()
  return {
    "name": "Events notice",
    "level": "low",
    "scope": scope.id,
    "service": service.id,
    "start_date": "2030-01-01T00:00",
    "end_date": "2030-01-02T00:00",
  }


# -- on a session -----------------------------------------------------------------------------------


def test_events_wait_for_the_commit_and_arrive_in_order(dbsession, received):
  emit(dbsession, "thing.created", "thing", 1)
  emit(dbsession, "thing.updated", "thing", 1, changes={"name": ["a", "b"]})
  dbsession.flush()
  with dbsession.begin_nested():  # releasing a savepoint is not a commit
    emit(dbsession, "thing.created", "thing", 2)
  assert received == []
  dbsession.commit()
  assert received == [
    DomainEvent("thing.created", "thing", 1),
    DomainEvent("thing.updated", "thing", 1, {"changes": {"name": ["a", "b"]}}),
    DomainEvent("thing.created", "thing", 2),
  ]
  # Delivered once: the next commit has nothing of its own to deliver.
  dbsession.commit()
  assert len(received) == 3


def test_a_rolled_back_transaction_delivers_nothing(dbsession, received):
  emit(dbsession, "thing.created", "thing", 1)
  with dbsession.begin_nested():
    emit(dbsession, "thing.updated", "thing", 1)
  dbsession.rollback()
  assert received == []
  # The discarded events do not leak into the next transaction of the same session.
  emit(dbsession, "thing.created", "thing", 2)
  dbsession.commit()
  assert received == [DomainEvent("thing.created", "thing", 2)]


def test_a_savepoint_rollback_keeps_the_events_of_the_transaction(dbsession, received):
  # The service layer flushes in savepoints; a savepoint undone on its own does not undo the change.
  emit(dbsession, "thing.created", "thing", 1)
  nested = dbsession.begin_nested()
  nested.rollback()
  assert received == []
  dbsession.commit()
  assert received == [DomainEvent("thing.created", "thing", 1)]


def test_events_of_a_session_without_subscribers_are_dropped_quietly(registry, connection, received):
  from sqlalchemy.orm import Session

  session = Session(bind=connection, join_transaction_mode="create_savepoint")  # not the app's factory
  emit(session, "thing.created", "thing", 1)
  session.commit()
  session.close()
  assert received == []


# -- through the application ------------------------------------------------------------------------


def test_a_request_delivers_its_events_after_its_commit(webapp, token_headers, announcement_body, received):
  ident = webapp.post_json("/api/announcement/create", announcement_body, headers=token_headers).json["id"]
  webapp.patch_json(f"/api/announcement/{ident}", {"level": "high"}, headers=token_headers)
  assert received == [
    DomainEvent("announcement.created", "announcement", ident),
    DomainEvent("announcement.updated", "announcement", ident, {"changes": {"level": ["low", "high"]}}),
  ]


def test_a_failed_request_delivers_nothing(webapp, token_headers, announcement_body, received, dbsession):
  body = {**announcement_body, "end_date": "2029-12-31T00:00"}
  webapp.post_json("/api/announcement/create", body, headers=token_headers, status=400)
  assert received == []


def test_a_failing_subscriber_is_logged_and_does_not_break_the_response(
  webapp, token_headers, announcement_body, subscribe, caplog, dbsession
):
  def broken(event):
    raise RuntimeError("mail server on fire")

  after = []
  subscribe(broken)
  subscribe(after.append)
  with caplog.at_level(logging.ERROR, logger="prodmanager.domain_events"):
    response = webapp.post_json("/api/announcement/create", announcement_body, headers=token_headers)
  assert response.status_int == 200 and response.json["name"] == "Events notice"
  assert "mail server on fire" not in response.text
  # The change is kept and the other subscribers still get the event.
  assert webapp.get(f"/api/announcement/{response.json['id']}").json["name"] == "Events notice"
  assert after == [DomainEvent("announcement.created", "announcement", response.json["id"])]
  (record,) = [record for record in caplog.records if record.name == "prodmanager.domain_events"]
  assert "failed on announcement.created" in record.getMessage()
  assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)


def test_subscribers_receive_the_names_they_asked_for(webapp, token_headers, announcement_body, subscribe):
  everything, updates, others = [], [], []
  subscribe(everything.append)
  subscribe(updates.append, names=("announcement.updated",))
  subscribe(others.append, names=["incident.created", "maintenance.status_changed"])
  ident = webapp.post_json("/api/announcement/create", announcement_body, headers=token_headers).json["id"]
  webapp.patch_json(f"/api/announcement/{ident}", {"name": "Renamed notice"}, headers=token_headers)
  assert [event.name for event in everything] == ["announcement.created", "announcement.updated"]
  assert updates == [
    DomainEvent(
      "announcement.updated",
      "announcement",
      ident,
      {"changes": {"name": ["Events notice", "Renamed notice"]}},
    )
  ]
  assert others == []
