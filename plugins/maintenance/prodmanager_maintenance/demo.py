"""Demo maintenances: 0.22's three, moved to the present (one in progress, one past, one to come),
with their timelines: the internal create/update events the server writes, and public comments."""

import datetime as dt

from prodmanager.db import utcnow
from prodmanager.timeline import EventType, encode_diff, status_columns

from .models import Maintenance, MaintenanceEvent, MaintenanceStatus, ServiceStatus


def pick(objects: list, index: int):
  """The demo's n-th scope or service (0.22's ids), or the last one of a smaller set."""
  return objects[min(index, len(objects) - 1)]


def load(context) -> int:
  """Needs the scopes and services created by their loaders (``context.objects``)."""
  scopes, services = context.objects.get("scope", []), context.objects.get("service", [])
  if not scopes or not services:
    return 0
  now = utcnow().replace(second=0, microsecond=0)
  hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
  minute = dt.timedelta(minutes=1)
  entries = [
    # (row values, [(delay after creation, type, content or diff, internal)])
    (
      {
        "name": "Increase IP range available",
        "description": "Because of the increasing number of clients wanting to use the Load Balancer "
        "service in France DC03, we are going to increase the range by a new /24.",
        "external_reference": "CHG000387",
        "external_link": "https://example.org",
        "status": MaintenanceStatus.IN_PROGRESS,
        "service_status": ServiceStatus.UP,
        "scope_id": pick(scopes, 2).id,
        "service_id": pick(services, 7).id,
        "creation_date": now - 3 * day,
        "scheduled_start_date": now - hour,
        "scheduled_end_date": now + hour,
        "start_date": now - hour + 2 * minute,
      },
      [
        (
          now - hour + 2 * minute,
          EventType.UPDATE,
          {
            "status": (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS),
            "start_date": (None, now - hour + 2 * minute),
          },
          True,
        ),
        (now - 40 * minute, EventType.COMMENT, "The new IP range has been added to the core network.", False),
        (
          now - 35 * minute,
          EventType.COMMENT,
          "Routes announced on both edge routers; waiting for the BGP sessions to settle.",
          True,
        ),
        (
          now - 20 * minute,
          EventType.COMMENT,
          "Starting integration tests to validate the availability of the new range.",
          False,
        ),
      ],
    ),
    (
      {
        "name": "Deploy the service in the region",
        "description": "Deployment of the **Serverless Function** service in Japan DC03.\n\n"
        "The service is unavailable in the region during the deployment.",
        "external_reference": "CHG000176",
        "external_link": "https://example.com",
        "status": MaintenanceStatus.SUCCEED,
        "service_status": ServiceStatus.DOWN,
        "scope_id": pick(scopes, 8).id,
        "service_id": pick(services, 6).id,
        "creation_date": now - 20 * day,
        "scheduled_start_date": now - 16 * day,
        "scheduled_end_date": now - 16 * day + 2 * hour,
        "start_date": now - 16 * day + 12 * minute,
        "end_date": now - 16 * day + 2 * hour + 12 * minute,
      },
      [
        (
          now - 16 * day + 12 * minute,
          EventType.UPDATE,
          {
            "status": (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS),
            "start_date": (None, now - 16 * day + 12 * minute),
          },
          True,
        ),
        (
          now - 16 * day + 2 * hour + 12 * minute,
          EventType.UPDATE,
          {
            "status": (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.SUCCEED),
            "end_date": (None, now - 16 * day + 2 * hour + 12 * minute),
          },
          True,
        ),
        (
          now - 16 * day + 2 * hour + 15 * minute,
          EventType.COMMENT,
          "The service has been successfully deployed in the new availability zone.",
          False,
        ),
      ],
    ),
    (
      {
        "name": "Optimize connection pool",
        "description": "Tuning of the connection pool of the managed databases in Japan DC02. "
        "Short reconnections may happen; no downtime is expected.",
        "external_reference": "CHG000412",
        "external_link": None,
        "status": MaintenanceStatus.SCHEDULED,
        "service_status": ServiceStatus.UP,
        "scope_id": pick(scopes, 7).id,
        "service_id": pick(services, 0).id,
        "creation_date": now - day,
        "scheduled_start_date": now + 3 * day,
        "scheduled_end_date": now + 3 * day + 2 * hour,
      },
      [(now - day + 5 * minute, EventType.COMMENT, "The change has been approved.", False)],
    ),
  ]
  rows = []
  for values, events in entries:
    row = Maintenance(**values)
    context.session.add(row)
    context.session.flush()
    rows.append(row)
    # As through the API: the first event records the values at creation, when every one of them
    # was still scheduled (the update events tell the rest of the story).
    initial = {
      key.removesuffix("_id"): (None, value)
      for key, value in values.items()
      if key not in ("creation_date", "start_date", "end_date") and value not in (None, "")
    }
    initial["status"] = (None, MaintenanceStatus.SCHEDULED)
    timeline = [(row.creation_date, EventType.CREATE, initial, True), *events]
    for when, event_type, content, internal in timeline:
      context.session.add(
        MaintenanceEvent(
          parent_id=row.id,
          creation_date=when,
          type=event_type,
          content=content if isinstance(content, str) else encode_diff(content),
          internal=internal,
          **({} if isinstance(content, str) else status_columns(content)),
        )
      )
  context.session.flush()
  context.objects["maintenance"] = rows
  return len(rows)
