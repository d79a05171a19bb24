"""Fixtures of the maintenance tests: ``world`` and ``make`` come from prodmanager.testing (with the
factories of prodmanager_maintenance.testing); here, a valid body, the expected JSON shape and the
domain events delivered during a test."""

import datetime as dt

import pytest

from prodmanager.db import utcnow
from prodmanager.domain_events import Subscriber
from prodmanager.state import app_state
from prodmanager_maintenance.testing import expected_maintenance, minute


@pytest.fixture
def window():
  """A scheduled window tomorrow, as the API writes it (start, end)."""
  start = utcnow().replace(second=0, microsecond=0) + dt.timedelta(days=1)
  return start, start + dt.timedelta(hours=2)


@pytest.fixture
def full(world, window) -> dict:
  """Every field of a maintenance, as an API client sends them."""
  return {
    "name": "Increase IP range available",
    "description": "A new **/24**",
    "external_reference": "CHG000387",
    "external_link": "https://change.example.com/CHG000387",
    "status": "scheduled",
    "service_status": "degraded",
    "scope": world.paris.id,
    "service": world.compute.id,
    "scheduled_start_date": minute(window[0]),
    "scheduled_end_date": minute(window[1]),
  }


@pytest.fixture
def expected():
  return expected_maintenance


@pytest.fixture
def domain_events(registry):
  """The domain events delivered (after commit) during the test, as (name, id, data)."""
  delivered = []
  subscriber = Subscriber(
    "test-recorder", lambda event: delivered.append((event.name, event.id, event.data)), None
  )
  subscribers = app_state(registry).subscribers
  subscribers.add(subscriber)
  yield delivered
  subscribers.remove(subscriber)
