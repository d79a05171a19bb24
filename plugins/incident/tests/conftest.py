"""Fixtures of the incident tests: ``world`` and ``make`` come from prodmanager.testing (with the
factories of prodmanager_incident.testing); here, the incident domain events delivered after commit."""

import pytest

from prodmanager.domain_events import Subscriber
from prodmanager.state import app_state


@pytest.fixture
def domain_events(registry):
  """The incident domain events delivered (after commit) during the test, as (name, type, id, data)."""
  delivered = []

  def record(event):
    if event.type_name == "incident":
      delivered.append((event.name, event.type_name, event.id, event.data))

  subscribers = app_state(registry).subscribers
  subscriber = Subscriber("test-recorder", record, None)
  subscribers.add(subscriber)
  yield delivered
  subscribers.remove(subscriber)
