"""Unit tests of prodmanager.membership: the pieces a type whose rows belong to grouping axes gets
from one declaration, through the monitor type (``Membership(scope=Scope, service=Service)``)."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select
from webob.multidict import MultiDict

from prodmanager.fields import Reference
from prodmanager.membership import Count, Membership, count_default, count_provider, count_schema, row_counter


@pytest.fixture
def pair():
  from prodmanager_monitor.models import PAIR

  return PAIR


@pytest.mark.one_backend
def test_membership_needs_an_axis():
  with pytest.raises(ValueError, match="at least one grouping axis"):
    Membership()


@pytest.mark.one_backend
def test_names_columns_and_index(pair):
  from prodmanager_monitor.models import Monitor

  assert pair.names == ("scope", "service")
  assert Membership.column_name("scope") == "scope_id"
  index = pair.index("monitor")
  assert index.name == "ix_monitor_scope_service"
  assert [str(expression) for expression in index.expressions] == ["scope_id", "service_id"]
  table = Monitor.__table__
  for axis in ("scope", "service"):
    column = table.c[f"{axis}_id"]
    assert not column.nullable
    assert column.index
    (key,) = column.foreign_keys
    assert key.target_fullname == f"{axis}.id"
    assert key.ondelete == "RESTRICT"


@pytest.mark.one_backend
def test_fields_are_required_references_onto_the_columns(pair):
  from prodmanager_scope.models import Scope
  from prodmanager_service.models import Service

  fields = pair.fields()
  assert [(f.name, f.attr, f.required, f.model) for f in fields] == [
    ("scope", "scope_id", True, Scope),
    ("service", "service_id", True, Service),
  ]
  assert all(isinstance(field, Reference) for field in fields)


def test_filters_and_where_keep_the_rows_of_a_parent(pair, make, dbsession):
  from prodmanager_monitor.models import Monitor

  paris, lyon = make.scope(name="Paris DC"), make.scope(name="Lyon DC")
  web = make.monitor(name="Web site", scope=paris)
  make.monitor(name="Database", scope=lyon)
  filters = pair.filters(Monitor)
  assert [(flt.name, flt.kind) for flt in filters] == [("scope", "int"), ("service", "int")]
  clause = filters[0].clause([filters[0].parse(str(paris.id))])
  assert list(dbsession.scalars(select(Monitor.id).where(clause))) == [web.id]
  assert list(dbsession.scalars(select(Monitor.id).where(*pair.where(Monitor, scope=paris.id)))) == [web.id]
  # A None id keeps every row.
  assert len(list(dbsession.scalars(select(Monitor.id).where(*pair.where(Monitor, scope=None))))) == 2


def test_ids_and_links(pair, make):
  monitor = make.monitor(name="Web site")
  request = SimpleNamespace(application_url="http://localhost")
  assert pair.ids(monitor) == {"scope": monitor.scope_id, "service": monitor.service_id}
  assert pair.links(request, monitor) == {
    "scope": f"http://localhost/api/scope/{monitor.scope_id}",
    "service": f"http://localhost/api/service/{monitor.service_id}",
  }


def test_counters_and_providers(make, dbsession):
  from prodmanager_monitor.models import Monitor

  paris, lyon, nantes = make.scope(name="Paris DC"), make.scope(name="Lyon DC"), make.scope(name="Nantes")
  make.monitor(name="Web site", scope=paris, status="ok")
  make.monitor(name="Database", scope=paris, status="alert")
  make.monitor(name="Mail server", scope=lyon, status="ok")
  assert row_counter(Monitor, Monitor.scope_id)(dbsession, paris.id) == 2
  assert row_counter(Monitor, Monitor.scope_id)(dbsession, nantes.id) == 0
  ids = [paris.id, lyon.id, nantes.id]
  assert count_provider(Monitor.scope_id)(dbsession, ids) == {paris.id: 2, lyon.id: 1}
  assert count_provider(Monitor.scope_id, Monitor.status)(dbsession, ids) == {
    paris.id: {"ok": 1, "warning": 0, "alert": 1},
    lyon.id: {"ok": 1, "warning": 0, "alert": 0},
  }


@pytest.mark.one_backend
def test_defaults_and_schemas():
  from prodmanager_monitor.models import Monitor

  assert count_default()() == 0
  assert count_default(Monitor.status)() == {"ok": 0, "warning": 0, "alert": 0}
  assert count_schema() == {"type": "integer", "minimum": 0}
  schema = count_schema(Monitor.status)
  assert schema["required"] == ["ok", "warning", "alert"]
  assert schema["properties"]["alert"] == {"type": "integer", "minimum": 0}
  assert Count("monitors_count").link == ""


def test_registered_counts_and_links_reach_the_parents_json(webapp, make):
  paris = make.scope(name="Paris DC")
  make.monitor(name="Web site", scope=paris, status="warning")
  make.incident(name="Outage", scope=paris)
  make.incident(name="Slow pages", scope=paris)
  data = webapp.get(f"/api/scope/{paris.id}").json
  assert data["monitors_count"] == {"ok": 0, "warning": 1, "alert": 0}
  assert data["incidents_count"] == 2
  assert data["links"]["monitors"] == f"http://localhost/api/monitor?scope={paris.id}"
  assert data["links"]["incidents"] == f"http://localhost/api/incident?scope={paris.id}"


def test_registered_dependents_refuse_deleting_a_parent(webapp, make, token_headers):
  from prodmanager_scope.models import Scope

  paris = make.scope(name="Paris DC")
  make.monitor(name="Web site", scope=paris)
  response = webapp.delete(f"/api/scope/{paris.id}", headers=token_headers, status=403)
  assert response.json["reasons"] == {"monitors": ["Monitors: 1 still attached; delete or move them first"]}
  assert make.count(Scope) == 1


def test_member_service_loads_the_parents_eagerly(dbsession, registry, make):
  from prodmanager_monitor.services import MonitorService

  monitor = make.monitor(name="Web site")
  dbsession.expunge_all()
  service = MonitorService(SimpleNamespace(dbsession=dbsession, registry=registry))
  row = service.get(monitor.id)
  # ``lazy="raise"``: reading the parent would fail had it not been loaded with the row.
  assert row.scope.id == monitor.scope_id
  assert row.service.id == monitor.service_id
  page, _ = service.list(MultiDict())
  assert [(item.scope.id, item.service.id) for item in page.items] == [(monitor.scope_id, monitor.service_id)]
