"""Domain events of announcements (issue: "announcement created", for every change path):
``announcement.created`` and ``announcement.updated``, delivered to subscribers after commit only."""

from types import SimpleNamespace

import pytest

from prodmanager.domain_events import DomainEvent
from prodmanager_announcement.models import Announcement
from prodmanager_announcement.services import AnnouncementService
from prodmanager_announcement.testing import END, START, api_date


@pytest.fixture
def body(world) -> dict:
  return {
    "name": "Deprecation notice",
    "level": "medium",
    "scope": world.paris.id,
    "service": world.compute.id,
    "start_date": api_date(START),
    "end_date": api_date(END),
  }


@pytest.mark.parametrize(("path", "status"), [("/api/announcement/create", 200), ("/api/announcement", 201)])
def test_api_create_emits_announcement_created(webapp, token_headers, body, domain_events, path, status):
  ident = webapp.post_json(path, body, headers=token_headers, status=status).json["id"]
  assert domain_events == [DomainEvent("announcement.created", "announcement", ident, {})]


def test_api_update_emits_announcement_updated_with_the_changes(webapp, token_headers, world, domain_events):
  row = world.announcement("Notice", "medium")
  webapp.patch_json(
    f"/api/announcement/{row.id}",
    {"level": "high", "start_date": "2030-05-01T09:30", "name": "Notice"},
    headers=token_headers,
  )
  assert domain_events == [
    DomainEvent(
      "announcement.updated",
      "announcement",
      row.id,
      {"changes": {"level": ["medium", "high"], "start_date": ["2030-05-01T10:00", "2030-05-01T09:30"]}},
    )
  ]
  # An update that changes nothing emits nothing.
  webapp.post_json(f"/api/announcement/{row.id}/update", {"level": "high"}, headers=token_headers)
  assert len(domain_events) == 1


def test_a_failed_create_emits_nothing(webapp, token_headers, world, body, domain_events):
  webapp.post_json(
    "/api/announcement/create", {**body, "end_date": "2030-04-01T00:00"}, headers=token_headers, status=400
  )
  webapp.post_json("/api/announcement/create", {**body, "scope": 9999}, headers=token_headers, status=400)
  webapp.post_json("/api/announcement/create", body, status=401)
  assert domain_events == [] and world.count(Announcement) == 0


def test_delete_emits_nothing(webapp, token_headers, world, domain_events):
  row = world.announcement("Doomed")
  webapp.delete(f"/api/announcement/{row.id}", headers=token_headers, status=204)
  assert domain_events == []


def service_on(session, registry) -> AnnouncementService:
  """The service outside any web request, on a session of its own (as a CLI command would use it)."""
  return AnnouncementService(SimpleNamespace(dbsession=session, registry=registry))


def test_created_is_delivered_after_commit_only(registry, dbsession, world, body, domain_events):
  dbsession.commit()  # the arranged scopes and services
  service = service_on(dbsession, registry)
  row = service.create(body)
  dbsession.flush()
  assert domain_events == []  # written, not committed: nothing yet
  dbsession.commit()
  assert domain_events == [DomainEvent("announcement.created", "announcement", row.id, {})]


def test_a_rolled_back_create_emits_nothing(registry, dbsession, world, body, domain_events):
  dbsession.commit()
  service = service_on(dbsession, registry)
  service.create(body)
  service.create({**body, "name": "Second notice"})
  dbsession.rollback()
  assert domain_events == [] and world.count(Announcement) == 0
  # The next transaction starts clean: only its own event is delivered.
  row = service.create({**body, "name": "Third notice"})
  dbsession.commit()
  assert [(event.name, event.id) for event in domain_events] == [("announcement.created", row.id)]
