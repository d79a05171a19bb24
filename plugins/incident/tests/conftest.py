"""Fixtures of the incident tests: two scopes, two services, helpers to add and read incidents, and a
recorder of the domain events delivered after commit."""

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prodmanager.timeline import EventType, status_columns_of_diff
from prodmanager_incident.models import Incident, IncidentEvent, IncidentSeverity, IncidentStatus
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

API = "http://localhost/api"
UTC = dt.UTC


def utc(*args) -> dt.datetime:
  return dt.datetime(*args, tzinfo=UTC)


@dataclass
class World:
  """Scopes ``paris``, ``lyon`` and services ``compute``, ``network``, on the test's session."""

  db: Session
  paris: Scope
  lyon: Scope
  compute: Service
  network: Service

  def incident(
    self, name="Incident", status="active", severity="high", scope=None, service=None, events=(), **values
  ) -> Incident:
    """An incident added directly (no event is written this way, unless ``events`` lists
    ``(type, content, internal)``)."""
    values.setdefault("start_impact_date", utc(2024, 5, 1, 12, 0))
    values.setdefault("creation_date", values["start_impact_date"])
    row = Incident(
      name=name,
      status=IncidentStatus(status),
      severity=IncidentSeverity(severity),
      scope_id=(scope or self.paris).id,
      service_id=(service or self.compute).id,
      description=values.pop("description", ""),
      **values,
    )
    self.db.add(row)
    self.db.flush()
    for number, (kind, content, internal) in enumerate(events):
      self.db.add(
        IncidentEvent(
          parent_id=row.id,
          type=EventType(kind),
          content=content,
          internal=internal,
          creation_date=row.creation_date + dt.timedelta(minutes=number + 1),
          **(status_columns_of_diff(content) if kind != "comment" else {}),
        )
      )
    self.db.flush()
    return row

  def table(self, model=Incident) -> list:
    """Every row of a table, read from the database (not from the session's identity map)."""
    return self.db.execute(select(model.__table__).order_by(model.__table__.c.id)).all()

  def count(self, model=Incident) -> int:
    return self.db.scalar(select(func.count()).select_from(model))

  def events(self, ident: int | None = None) -> list[tuple]:
    """The events as (type, content, internal), oldest first."""
    table = IncidentEvent.__table__
    statement = select(table.c.type, table.c.content, table.c.internal).order_by(table.c.id)
    if ident is not None:
      statement = statement.where(table.c.parent_id == ident)
    return [(kind.value, content, internal) for kind, content, internal in self.db.execute(statement)]

  def row(self, ident: int):
    table = Incident.__table__
    return self.db.execute(select(table).where(table.c.id == ident)).one()


@pytest.fixture
def world(dbsession) -> World:
  scopes = [Scope(name=name, description="") for name in ("Paris DC", "Lyon DC")]
  services = [Service(name=name, description="") for name in ("Compute", "Network")]
  dbsession.add_all(scopes + services)
  dbsession.flush()
  return World(dbsession, *scopes, *services)


@pytest.fixture
def domain_events(registry):
  """The domain events delivered (after commit) during the test, as (name, type, id, data)."""
  delivered = []

  def record(event):
    if event.type_name == "incident":
      delivered.append((event.name, event.type_name, event.id, event.data))

  entries = registry["domain_events.subscribers"].entries
  entry = (record, None)
  entries.append(entry)
  yield delivered
  entries.remove(entry)


@pytest.fixture
def form_of():
  """``form_of(page, "/comment")``: the form of a page whose action ends so (the layout also carries
  the logout form)."""

  def find(page, action_end: str = ""):
    return next(
      form for form in page.forms.values() if form.action != "/logout" and form.action.endswith(action_end)
    )

  return find
