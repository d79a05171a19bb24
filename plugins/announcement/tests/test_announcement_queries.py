"""No N+1: the announcement list page, the list endpoint and the dashboard (with its capped panel)
run the same number of SQL queries for 1 row and for 30 (each with its scope and service)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from prodmanager.db import utcnow as now
from prodmanager_announcement.models import Announcement, AnnouncementLevel
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

LEVELS = list(AnnouncementLevel)


def fill(dbsession, total: int) -> None:
  """Grow to ``total`` ongoing announcements, announcement n on scope n and service n."""
  start = dbsession.scalar(select(func.count()).select_from(Announcement))
  moment = now()
  for number in range(start, total):
    scope, service = Scope(name=f"Scope {number:02d}"), Service(name=f"Service {number:02d}")
    dbsession.add_all([scope, service])
    dbsession.flush()
    dbsession.add(
      Announcement(
        name=f"Announcement {number:02d}",
        description=f"Text {number}",
        level=LEVELS[number % 3],
        scope_id=scope.id,
        service_id=service.id,
        creation_date=moment,
        start_date=moment - dt.timedelta(hours=1, minutes=number),
        end_date=moment + dt.timedelta(hours=1),
      )
    )
  dbsession.flush()


def shown(response) -> int:
  if response.content_type == "application/json":
    return len(response.json["items"])
  if response.request.path == "/":
    return len(response.html.select("section.panel-announcements li.panel-item"))
  return len(response.html.select("tbody tr"))


@pytest.mark.parametrize("path", ["/announcement", "/api/announcement", "/"])
def test_lists_run_a_constant_number_of_queries(webapp, dbsession, count_queries, path):
  counts = []
  for total in (1, 30):
    fill(dbsession, total)
    webapp.get(path, {"per_page": "50"})  # warm-up: anything done once per process is not counted
    with count_queries() as queries:
      response = webapp.get(path, {"per_page": "50"})
    assert shown(response) == (min(total, 10) if path == "/" else total)
    counts.append(len(queries))
  assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 1 row, {counts[1]} for 30"
