"""Flat costs (docs/performance.md): every list page, list endpoint, feed and Statuspage endpoint runs
the same number of SQL queries whatever the number of rows AND of their parents.

The data grows in three steps, each list measured after each: one scope and one service holding one
of everything (monitor, incident, maintenance of each status, announcement) with one child each
(events, status changes); then ten children (ten monitors on the pair, ten events on every incident
and maintenance, ten status changes on every monitor); then five scopes × five services, every pair
holding the same. A per-row or per-parent query (a lazy load, a count per scope...) shows as a
difference between the steps.
"""

import datetime as dt

import pytest

from prodmanager.db import utcnow
from prodmanager.testing import event_diff
from prodmanager.timeline import EventType
from prodmanager_incident.models import IncidentEvent
from prodmanager_maintenance.models import MaintenanceEvent
from prodmanager_monitor.models import MonitorStatusChange

# (scopes and services, children): each step keeps what the previous one made.
STEPS = ((1, 1), (1, 10), (5, 10))
PAGES = [
  "/",
  "/incident?per_page=50",
  "/incident?status=resolved&per_page=50",
  "/incident/{incident}",
  "/maintenance?per_page=50",
  "/maintenance/{maintenance}",
  "/announcement?per_page=50",
  "/monitor?per_page=50",
  "/monitor/{monitor}",
  "/scope?per_page=50",
  "/service?per_page=50",
  "/scope/{scope}",
  "/service/{service}",
]
API = [
  "/api/incident?per_page=50",
  "/api/incident?per_page=50&scope={scope}",
  "/api/incident/{incident}/events",
  "/api/maintenance?per_page=50",
  "/api/maintenance/{maintenance}/events",
  "/api/announcement?per_page=50",
  "/api/monitor?per_page=50",
  "/api/scope?per_page=50",
  "/api/service?per_page=50",
  "/api/weather/incident",
  "/api/weather/maintenance",
  "/api/weather/monitor",
]
FEEDS = [
  "/history.atom",
  "/history.rss",
  "/history.atom?scope={scope}",
  "/maintenance.ics",
  "/badge.svg",
  "/badge.json",
  "/scope/{scope}/badge.svg",
  "/api/v2/summary.json",
  "/api/v2/status.json",
  "/api/v2/components.json",
  "/api/v2/incidents.json",
  "/api/v2/incidents/unresolved.json",
  "/api/v2/scheduled-maintenances.json",
  "/api/v2/scheduled-maintenances/upcoming.json",
  "/api/v2/scheduled-maintenances/active.json",
]
MOMENT = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


