"""Fixtures of the scope tests: scopes and services share their fields, rules, pages and API
(prodmanager.groups), so every test of test_scope_pages.py and test_scope_api.py runs for both
types through the ``group`` fixture; plugins/service/tests/ keeps what concerns the two axes
together. Each test also runs on SQLite and on PostgreSQL.
"""

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from prodmanager_monitor.models import Monitor, MonitorStatus
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

MODELS = {"scope": Scope, "service": Service}


@dataclass
class Group:
  """The type under test and the other axis (a monitor needs one row of each)."""

  name: str
  model: type
  other: str

  @property
  def other_model(self) -> type:
    return MODELS[self.other]


@pytest.fixture(params=sorted(MODELS))
def group(request) -> Group:
  other = "service" if request.param == "scope" else "scope"
  return Group(request.param, MODELS[request.param], other)


class Rows:
  """Arrange rows on the test's session and read the tables fresh (not from the identity map)."""

  def __init__(self, dbsession):
    self.db = dbsession

  def add(self, model, **values):
    row = model(**values)
    self.db.add(row)
    self.db.flush()
    return row

  def table(self, model) -> list:
    return self.db.execute(select(model.__table__).order_by(model.__table__.c.id)).all()

  def count(self, model) -> int:
    return self.db.scalar(select(func.count()).select_from(model))


@pytest.fixture
def rows(dbsession) -> Rows:
  return Rows(dbsession)


@pytest.fixture
def add_monitor(group, rows):
  """``add_monitor(owner, name, status)`` adds a monitor of ``owner`` (a row of the type under test);
  its other axis is one shared row of the other type."""
  other = rows.add(group.other_model, name="Other axis")

  def add(owner, name="Monitor", status="ok"):
    ids = {f"{group.name}_id": owner.id, f"{group.other}_id": other.id}
    return rows.add(Monitor, name=name, description="", status=MonitorStatus(status), **ids)

  return add


@pytest.fixture
def item(group, rows):
  """One row of the type under test, with a description."""
  return rows.add(group.model, name="Paris DC1", description="First **row**")
