"""Test data of the monitor plugin: ``make.monitor(...)``, ``make.monitor_history()`` and the JSON
shape of a monitor (``prodmanager.testing`` collects the factories when the plugin is enabled)."""

import datetime as dt

from sqlalchemy import select

from prodmanager.testing import factory

from .models import PAIR, Monitor, MonitorStatus, MonitorStatusChange

API = "http://localhost/api"


@factory
def monitor(
  make, name="Monitor", status="ok", scope=None, service=None, since: dt.datetime | None = None, **values
) -> Monitor:
  """A monitor added directly, on the first scope and service of the test unless given. No status
  history is written this way, unless ``since`` dates its initial status (as the service records it)."""
  row = make.add(
    Monitor,
    name=name,
    status=MonitorStatus(status),
    **make.parent_ids(PAIR, scope=scope, service=service),
    description=values.pop("description", ""),
    **values,
  )
  if since is not None:
    make.add(MonitorStatusChange, monitor_id=row.id, old_status=None, new_status=row.status, changed_at=since)
  return row


@factory
def monitor_history(make) -> list[tuple]:
  """The status history as (monitor id, old status, new status), oldest first."""
  table = MonitorStatusChange.__table__
  rows = make.db.execute(
    select(table.c.monitor_id, table.c.old_status, table.c.new_status).order_by(table.c.id)
  )
  return [(ident, old and old.value, new.value) for ident, old, new in rows]


def expected_monitor(ident: int, scope: int, service: int, name: str, **values) -> dict:
  """The JSON of a monitor (docs/api.md); ``values`` override the defaults of a new monitor."""
  return {
    "id": ident,
    "name": name,
    "description": "",
    "scope": scope,
    "service": service,
    "integration": None,
    "external_reference": None,
    "external_link": None,
    "status": "ok",
    "stale": False,
    "stale_since": None,
    **values,
    "links": {
      "self": f"{API}/monitor/{ident}",
      "scope": f"{API}/scope/{scope}",
      "service": f"{API}/service/{service}",
    },
  }
