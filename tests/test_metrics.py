"""GET /metrics: Prometheus text format, read back with prometheus_client's own parser."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "scrape-token-0123"


@pytest.fixture
def fresh_app(build_app, connection):
  """A client of an application of its own (its own metrics), on the test's database session."""

  def build(**overrides):
    return build_app(**overrides)

  return build


def scrape(client, **kwargs) -> dict[str, dict[tuple, float]]:
  """``{sample name: {sorted label items: value}}`` of one scrape."""
  response = client.get("/metrics", **kwargs)
  samples: dict[str, dict[tuple, float]] = {}
  for family in text_string_to_metric_families(response.text):
    for sample in family.samples:
      samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
  return samples


def requests_total(samples, method: str, route: str, status: str) -> float:
  key = (("method", method), ("route", route), ("status", status))
  return samples.get("prodmanager_http_requests_total", {}).get(key, 0.0)


def test_metrics_is_prometheus_text(fresh_app):
  client = fresh_app()
  response = client.get("/metrics")
  assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
  assert response.headers["Cache-Control"] == "no-store"
  names = {family.name: family.type for family in text_string_to_metric_families(response.text)}
  assert names["prodmanager_http_requests"] == "counter"
  assert names["prodmanager_http_request_duration_seconds"] == "histogram"
  assert names["prodmanager_ratelimit_backend_errors"] == "counter"
  assert names["prodmanager_ratelimited_requests"] == "counter"
  # Only this application's registry: none of the library's global process collectors.
  assert not [name for name in names if name.startswith(("process_", "python_gc_"))]


def test_requests_are_counted_by_route_template_and_status(fresh_app, webapp, token_headers):
  scope = webapp.post_json("/api/scope", {"name": "Measured scope"}, headers=token_headers).json
  client = fresh_app()
  client.get(f"/api/scope/{scope['id']}")
  client.get(f"/api/scope/{scope['id']}")
  client.get("/api/scope/999999", status=404)
  client.get(f"/scope/{scope['id']}")  # an HTML page found by traversal
  client.get("/no/such/page/12345", status=404)
  client.post("/api/scope", {"name": "x"}, status=401)
  samples = scrape(client)
  assert requests_total(samples, "GET", "/api/scope/{id}", "200") == 2
  assert requests_total(samples, "GET", "/api/scope/{id}", "404") == 1
  assert requests_total(samples, "GET", "/scope/{id}", "200") == 1
  assert requests_total(samples, "GET", "(unmatched)", "404") == 1
  assert requests_total(samples, "POST", "/api/scope", "401") == 1
  routes = {dict(labels)["route"] for labels in samples["prodmanager_http_requests_total"]}
  assert not [route for route in routes if any(char.isdigit() for char in route)]  # never a raw id
  # The latency histogram saw the same requests.
  count = samples["prodmanager_http_request_duration_seconds_count"]
  assert count[(("method", "GET"), ("route", "/api/scope/{id}"))] == 3
  buckets = samples["prodmanager_http_request_duration_seconds_bucket"]
  assert buckets[(("le", "+Inf"), ("method", "GET"), ("route", "/api/scope/{id}"))] == 3


def test_each_application_has_its_own_registry(fresh_app):
  first, second = fresh_app(), fresh_app()
  for _ in range(3):
    first.get("/api/scope")
  assert requests_total(scrape(first), "GET", "/api/scope", "200") == 3
  assert requests_total(scrape(second), "GET", "/api/scope", "200") == 0


def test_rate_limited_requests_are_counted(fresh_app):
  client = fresh_app(api_ratelimit_enabled="true", api_ratelimit_default="1", login_ratelimit="1")
  client.get("/api/scope")
  client.get("/api/scope", status=429)
  client.get("/api/scope", status=429)
  csrf = client.get("/login").forms["login-form"]["csrf_token"].value
  client.post("/login", {"secret": "wrong", "csrf_token": csrf}, status=401)
  client.post("/login", {"secret": "wrong", "csrf_token": csrf}, status=429)
  samples = scrape(client)
  limited = samples["prodmanager_ratelimited_requests_total"]
  assert limited[(("limit", "api"),)] == 2
  assert limited[(("limit", "login"),)] == 1
  # Refused before routing, still labelled with the route they were meant for.
  assert requests_total(samples, "GET", "/api/scope", "429") == 2
  assert requests_total(samples, "POST", "/login", "429") == 1
  assert samples["prodmanager_ratelimit_backend_errors_total"][()] == 0


def test_metrics_token_protects_the_endpoint(fresh_app):
  client = fresh_app(metrics_token=METRICS_TOKEN)
  refused = client.get("/metrics", status=401)
  assert refused.headers["WWW-Authenticate"].startswith("Bearer")
  assert "prodmanager_" not in refused.text
  client.get("/metrics", headers={"Authorization": "Bearer wrong-token-000"}, status=401)
  client.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"}, status=401)
  samples = scrape(client, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
  assert requests_total(samples, "GET", "/metrics", "401") == 3
  # It is not an API token, and HTML pages still ignore the Authorization header.
  client.get("/api/scope", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, status=401)
  client.get("/about", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, status=200)


def test_metrics_are_open_without_a_token(fresh_app):
  client = fresh_app()
  assert (
    "prodmanager_http_requests_total" in client.get("/metrics", headers={"Authorization": "Bearer x"}).text
  )


def test_odd_methods_share_one_label(fresh_app):
  client = fresh_app()
  for number in range(40):
    client.request(f"/health?probe={number}", method=f"PROBE{number}", expect_errors=True)
    client.request(f"/api/scope/{number}", method=f"X-{number}", expect_errors=True)
  client.get("/health")
  samples = scrape(client)
  methods = {dict(labels)["method"] for labels in samples["prodmanager_http_requests_total"]}
  assert methods == {"GET", "other"}
  counted = sum(value for labels, value in samples["prodmanager_http_requests_total"].items())
  other = sum(
    value
    for labels, value in samples["prodmanager_http_requests_total"].items()
    if ("method", "other") in labels
  )
  assert other == 80 and counted == 81
  # Routes stay patterns: the 40 scope ids gave one route, the odd methods no new series.
  routes = {dict(labels)["route"] for labels in samples["prodmanager_http_requests_total"]}
  assert routes <= {"/health", "/api/scope/{id}", "(unmatched)"}
  assert len(samples["prodmanager_http_requests_total"]) <= 5


def test_production_without_a_metrics_token_warns_at_startup(build_app, caplog):
  caplog.set_level("WARNING", logger="prodmanager.metrics")
  build_app(mode="production")
  (warning,) = [record for record in caplog.records if "PM_METRICS_TOKEN" in record.getMessage()]
  assert "open to anyone" in warning.getMessage()
  caplog.clear()
  build_app(mode="production", metrics_token=METRICS_TOKEN)
  build_app(mode="development")
  assert not [record for record in caplog.records if "PM_METRICS_TOKEN" in record.getMessage()]
