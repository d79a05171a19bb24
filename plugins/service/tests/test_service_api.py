"""The service plugin's API next to the scope plugin's: names are unique per type, a monitor
belongs to one of each axis, and both are documented side by side."""

import pytest
from sqlalchemy import func, select

from prodmanager_monitor.models import Monitor
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


def count(dbsession, model) -> int:
  return dbsession.scalar(select(func.count()).select_from(model))


def test_a_scope_and_a_service_may_share_a_name(api, dbsession):
  scope, service = api("scope", name="Storage"), api("service", name="Storage")
  assert (scope["name"], service["name"]) == ("Storage", "Storage")
  assert count(dbsession, Scope) == count(dbsession, Service) == 1


def test_service_deletion_waits_for_all_its_monitors(webapp, token_headers, api, dbsession):
  compute = api("service", name="Compute")
  paris, lyon = api("scope", name="Paris"), api("scope", name="Lyon")
  monitors = [
    api("monitor", name=f"CPU {scope['name']}", scope=scope["id"], service=compute["id"])
    for scope in (paris, lyon)
  ]
  refused = webapp.post(f"/api/service/{compute['id']}/delete", headers=token_headers, status=403)
  assert refused.json["reasons"] == {"monitors": ["Monitors: 2 still attached; delete or move them first"]}
  webapp.post(f"/api/monitor/{monitors[0]['id']}/delete", headers=token_headers)
  refused = webapp.post(f"/api/service/{compute['id']}/delete", headers=token_headers, status=403)
  assert refused.json["reasons"] == {"monitors": ["Monitors: 1 still attached; delete or move them first"]}
  # Moving the last monitor to another service frees this one.
  network = api("service", name="Network")
  webapp.post_json(
    f"/api/monitor/{monitors[1]['id']}/update", {"service": network["id"]}, headers=token_headers
  )
  webapp.post(f"/api/service/{compute['id']}/delete", headers=token_headers)
  assert [row.name for row in dbsession.scalars(select(Service))] == ["Network"]
  assert count(dbsession, Scope) == 2 and count(dbsession, Monitor) == 1


@pytest.mark.one_backend  # what it checks does not depend on the database
@pytest.mark.parametrize("type_name", ["scope", "service"])
def test_the_api_document_describes_every_path(webapp, type_name):
  document = webapp.get("/api/openapi.json").json
  paths = document["paths"]
  base = f"/api/{type_name}"
  assert {
    path: sorted(key for key in paths[path] if key != "parameters")
    for path in (base, f"{base}/create", f"{base}/{{id}}", f"{base}/{{id}}/update", f"{base}/{{id}}/delete")
  } == {
    base: ["get", "post"],
    f"{base}/create": ["post"],
    f"{base}/{{id}}": ["delete", "get", "patch"],
    f"{base}/{{id}}/update": ["post"],
    f"{base}/{{id}}/delete": ["post"],
  }
  schema = document["components"]["schemas"][type_name.capitalize()]
  assert set(schema["required"]) == {
    "id",
    "name",
    "description",
    "incidents_count",
    "maintenances_count",
    "monitors_count",
    "links",
  }
