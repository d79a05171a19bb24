"""Fixtures of the incident tests: ``world`` and ``make`` come from prodmanager.testing (with the
factories of prodmanager_incident.testing); here, the incident domain events delivered after commit."""

import pytest


@pytest.fixture
def domain_events(registry):
  """The incident domain events delivered (after commit) during the test, as (name, type, id, data)."""
  delivered = []

  def record(event):
    if event.type_name == "incident":
      delivered.append((event.name, event.type_name, event.id, event.data))

  entries = registry["domain_events.subscribers"].entries
  entry = (record, None)
  entries.append(entry)
  yield delivered
  entries.remove(entry)
