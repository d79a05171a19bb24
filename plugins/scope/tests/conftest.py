"""Fixtures of the scope tests: scopes and services share their fields, rules, pages and API
(prodmanager.groups), so every test of test_scope_pages.py and test_scope_api.py runs for both
types through the ``group`` fixture; plugins/service/tests/ keeps what concerns the two axes
together. Rows come from ``make`` (prodmanager.testing, with the factories of the scope, service and
monitor plugins' ``testing`` modules). Each test also runs on SQLite and on PostgreSQL.
"""

import pytest

from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

MODELS = {"scope": Scope, "service": Service}


@pytest.fixture(params=sorted(MODELS))
def group(request) -> str:
  """The name of the type under test."""
  return request.param


@pytest.fixture
def other(group) -> str:
  """The other axis (a monitor needs one row of each)."""
  return next(name for name in MODELS if name != group)


@pytest.fixture
def model(group) -> type:
  """The model of the type under test."""
  return MODELS[group]


@pytest.fixture
def make_row(make, group):
  """``make_row(name=...)``: the factory of the type under test (``make.scope`` or ``make.service``)."""
  return getattr(make, group)


@pytest.fixture
def add_monitor(make, group, other):
  """``add_monitor(owner, name, status)`` adds a monitor of ``owner`` (a row of the type under test);
  its other axis is one shared row of the other type."""
  other_row = getattr(make, other)(name="Other axis")

  def add(owner, name="Monitor", status="ok"):
    return make.monitor(name=name, status=status, **{group: owner, other: other_row})

  return add


@pytest.fixture
def item(make_row):
  """One row of the type under test, with a description."""
  return make_row(name="Paris DC1", description="First **row**")
