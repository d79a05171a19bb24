"""Fixtures of the monitor tests: two scopes, two services and helpers to add and read monitors."""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prodmanager_monitor.models import Monitor, MonitorStatus, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

API = "http://localhost/api"


@dataclass
class World:
  """Scopes ``paris``, ``lyon`` and services ``compute``, ``network``, on the test's session."""

  db: Session
  paris: Scope
  lyon: Scope
  compute: Service
  network: Service

  def add(self, model, **values):
    row = model(**values)
    self.db.add(row)
    self.db.flush()
    return row

  def monitor(self, name="Monitor", status="ok", scope=None, service=None, **values) -> Monitor:
    """A monitor added directly (no status history is written this way)."""
    return self.add(
      Monitor,
      name=name,
      status=MonitorStatus(status),
      scope_id=(scope or self.paris).id,
      service_id=(service or self.compute).id,
      description=values.pop("description", ""),
      **values,
    )

  def table(self, model=Monitor) -> list:
    """Every row of a table, read from the database (not from the session's identity map)."""
    return self.db.execute(select(model.__table__).order_by(model.__table__.c.id)).all()

  def count(self, model=Monitor) -> int:
    return self.db.scalar(select(func.count()).select_from(model))

  def history(self) -> list[tuple]:
    """The status history as (monitor id, old status, new status), oldest first."""
    table = MonitorStatusChange.__table__
    rows = self.db.execute(
      select(table.c.monitor_id, table.c.old_status, table.c.new_status).order_by(table.c.id)
    )
    return [(ident, old and old.value, new.value) for ident, old, new in rows]


@pytest.fixture
def world(dbsession) -> World:
  scopes = [Scope(name=name, description="") for name in ("Paris DC", "Lyon DC")]
  services = [Service(name=name, description="") for name in ("Compute", "Network")]
  dbsession.add_all(scopes + services)
  dbsession.flush()
  return World(dbsession, *scopes, *services)


def expected_monitor(ident: int, scope: int, service: int, name: str, **values) -> dict:
  """The 0.22 shape of a monitor (docs/api.md#endpoints-of-a-resource-type); ``values`` override the defaults of a new monitor."""
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
    **values,
    "links": {
      "self": f"{API}/monitor/{ident}",
      "scope": f"{API}/scope/{scope}",
      "service": f"{API}/service/{service}",
    },
  }


@pytest.fixture
def expected():
  return expected_monitor
