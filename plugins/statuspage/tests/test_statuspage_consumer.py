"""A real third-party Statuspage consumer reads a live server's /api/v2/summary.json.

The consumer is ``statuspage-prometheus-exporter`` (PyPI, maintained): it polls the public
``/api/v2/summary.json`` of Statuspage pages from their URL and turns the status indicator, the
components, the unresolved incidents and the maintenances into Prometheus metrics. Its
``check_status_page_service`` is the function its daemon calls for each configured page. The other
Python clients on PyPI (``atlassian-statuspage``, ``statuspageio`` and their forks) only speak the
authenticated management API (``api.statuspage.io/v1``), not a page's public JSON.

The server is a ``prodmanager serve`` subprocess on a fresh SQLite database, filled through the API.
"""

import importlib
import json

import pytest
import requests

from prodmanager.testing import TEST_SECRET

pytestmark = pytest.mark.slow

SERVER_PERMISSIONS = ["scope_api", "service_api", "monitor_api", "incident_api", "maintenance_api"]


@pytest.fixture
def consumer(tmp_path, monkeypatch):
  """The exporter's checker, configured for our page, writing its cache under ``tmp_path``."""
  folder = tmp_path / "consumer"
  folder.mkdir()
  monkeypatch.chdir(folder)  # the exporter keeps its cache in ./cache
  config = folder / "services.json"
  config.write_text(json.dumps({"prodmanager": {"url": "set by the test", "name": "ProdManager"}}))
  monkeypatch.setenv("SERVICES_JSON_PATH", str(config))  # read when the module is imported
  return importlib.import_module("statuspage_prometheus_exporter.service_checker")


def test_a_statuspage_consumer_reads_a_live_server(live_server, consumer):
  session = requests.Session()
  token = session.post(
    f"{live_server}/api/token/create",
    data={
      "secret": TEST_SECRET,
      "name": "consumer",
      "description": "statuspage consumer test",
      "permissions": SERVER_PERMISSIONS,
    },
    timeout=10,
  ).json()
  session.headers["Authorization"] = f"Bearer {token}"

  def create(type_name: str, **values) -> int:
    response = session.post(f"{live_server}/api/{type_name}", json=values, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["id"]

  scope, service = create("scope", name="Paris DC"), create("service", name="Compute")
  create("monitor", name="Web probe", scope=scope, service=service)
  create("monitor", name="API probe", scope=scope, service=service, status="alert")
  incident = create("incident", name="Login failures", severity="high", scope=scope, service=service)
  for comment, internal in (("We are on it", False), ("root cause: a leaked secret", True)):
    response = session.post(
      f"{live_server}/api/incident/{incident}/events",
      json={"comment": comment, "internal": internal},
      timeout=10,
    )
    assert response.status_code == 201
  create(
    "maintenance",
    name="Kernel upgrade",
    service_status="degraded",
    scope=scope,
    service=service,
    scheduled_start_date="2099-01-01T00:00",
    scheduled_end_date="2099-01-01T02:00",
  )

  url = f"{live_server}/api/v2/summary.json"
  result = consumer.check_status_page_service("prodmanager", {"url": url, "name": "ProdManager"})
  assert result["success"] is True, result
  assert (result["raw_status"], result["status"], result["status_text"]) == ("major", 0, "Major Outage")
  (found,) = result["incident_metadata"]
  assert found["id"] == f"incident-{incident}"
  assert (found["name"], found["status"], found["impact"]) == ("Login failures", "investigating", "major")
  assert found["shortlink"] == f"{live_server}/incident/{incident}"
  assert found["affected_components"] == ["Compute"]
  (maintenance,) = result["maintenance_metadata"]
  assert (maintenance["name"], maintenance["status"]) == ("Kernel upgrade", "scheduled")
  assert maintenance["scheduled_start"] == "2099-01-01T00:00:00.000Z"
  assert maintenance["scheduled_end"] == "2099-01-01T02:00:00.000Z"
  assert [(c["name"], c["status"], c["status_value"]) for c in result["component_metadata"]] == [
    ("Paris DC", "major_outage", 0),  # the group
    ("Compute", "major_outage", 0),  # one of two monitors alerts, and a high incident is ongoing
  ]

  # Read anonymously like any consumer: CORS, caching headers, and no internal comment.
  response = requests.get(f"{live_server}/api/v2/incidents.json", timeout=10)
  assert response.headers["Access-Control-Allow-Origin"] == "*"
  assert response.headers["Cache-Control"] == "public, max-age=30"
  assert "leaked" not in response.text
  assert [update["body"] for update in response.json()["incidents"][0]["incident_updates"]] == [
    "We are on it",
    "This incident has been reported.",
  ]
  again = requests.get(
    f"{live_server}/api/v2/incidents.json", headers={"If-None-Match": response.headers["ETag"]}, timeout=10
  )
  assert again.status_code == 304
