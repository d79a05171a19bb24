"""No N+1 on maintenance lists (each row with its scope, service and events), and ETag/304 on the
public pages and JSON of maintenances."""

import pytest

from prodmanager.timeline import EventType
from prodmanager_maintenance.models import Maintenance
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


def grow(world, total: int) -> None:
  """Grow to ``total`` maintenances, each with a few events and its own scope and service: with
  shared parents, a per-row lazy load of the parents runs once per parent and goes unseen."""
  while world.count(Maintenance) < total:
    number = world.count(Maintenance)
    scope, service = Scope(name=f"Scope {number:02d}"), Service(name=f"Service {number:02d}")
    world.db.add_all([scope, service])
    world.db.flush()
    row = world.maintenance(
      f"Work {number:02d}", ("scheduled", "in-progress", "succeed")[number % 3], scope, service
    )
    world.maintenance_event(row, '{"name": [null, "x"]}', True, EventType.CREATE)
    world.maintenance_event(row, "Public news")
    world.maintenance_event(row, "Internal note", internal=True)


def shown(response) -> int:
  if response.content_type == "application/json":
    return len(response.json["items"])
  return len(response.html.select("tbody tr"))


@pytest.mark.parametrize("path", ["/maintenance", "/api/maintenance", "/"])
def test_lists_run_a_constant_number_of_queries(webapp, world, count_queries, path):
  counts = []
  # The dashboard skips the rows query of an empty panel: start with one maintenance per panel.
  for total in (3 if path == "/" else 1, 30):
    grow(world, total)
    webapp.get(path, {"per_page": "50"})  # warm-up: anything done once per process is not counted
    with count_queries() as queries:
      response = webapp.get(path, {"per_page": "50"})
    if path != "/":
      assert shown(response) == total
      if path.startswith("/api"):
        assert all(len(item["events"]) == 1 for item in response.json["items"])  # public only
    counts.append(len(queries))
  assert counts[0] == counts[1], f"{path}: {counts[0]} queries for a few rows, {counts[1]} for 30"


def test_pages_and_json_answer_304_to_a_matching_etag(webapp, world):
  grow(world, 2)
  ident = world.table(Maintenance)[0].id
  for path in (
    "/maintenance",
    f"/maintenance/{ident}",
    "/api/maintenance",
    f"/api/maintenance/{ident}",
    f"/api/maintenance/{ident}/events",
    "/api/weather/maintenance",
    "/",
  ):
    etag = webapp.get(path).headers["ETag"]
    assert webapp.get(path, headers={"If-None-Match": etag}, status=304).body == b""


def test_a_change_gives_a_new_etag(webapp, token_headers, world):
  grow(world, 1)
  ident = world.table(Maintenance)[0].id
  before = webapp.get(f"/api/maintenance/{ident}").headers["ETag"]
  webapp.post_json(f"/api/maintenance/{ident}/comment", {"comment": "News"}, headers=token_headers)
  response = webapp.get(f"/api/maintenance/{ident}", headers={"If-None-Match": before})
  assert response.status_int == 200 and response.headers["ETag"] != before
