"""A web process does not load what only the worker thread or a rare render needs (issue 11: the
RSS of a web process): the integrations' client libraries are imported by the functions of a run,
feedgen and icalendar by the first feed or calendar rendered, redis only when PM_REDIS_URI is set
(docs/performance.md, "Memory")."""

import json
import subprocess
import sys

# Imported by checks (prepare, check, check_all), feeds and calendars only.
LAZY_MODULES = ("datadog_api_client", "dns.resolver", "httpx", "feedgen", "icalendar", "redis")

BUILD_AND_READ = """
import json, sys
from webtest import TestApp
from prodmanager import make_wsgi_app

settings, paths, lazy = (json.loads(argument) for argument in sys.argv[1:])
app = TestApp(make_wsgi_app(settings, environ={}))
statuses = [app.get(path).status_int for path in paths]
print(json.dumps({"statuses": statuses, "loaded": [name for name in lazy if name in sys.modules]}))
"""


def build_in_fresh_process(settings: dict, paths: list[str]) -> dict:
  """The statuses of ``paths`` read from a new application, and the LAZY_MODULES then loaded."""
  arguments = [json.dumps(value) for value in (settings, paths, LAZY_MODULES)]
  completed = subprocess.run(
    [sys.executable, "-c", BUILD_AND_READ, *arguments],
    capture_output=True,
    text=True,
    timeout=300,
    check=False,
  )
  assert completed.returncode == 0, completed.stderr
  return json.loads(completed.stdout.strip().splitlines()[-1])


def test_building_the_app_and_reading_pages_loads_no_client_library(app_settings):
  # Every installed plugin (the four pull integrations included): their settings are declared and
  # validated at startup without their client libraries.
  settings = {**app_settings, "prodmanager.plugins": "*"}
  result = build_in_fresh_process(settings, ["/", "/incident", "/maintenance", "/api/incident", "/health"])
  assert result["statuses"] == [200] * 5
  assert result["loaded"] == []


def test_a_feed_loads_feedgen_and_a_calendar_icalendar(app_settings):
  settings = {**app_settings, "prodmanager.plugins": "*"}
  result = build_in_fresh_process(settings, ["/history.atom", "/maintenance.ics"])
  assert result["statuses"] == [200, 200]
  assert sorted(result["loaded"]) == ["feedgen", "icalendar"]
