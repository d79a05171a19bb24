"""`prodmanager serve` in standalone mode runs the worker in a thread: the demo's health monitor is
checked by the http integration without any other process (what `make run` shows)."""

import json
import re
import time
import urllib.request

import pytest

from prodmanager.testing import TEST_SECRET, running_server

pytestmark = pytest.mark.slow

# Generous: the first run starts with the worker, but the machine running the tests may be slow.
DEADLINE_SECONDS = 120


def test_the_standalone_server_runs_the_http_integration_on_the_demo_monitor(tmp_path, enabled_plugins):
  env = {
    "PM_INSTANCE_PATH": str(tmp_path / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_DEMO": "true",
    "PM_STANDALONE": "true",
    "PM_PLUGINS": " ".join(sorted({*enabled_plugins, "http"})),
  }
  seen = re.compile(r'prodmanager_integration_last_run_monitors\{integration="http",result="seen"\} (\S+)')
  # Present once the run completed.
  ended = 'prodmanager_integration_last_run_duration_seconds{integration="http"}'
  with running_server(tmp_path, env) as url:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
      with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
      match = seen.search(text) if ended in text else None
      if match or time.monotonic() > deadline:
        break
      time.sleep(0.5)
    assert match, "no completed run of the http integration was recorded"
    assert float(match.group(1)) == 1.0  # the demo's "ProdManager health" monitor
    # It checks this server, whatever its port (its link was left at 8080, so the first run turned it
    # to alert), and finds it up.
    with urllib.request.urlopen(f"{url}/api/monitor?integration=http", timeout=10) as response:
      (health,) = json.loads(response.read())["items"]
    assert health["external_link"] == f"{url}/health"
    assert health["status"] == "ok"
    changed = 'prodmanager_integration_last_run_monitors{integration="http",result="changed"} 0.0'
    assert changed in text
    with urllib.request.urlopen(f"{url}/monitor?q=ProdManager+health", timeout=10) as response:
      assert "ProdManager health" in response.read().decode()
