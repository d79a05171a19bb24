"""Benchmark data: the three sizes of quality.md written with bulk inserts (seconds, not minutes).

  python bench/generate.py --size medium --database-uri sqlite:///bench/data/medium.sqlite

The database is migrated first (``prodmanager migrate``), then filled when it is empty; a database
that already holds the size's scopes is left as it is, so a second run costs nothing. Rows are
written with SQLAlchemy Core ``executemany`` inserts on the application's own tables, with the
values the services would write (timeline ``create``/``update`` events carry their diffs and status
columns), dates spread over the last two years so that lists, feeds and calendars have history.
"""

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, insert, select

# scopes, services per scope (one monitor per pair), incidents, events per incident, maintenances
SIZES = {
  "small": None,  # the demo data of `prodmanager demo`
  "medium": {"scopes": 50, "services": 20, "incidents": 10_000, "events": 10, "maintenances": 10_000},
  "large": {"scopes": 200, "services": 50, "incidents": 100_000, "events": 10, "maintenances": 100_000},
}
BATCH = 5_000
# Open items: what the dashboard, the status banner and summary.json show as current.
ONGOING_INCIDENTS = 12
UPCOMING_MAINTENANCES = 20
IN_PROGRESS_MAINTENANCES = 3


def prodmanager(args: list[str], database_uri: str) -> None:
  env = {**os.environ, "PM_DATABASE_URI": database_uri, "PM_MODE": "development"}
  command = [str(Path(sys.executable).with_name("prodmanager")), *args]
  done = subprocess.run(command, env=env, capture_output=True, text=True)
  if done.returncode:
    raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def batched(rows, size=BATCH):
  batch = []
  for row in rows:
    batch.append(row)
    if len(batch) == size:
      yield batch
      batch = []
  if batch:
    yield batch


def diff(changes: dict) -> str:
  return json.dumps(changes, sort_keys=True)


