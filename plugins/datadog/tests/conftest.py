"""A local server speaking the Datadog monitor API for the datadog integration's tests, and the
application with the datadog plugin enabled, its official client pointed at that server.

The server answers what ``datadog-api-client`` asks: ``GET /api/v1/monitor/{id}`` and
``GET /api/v1/monitor?page=N&page_size=M`` (monitors by id, ``page`` counted from 0), after
checking the ``DD-API-KEY`` and ``DD-APPLICATION-KEY`` headers (403 ``{"errors": ["Forbidden"]}``
otherwise, as Datadog answers). ``server.mode`` makes it fail: ``"error"`` (500) or ``"slow"``.
As a proxy it answers plain-HTTP requests (their absolute URL) and refuses ``CONNECT`` tunnels.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from prodmanager.state import app_state
from prodmanager.testing import make_app, make_client

API_KEY = "0123456789abcdef0123456789abcdef"
APPLICATION_KEY = "0123456789abcdef0123456789abcdef01234567"
# The client's timeout in these tests, and how long the "slow" server takes past it. A busy test
# machine (the whole suite on two cores) was seen taking more than 1 s to answer a normal request.
TIMEOUT_SECONDS = 3
SLOW_SECONDS = TIMEOUT_SECONDS + 3
# Datadog monitor id -> overall state. "Warning" is not in Datadog's documented list (Warn is);
# the integration takes it too.
STATES = {
  1001: "OK",
  1002: "Warn",
  1003: "Alert",
  1004: "No Data",
  1005: "Unknown",
  1006: "Skipped",
  1007: "Ignored",
  1008: "Warning",
  # An account with more monitors than the tests watch, for the paged listing.
  **{ident: ("Alert" if ident % 7 == 0 else "OK") for ident in range(2000, 2035)},
}


def monitor_json(ident: int, state: str) -> dict:
  """A monitor as the API returns it (the fields the client's Monitor model knows)."""
  return {
    "id": ident,
    "name": f"Datadog monitor {ident}",
    "type": "metric alert",
    "query": f"avg(last_5m):avg:system.cpu.user{{monitor:{ident}}} > 90",
    "message": "CPU high @slack-ops",
    "tags": ["team:ops"],
    "options": {"notify_no_data": False, "thresholds": {"critical": 90.0, "warning": 80.0}},
    "overall_state": state,
    "overall_state_modified": "2026-11-30T10:00:00+00:00",
    "created": "2026-01-05T09:00:00.000000+00:00",
    "modified": "2026-11-30T10:00:00.000000+00:00",
    "creator": {"email": "ops@example.com", "handle": "ops@example.com", "name": "Ops"},
    "multi": False,
    "org_id": 42,
    "priority": None,
    "restricted_roles": None,
    "deleted": None,
  }


class DatadogApi(BaseHTTPRequestHandler):
  protocol_version = "HTTP/1.1"

  def do_GET(self):  # noqa: N802 - http.server's name
    server = self.server
    url = urlsplit(self.path)  # a proxied request carries the absolute URL
    query = {key: values[-1] for key, values in parse_qs(url.query).items()}
    server.requests.append((url.netloc, url.path, query))
    if server.mode == "slow":
      time.sleep(SLOW_SECONDS)
    if server.mode == "error":
      return self.answer(500, {"errors": ["Internal Server Error"]})
    if self.headers.get("DD-API-KEY") != API_KEY or self.headers.get("DD-APPLICATION-KEY") != APPLICATION_KEY:
      return self.answer(403, {"errors": ["Forbidden"]})
    if url.path == "/api/v1/monitor":
      everything = [monitor_json(ident, state) for ident, state in sorted(server.states.items())]
      if "page" not in query:
        return self.answer(200, everything)
      size = int(query.get("page_size", 100))
      start = int(query["page"]) * size
      return self.answer(200, everything[start : start + size])
    prefix = "/api/v1/monitor/"
    if url.path.startswith(prefix) and url.path[len(prefix) :].isdigit():
      ident = int(url.path[len(prefix) :])
      if ident in server.states:
        return self.answer(200, monitor_json(ident, server.states[ident]))
      return self.answer(404, {"errors": ["Monitor not found"]})
    return self.answer(404, {"errors": ["Not found"]})

  def do_CONNECT(self):  # noqa: N802 - http.server's name
    # As a proxy, the server refuses tunnels (to the real Datadog): it only records the target.
    self.server.requests.append(("CONNECT", self.path, {}))
    self.send_response(403)
    self.send_header("Content-Length", "0")
    self.end_headers()

  def answer(self, status: int, payload):
    body = json.dumps(payload).encode()
    self.send_response(status)
    self.send_header("Content-Type", "application/json")
    self.send_header("Content-Length", str(len(body)))
    self.end_headers()
    self.wfile.write(body)

  def log_message(self, format, *args):  # noqa: A002 - quiet test output
    pass


class Server(ThreadingHTTPServer):
  daemon_threads = True

  def __init__(self, address, handler):
    super().__init__(address, handler)
    self.requests: list[tuple[str, str, dict]] = []
    self.states = dict(STATES)
    self.mode = "normal"


@pytest.fixture(scope="session")
def datadog_server():
  """The API on plain HTTP: ``datadog_server.url`` is its base URL (what ``DD_API_URL`` takes)."""
  server = Server(("127.0.0.1", 0), DatadogApi)
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  server.url = f"http://127.0.0.1:{server.server_address[1]}"
  yield server
  server.shutdown()
  server.server_close()
  thread.join(5)


@pytest.fixture
def datadog_api(datadog_server):
  """The server, answering normally, with its request log emptied; restored after the test."""
  datadog_server.requests.clear()
  yield datadog_server
  datadog_server.mode = "normal"
  datadog_server.states = dict(STATES)


@pytest.fixture(scope="session")
def datadog_settings(datadog_server) -> dict:
  """The INI settings pointing the integration at the local API, with the keys it accepts."""
  return {
    "datadog.api_key": API_KEY,
    "datadog.application_key": APPLICATION_KEY,
    "datadog.api_url": datadog_server.url,
    "datadog.site": "datadoghq.eu",
    "datadog.monitor_hostname": "app.datadoghq.eu",
    "datadog.timeout": str(TIMEOUT_SECONDS),
  }


@pytest.fixture(scope="module")
def datadog_app(app_settings, enabled_plugins, datadog_settings):
  """The test application with the datadog plugin enabled, its client pointed at the local API."""
  plugins = sorted({*enabled_plugins, "datadog"})
  app = make_app(plugins, {**app_settings, **datadog_settings})
  yield app
  app_state(app.registry).db_engine.dispose()


@pytest.fixture
def datadog_registry(datadog_app, connection):
  """The registry of :func:`datadog_app`; its sessions work on the test's connection."""
  return datadog_app.registry


@pytest.fixture
def datadog_client(datadog_app, connection):
  return make_client(datadog_app)
