"""Fixtures of the announcement tests: two scopes, two services, the expected JSON shape, and a
recorder of the domain events delivered to subscribers."""

import pytest
from announcement_support import World, expected_announcement

from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


@pytest.fixture
def world(dbsession) -> World:
  scopes = [Scope(name=name, description="") for name in ("Paris DC", "Lyon DC")]
  services = [Service(name=name, description="") for name in ("Compute", "Network")]
  dbsession.add_all(scopes + services)
  dbsession.flush()
  return World(dbsession, *scopes, *services)


@pytest.fixture
def expected():
  return expected_announcement


@pytest.fixture
def domain_events(registry) -> list:
  """The domain events delivered to subscribers during the test, in order."""
  received = []
  entry = (received.append, None)
  subscribers = registry["domain_events.subscribers"].entries
  subscribers.append(entry)
  yield received
  subscribers.remove(entry)
