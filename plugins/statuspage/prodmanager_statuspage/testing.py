"""Test helpers of the Statuspage plugin: the endpoints it serves and a fixed moment to date rows
from. It has no table, so no factory: its tests arrange scopes, services, monitors, incidents and
maintenances with the other plugins' factories (``make`` and ``world`` of prodmanager.testing)."""

import datetime as dt

from prodmanager_incident.testing import DEFAULT_START

ENDPOINTS = (
  "summary.json",
  "status.json",
  "components.json",
  "incidents.json",
  "incidents/unresolved.json",
  "scheduled-maintenances.json",
  "scheduled-maintenances/upcoming.json",
  "scheduled-maintenances/active.json",
)
# When an incident of the factory starts and is created, unless the test says otherwise.
BASE = DEFAULT_START


def at(minutes: float = 0, days: float = 0) -> dt.datetime:
  """A fixed moment: ``BASE`` plus some minutes or days."""
  return BASE + dt.timedelta(minutes=minutes, days=days)