def generate(database_uri: str, size: str, seed: int = 11) -> str:
  if SIZES[size] is None:
    prodmanager(["demo"], database_uri)
    return "small: the demo data"
  prodmanager(["migrate"], database_uri)
  # The application's models, loaded as the application loads them (every first-party plugin).
  from prodmanager import make_config
  from prodmanager.db import get_engine
  from prodmanager_incident.models import Incident, IncidentEvent
  from prodmanager_maintenance.models import Maintenance, MaintenanceEvent
  from prodmanager_monitor.models import Monitor, MonitorStatusChange
  from prodmanager_scope.models import Scope
  from prodmanager_service.models import Service

  make_config({"prodmanager.database_uri": database_uri}, environ={})
  spec = SIZES[size]
  engine = get_engine(database_uri)
  with engine.connect() as connection:
    done = connection.scalar(select(func.count()).select_from(Scope.__table__))
  if done:
    engine.dispose()  # a connection left open keeps PostgreSQL from copying the database
    return f"{size}: already generated" + roll_up(database_uri)
  started = time.monotonic()
  rng = random.Random(seed)
  now = dt.datetime.now(dt.UTC).replace(microsecond=0)
  span = dt.timedelta(days=730).total_seconds()
  n_scopes, n_services = spec["scopes"], spec["services"]
  pairs = [(scope, service) for scope in range(1, n_scopes + 1) for service in range(1, n_services + 1)]

  def past(seconds_ago_max=span):
    return now - dt.timedelta(seconds=rng.uniform(3600, seconds_ago_max))

  with engine.begin() as connection:
    connection.execute(
      insert(Scope.__table__),
      [
        {"id": i, "name": f"Region {i:03d}", "description": f"Data centre {i}"}
        for i in range(1, n_scopes + 1)
      ],
    )
    connection.execute(
      insert(Service.__table__),
      [{"id": i, "name": f"Service {i:03d}", "description": ""} for i in range(1, n_services + 1)],
    )
    monitors = []
    for number, (scope, service) in enumerate(pairs, start=1):
      status = rng.choices(["ok", "warning", "alert"], weights=[96, 3, 1])[0]
      monitors.append(
        {
          "id": number,
          "scope_id": scope,
          "service_id": service,
          "name": f"probe-{scope:03d}-{service:03d}",
          "description": "",
          "status": status,
          "integration": None,
          "external_reference": None,
          "external_link": None,
        }
      )
    for batch in batched(monitors):
      connection.execute(insert(Monitor.__table__), batch)

    def status_changes():
      # Ten changes per monitor, oldest first, ending on its current status.
      for monitor in monitors:
        times = sorted(past() for _ in range(10))
        statuses = [rng.choice(["ok", "warning", "alert"]) for _ in range(9)] + [monitor["status"]]
        old = None
        for at, new in zip(times, statuses, strict=True):
          yield {"monitor_id": monitor["id"], "old_status": old, "new_status": new, "changed_at": at}
          old = new

    for batch in batched(status_changes()):
      connection.execute(insert(MonitorStatusChange.__table__), batch)

    severities = ["critical", "high", "moderate", "low", "minor"]

    def incidents():
      for number in range(1, spec["incidents"] + 1):
        scope, service = rng.choice(pairs)
        start = past()
        ongoing = number > spec["incidents"] - ONGOING_INCIDENTS
        if ongoing:
          start = now - dt.timedelta(minutes=rng.uniform(10, 600))
        investigation = start + dt.timedelta(minutes=rng.uniform(1, 30))
        stable = investigation + dt.timedelta(minutes=rng.uniform(5, 120))
        resolve = stable + dt.timedelta(minutes=rng.uniform(5, 240))
        status = rng.choice(["active", "investigating", "stable"]) if ongoing else "resolved"
        yield {
          "id": number,
          "scope_id": scope,
          "service_id": service,
          "name": f"Incident {number}: service {service} degraded in region {scope}",
          "description": "Requests time out for part of the customers.\n\n*Mitigation in progress.*",
          "external_reference": f"INC{number:07d}",
          "external_link": None,
          "severity": rng.choice(severities),
          "status": status,
          "creation_date": start,
          "start_impact_date": start,
          "investigation_date": investigation if status != "active" else None,
          "stable_date": stable if status in ("stable", "resolved") else None,
          "resolve_date": resolve if status == "resolved" else None,
        }

    incident_rows = []
    for batch in batched(incidents()):
      connection.execute(insert(Incident.__table__), batch)
      incident_rows.extend((row["id"], row["creation_date"], row["status"], row["severity"]) for row in batch)

    def incident_events():
      for parent, created, status, severity in incident_rows:
        yield {
          "parent_id": parent,
          "creation_date": created,
          "type": "create",
          "content": diff({"severity": [None, severity], "status": [None, "active"]}),
          "internal": True,
          "author": "bench",
          "old_status": None,
          "new_status": "active",
        }
        at = created
        for index in range(1, spec["events"]):
          at += dt.timedelta(minutes=rng.uniform(1, 20))
          last = index == spec["events"] - 1
          if last and status != "active":
            content, old, new, kind = diff({"status": ["active", status]}), "active", status, "update"
          else:
            content, old, new, kind = f"Update {index}: still looking into it.", None, None, "comment"
          yield {
            "parent_id": parent,
            "creation_date": at,
            "type": kind,
            "content": content,
            "internal": kind == "update" or index % 3 == 0,
            "author": "bench",
            "old_status": old,
            "new_status": new,
          }

    for batch in batched(incident_events()):
      connection.execute(insert(IncidentEvent.__table__), batch)

    def maintenances():
      total = spec["maintenances"]
      for number in range(1, total + 1):
        scope, service = rng.choice(pairs)
        if number > total - UPCOMING_MAINTENANCES:
          start, status = now + dt.timedelta(hours=rng.uniform(2, 24 * 30)), "scheduled"
        elif number > total - UPCOMING_MAINTENANCES - IN_PROGRESS_MAINTENANCES:
          start, status = now - dt.timedelta(minutes=rng.uniform(5, 60)), "in-progress"
        else:
          start, status = past(), rng.choices(["succeed", "failed", "canceled"], weights=[90, 5, 5])[0]
        end = start + dt.timedelta(hours=rng.uniform(1, 6))
        yield {
          "id": number,
          "scope_id": scope,
          "service_id": service,
          "name": f"Maintenance {number}: upgrade of service {service} in region {scope}",
          "description": "Rolling upgrade; short interruptions are expected.",
          "external_reference": f"CHG{number:07d}",
          "external_link": None,
          "status": status,
          "service_status": rng.choice(["up", "degraded", "down"]),
          "creation_date": start - dt.timedelta(days=7),
          "scheduled_start_date": start,
          "scheduled_end_date": end,
          "start_date": start if status != "scheduled" else None,
          "end_date": end if status in ("succeed", "failed") else None,
        }

    maintenance_rows = []
    for batch in batched(maintenances()):
      connection.execute(insert(Maintenance.__table__), batch)
      maintenance_rows.extend(
        (
          row["id"],
          row["creation_date"],
          row["status"],
          row["scheduled_start_date"],
          row["scheduled_end_date"],
        )
        for row in batch
      )

    def maintenance_event(parent, at, kind, content, old=None, new=None):
      return {
        "parent_id": parent,
        "creation_date": at,
        "type": kind,
        "content": content,
        "internal": True,
        "author": "bench",
        "old_status": old,
        "new_status": new,
      }

    def maintenance_events():
      # The creation, then the status changes the services record (internal update events, whose
      # status columns the feeds and the Statuspage payloads publish).
      for parent, created, status, start, end in maintenance_rows:
        yield maintenance_event(
          parent, created, "create", diff({"status": [None, "scheduled"]}), None, "scheduled"
        )
        if status == "canceled":
          yield maintenance_event(
            parent,
            start - dt.timedelta(days=1),
            "update",
            diff({"status": ["scheduled", status]}),
            "scheduled",
            status,
          )
        elif status != "scheduled":
          change = {"start_date": [None, start.isoformat()], "status": ["scheduled", "in-progress"]}
          yield maintenance_event(parent, start, "update", diff(change), "scheduled", "in-progress")
          if status != "in-progress":
            change = {"end_date": [None, end.isoformat()], "status": ["in-progress", status]}
            yield maintenance_event(parent, end, "update", diff(change), "in-progress", status)

    for batch in batched(maintenance_events()):
      connection.execute(insert(MaintenanceEvent.__table__), batch)
  if engine.dialect.name == "postgresql":
    # Explicit ids were inserted: move the sequences past them, and give the planner statistics.
    with engine.begin() as connection:
      for table in ("scope", "service", "monitor", "incident", "maintenance"):
        connection.exec_driver_sql(
          f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    # VACUUM too: the visibility map lets counts and ordered lists read indexes only.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
      connection.exec_driver_sql("VACUUM ANALYZE")
  else:
    with engine.connect() as connection:
      connection.exec_driver_sql("ANALYZE")
  engine.dispose()
  return f"{size}: generated in {time.monotonic() - started:.1f} s" + roll_up(database_uri)


def roll_up(database_uri: str) -> str:
  """The jobs run once (``prodmanager worker --once``) when the availability roll-ups are missing: an
  instance that has been running has them, and the server's first roll-up of 10,000 monitors would
  otherwise write during the measurement (each batch a new content version)."""
  from sqlalchemy import inspect, text

  from prodmanager.db import get_engine

  engine = get_engine(database_uri)
  try:
    with engine.connect() as connection:
      if "availability_day" not in inspect(connection).get_table_names():
        return ""
      if connection.scalar(text("SELECT count(*) FROM availability_day")):
        return ""
  finally:
    engine.dispose()
  started = time.monotonic()
  prodmanager(["worker", "--once"], database_uri)
  return f"; roll-ups computed in {time.monotonic() - started:.1f} s"


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--size", choices=SIZES, default="medium")
  parser.add_argument("--database-uri", required=True)
  args = parser.parse_args(argv)
  print(generate(args.database_uri, args.size))
  return 0


if __name__ == "__main__":
  sys.exit(main())
