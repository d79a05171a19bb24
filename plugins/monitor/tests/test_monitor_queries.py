"""No N+1: the list pages and list endpoints of scopes, services and monitors run the same number of
SQL queries whether they show 1 row or 50 (monitors with their scope and service, scopes and
services with their monitor counts)."""

import pytest
from sqlalchemy import func, select

from prodmanager_monitor.models import Monitor, MonitorStatus
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

STATUSES = list(MonitorStatus)


def fill(dbsession, total: int) -> None:
  """Grow to ``total`` scopes, services and monitors; monitor n sits on scope n and service n, with
  the statuses in turn, so that every row of every list has its own related rows and counts."""
  start = dbsession.scalar(select(func.count()).select_from(Scope))
  for number in range(start, total):
    scope, service = Scope(name=f"Scope {number:02d}"), Service(name=f"Service {number:02d}")
    dbsession.add_all([scope, service])
    dbsession.flush()
    dbsession.add(
      Monitor(
        name=f"Monitor {number:02d}",
        status=STATUSES[number % 3],
        scope_id=scope.id,
        service_id=service.id,
        description="",
      )
    )
  dbsession.flush()


def shown(response) -> int:
  if response.content_type == "application/json":
    return len(response.json["items"])
  return len(response.html.select("tbody tr"))


@pytest.mark.parametrize(
  "path", ["/scope", "/service", "/monitor", "/api/scope", "/api/service", "/api/monitor"]
)
def test_lists_run_a_constant_number_of_queries(webapp, dbsession, count_queries, path):
  counts = []
  for total in (1, 50):
    fill(dbsession, total)
    webapp.get(path, {"per_page": "50"})  # warm-up: anything done once per process is not counted
    with count_queries() as queries:
      response = webapp.get(path, {"per_page": "50"})
    assert shown(response) == total
    counts.append(len(queries))
  assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 1 row, {counts[1]} for 50"
