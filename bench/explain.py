"""Query plans of every public page on PostgreSQL: the SQL each page runs, and its ``EXPLAIN``.

  python bench/explain.py --size large            # after bench/generate.py (or make bench) made the data
  python bench/explain.py --size large --analyze  # runs them too: the time of each, the sum per page

Each URL is rendered in process (cache off) while the statements it sends are recorded; each
statement is then explained with its parameters. The report names, per page, the statements whose
plan reads a whole table of incidents, events, maintenances or monitor status history (a
``Seq Scan`` on them) — there should be none — and writes every plan to
``bench/results/explain-<size>.md`` (``explain-<size>-analyze.md`` with ``--analyze``).
"""

import argparse
import os
import re
import sys
from pathlib import Path

from sqlalchemy import event

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import URLS, database_uri  # noqa: E402 - bench/ is a folder of scripts, not a package

WATCHED = ("incident", "incident_event", "maintenance", "maintenance_event", "monitor_status_change")
# Every page, list endpoint, feed and Statuspage endpoint, besides bench/run.py's URLs; the lists
# also filtered as their links filter them (the dashboard's "past" links, a scope's lists).
EXTRA_URLS = [
  "/incident?status=resolved",
  "/incident?scope={scope}",
  "/incident?page=50",
  "/maintenance?status=succeed&status=failed&status=canceled",
  "/maintenance/{maintenance}",
  "/service/1",
  "/scope",
  "/service",
  "/monitor",
  "/monitor/{monitor}",
  "/announcement",
  "/history.rss",
  "/history.atom?scope={scope}",
  "/maintenance.ics",
  "/badge.json",
  "/scope/{scope}/badge.svg",
  "/api/incident?per_page=50&scope={scope}",
  "/api/incident?per_page=50&status=resolved",
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
  "/api/v2/status.json",
  "/api/v2/components.json",
  "/api/v2/incidents.json",
  "/api/v2/incidents/unresolved.json",
  "/api/v2/scheduled-maintenances.json",
  "/api/v2/scheduled-maintenances/upcoming.json",
  "/api/v2/scheduled-maintenances/active.json",
]


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--size", default="large")
  parser.add_argument(
    "--analyze", action="store_true", help="EXPLAIN ANALYZE: run each statement and report its time"
  )
  args = parser.parse_args(argv)
  uri = database_uri("postgresql", args.size)
  os.environ.setdefault("PM_MODE", "development")
  from webtest import TestApp

  from prodmanager import make_wsgi_app
  from prodmanager.state import app_state

  app = make_wsgi_app(
    {
      "prodmanager.database_uri": uri,
      "prodmanager.cache_max_age": "0",
      "prodmanager.response_validation": "false",
    },
    environ={},
  )
  engine = app_state(app.registry).db_engine
  recorded: list[tuple[str, object]] = []

  def record(conn, cursor, statement, parameters, context, executemany):
    if statement.lstrip().upper().startswith(("SELECT", "WITH")):
      recorded.append((statement, parameters))

  event.listen(engine, "before_cursor_execute", record)
  client = TestApp(app)
  incident = client.get("/api/incident?per_page=1").json["items"][0]["id"]
  maintenance = client.get("/api/maintenance?per_page=1").json["items"][0]["id"]
  monitor = client.get("/api/monitor?per_page=1").json["items"][0]["id"]
  ids = {"incident": incident, "scope": 1, "maintenance": maintenance, "monitor": monitor}
  lines = [f"# Query plans, PostgreSQL, {args.size} data{' (EXPLAIN ANALYZE)' if args.analyze else ''}", ""]
  bad_total = 0
  for template in URLS + EXTRA_URLS:
    if template == "/health":
      continue
    path = template.format(**ids)
    recorded.clear()
    status = client.get(path, expect_errors=True).status_int
    statements = list(recorded)
    lines += [f"## `{template}` ({status}, {len(statements)} statements)", ""]
    bad, elapsed = [], 0.0
    with engine.connect() as connection:
      raw = connection.connection.dbapi_connection
      for number, (statement, parameters) in enumerate(statements, start=1):
        with raw.cursor() as cursor:
          cursor.execute(("EXPLAIN ANALYZE " if args.analyze else "EXPLAIN ") + statement, parameters)
          plan = "\n".join(row[0] for row in cursor.fetchall())
        timing = re.search(r"Execution Time: ([\d.]+) ms", plan)
        elapsed += float(timing.group(1)) if timing else 0.0
        scans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)) & set(WATCHED))
        if scans:
          bad.append((number, scans))
        first_line = " ".join(statement.split())[:160]
        lines += [f"{number}. `{first_line}…`", "", "```text", plan, "```", ""]
      raw.rollback()
    summary = "no sequential scan on the large tables" if not bad else f"SEQUENTIAL SCANS: {bad}"
    if args.analyze:
      summary += f"; {elapsed:.1f} ms of execution in all"
    bad_total += len(bad)
    print(f"{template:45} {status} {len(statements):3} statements  {summary}", flush=True)
    lines.insert(lines.index(f"## `{template}` ({status}, {len(statements)} statements)") + 2, summary + "\n")
  output = HERE / "results" / f"explain-{args.size}{'-analyze' if args.analyze else ''}.md"
  output.parent.mkdir(exist_ok=True)
  output.write_text("\n".join(lines))
  print(f"written to {output}")
  return 1 if bad_total else 0


if __name__ == "__main__":
  sys.exit(main())
