"""Unit tests of prodmanager.groups: the service, JSON shape, schema and pages every grouping axis
shares, through the scope type."""

from types import SimpleNamespace

import pytest

from prodmanager.errors import Conflict, ValidationFailed
from prodmanager.groups import GroupService, demo_group_loader, group_schema


@pytest.fixture
def scopes(dbsession, registry):
  from prodmanager_scope.services import ScopeService

  request = SimpleNamespace(dbsession=dbsession, registry=registry, application_url="http://localhost")
  return ScopeService(request)


def test_scope_service_is_a_group_service(scopes):
  assert isinstance(scopes, GroupService)
  assert [field.name for field in scopes.fields] == ["name", "description"]


def test_group_name_rules(scopes, make):
  with pytest.raises(ValidationFailed) as caught:
    scopes.create({"name": "DC"})
  assert caught.value.reasons == {"name": ["must be at least 3 characters long"]}
  with pytest.raises(ValidationFailed) as caught:
    scopes.create({"name": "x" * 256})
  assert caught.value.reasons == {"name": ["must be at most 255 characters long"]}
  make.scope(name="Paris DC")
  with pytest.raises(Conflict) as caught:
    scopes.create({"name": "Paris DC"})
  assert caught.value.reasons == {"name": ["this Name is already used by another Scope"]}


def test_group_description_is_markdown_stored_empty(scopes, make):
  from prodmanager_scope.models import Scope

  row = scopes.create({"name": "Paris DC"})
  assert make.row(Scope, row.id).description == ""
  row = scopes.create({"name": "Lyon DC", "description": "line one\nline two"})
  assert make.row(Scope, row.id).description == "line one\nline two"


def test_serialize_has_the_shape_and_the_plugins_aggregates(scopes, make):
  row = make.scope(name="Paris DC", description="main site")
  data = scopes.serialize(row, scopes.aggregates([row])[row.id])
  assert {key: data[key] for key in ("id", "name", "description")} == {
    "id": row.id,
    "name": "Paris DC",
    "description": "main site",
  }
  assert data["links"]["self"] == f"http://localhost/api/scope/{row.id}"
  # What other plugins declare on the axis (the monitors' counts per status, the incidents' count).
  assert data["monitors_count"] == {"ok": 0, "warning": 0, "alert": 0}
  assert data["incidents_count"] == 0


@pytest.mark.one_backend
def test_group_schema():
  schema = group_schema()
  assert schema["required"] == ["id", "name", "description", "links"]
  assert schema["properties"]["links"]["required"] == ["self"]


def test_group_api_objects_carry_the_schemas_required_keys(webapp, make):
  paris = make.scope(name="Paris DC")
  data = webapp.get(f"/api/scope/{paris.id}").json
  assert set(group_schema()["required"]) <= set(data)
  assert data["name"] == "Paris DC"


def test_group_pages_list_columns_and_detail_panels(webapp, make):
  paris = make.scope(name="Paris DC")
  make.monitor(name="Web site", scope=paris, status="alert")
  make.incident(name="Paris outage", scope=paris, status="active")
  detail = webapp.get(f"/scope/{paris.id}").text
  assert "Paris DC" in detail
  # The panels restricted to this scope, as the plugins declare them.
  assert "Paris outage" in detail
  assert "Web site" in detail
  listing = webapp.get("/scope").text
  assert "Paris DC" in listing


def test_demo_group_loader_adds_the_rows(dbsession):
  from prodmanager_scope.models import Scope

  context = SimpleNamespace(session=dbsession, objects={})
  load = demo_group_loader(Scope, [("Paris DC", "main"), ("Lyon DC", "backup")])
  assert load(context) == 2
  assert [row.name for row in context.objects["scope"]] == ["Paris DC", "Lyon DC"]
  assert all(row.id for row in context.objects["scope"])