class Growing:
  """The data of the steps: ``grow(parents, children)`` adds what is missing."""

  def __init__(self, make):
    self.make = make
    self.scopes, self.services = [], []
    self.pairs: dict[tuple[int, int], dict] = {}

  def grow(self, parents: int, children: int) -> None:
    make = self.make
    while len(self.scopes) < parents:
      number = len(self.scopes)
      self.scopes.append(make.scope(name=f"Scope {number:02d}"))
      self.services.append(make.service(name=f"Service {number:02d}"))
    for scope in self.scopes:
      for service in self.services:
        pair = self.pairs.get((scope.id, service.id))
        if pair is None:
          pair = self.pairs[(scope.id, service.id)] = self.new_pair(scope, service)
        while len(pair["monitors"]) < children:
          number = len(pair["monitors"])
          pair["monitors"].append(
            make.monitor(
              name=f"Probe {number}", status=("ok", "alert")[number % 2], scope=scope, service=service
            )
          )
        for row in pair["monitors"]:
          self.history(row, children)
        for row in pair["incidents"]:
          self.events(IncidentEvent, row, children, ("active", "stable"))
        for row in pair["maintenances"]:
          self.events(MaintenanceEvent, row, children, ("scheduled", "in-progress"))
    make.db.flush()

  def new_pair(self, scope, service) -> dict:
    make, pair = self.make, {"scope": scope, "service": service}
    now = utcnow()
    incidents = [
      make.incident(name="Disk full", status="stable", start_impact_date=MOMENT, **pair),
      make.incident(name="DNS errors", status="resolved", start_impact_date=MOMENT, resolve_date=now, **pair),
    ]
    maintenances = [
      make.maintenance(name="Upgrade", status="scheduled", start=now + dt.timedelta(days=3), **pair),
      make.maintenance(name="Migration", status="in-progress", start=now - dt.timedelta(hours=1), **pair),
      make.maintenance(name="Reboot", status="succeed", start=MOMENT, **pair),
    ]
    make.announcement(start=now - dt.timedelta(hours=1), end=now + dt.timedelta(days=1), **pair)
    return {"monitors": [], "incidents": incidents, "maintenances": maintenances, "events": {}, "history": {}}

  def events(self, model, row, children: int, statuses: tuple[str, str]) -> None:
    """Up to ``children`` events on ``row``'s timeline: its creation, then public and internal
    comments and status changes in turn."""
    done = self.pairs[(row.scope_id, row.service_id)]["events"]
    for number in range(done.get((model, row.id), 0), children):
      kind = ("create", "comment", "comment", "update")[min(number, 1 + (number - 1) % 3)]
      if kind == "create":
        content = event_diff(status=(None, statuses[0]))
      elif kind == "update":
        content = event_diff(status=statuses)
      else:
        content = f"Comment {number}"
      self.make.db.add(
        model(
          parent_id=row.id,
          type=EventType(kind),
          content=content,
          internal=kind != "comment" or number % 2 == 0,
          creation_date=MOMENT + dt.timedelta(minutes=number),
          **({"old_status": None, "new_status": statuses[0]} if kind == "create" else {}),
          **({"old_status": statuses[0], "new_status": statuses[1]} if kind == "update" else {}),
        )
      )
    done[(model, row.id)] = max(children, done.get((model, row.id), 0))

  def history(self, row, children: int) -> None:
    done = self.pairs[(row.scope_id, row.service_id)]["history"]
    for number in range(done.get(row.id, 0), children):
      self.make.db.add(
        MonitorStatusChange(
          monitor_id=row.id,
          old_status=None if number == 0 else row.status,
          new_status=row.status,
          changed_at=MOMENT + dt.timedelta(minutes=number),
        )
      )
    done[row.id] = max(children, done.get(row.id, 0))

  def ids(self) -> dict:
    first = self.pairs[(self.scopes[0].id, self.services[0].id)]
    return {
      "scope": self.scopes[0].id,
      "service": self.services[0].id,
      "incident": first["incidents"][0].id,
      "maintenance": first["maintenances"][1].id,
      "monitor": first["monitors"][0].id,
    }


@pytest.mark.parametrize("paths", [PAGES, API, FEEDS], ids=["pages", "api", "feeds-and-statuspage"])
def test_a_constant_number_of_queries_whatever_the_rows_and_parents(make, webapp, count_queries, paths):
  data = Growing(make)
  counts: dict[str, list[int]] = {path: [] for path in paths}
  for parents, children in STEPS:
    data.grow(parents, children)
    pairs = parents * parents
    # The lists hold what the step made.
    assert webapp.get("/api/incident", {"per_page": "0"}).headers["x-total"] == str(2 * pairs)
    assert webapp.get("/api/monitor", {"per_page": "0"}).headers["x-total"] == str(children * pairs)
    for template in paths:
      path = template.format(**data.ids())
      webapp.get(path)  # warm-up: anything done once per process is not counted
      with count_queries() as queries:
        webapp.get(path, status=200)
      counts[template].append(len(queries))
  varying = {path: found for path, found in counts.items() if len(set(found)) > 1}
  assert not varying, f"queries at the steps {STEPS} (scopes × services, children): {varying}"
