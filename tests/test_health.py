"""Health probes: liveness, readiness (database) and version (no outbound check)."""

import prodmanager


def test_liveness(webapp):
  response = webapp.get("/health")
  assert response.status_int == 200
  assert response.content_type == "text/plain"
  assert response.text == "OK"


def test_liveness_ignores_tokens_and_sessions(webapp, operator):
  # Probes must answer whatever a proxy adds; /health is not under /api, so no token is read.
  assert webapp.get("/health", headers={"Authorization": "Bearer garbage"}).text == "OK"


def test_readiness_checks_the_database(webapp):
  response = webapp.get("/health/ready")
  assert response.status_int == 200
  assert response.content_type == "application/json"
  assert response.json == {"status": "ok", "checks": {"database": "ok"}}


def test_readiness_fails_when_the_database_fails(build_app, tmp_path, caplog):
  """A replica that cannot reach its database is not ready (503), whatever else answers."""
  app = build_app(database_uri=f"sqlite:///{tmp_path}/no/such/folder/prodmanager.sqlite")
  response = app.get("/health/ready", status=503)
  assert response.content_type == "application/json"
  assert response.json["status"] == "unavailable"
  assert response.json["checks"]["database"] == "unavailable"
  assert any("database check failed" in record.getMessage() for record in caplog.records)
  assert app.get("/health").text == "OK"  # liveness never touches the database


def test_version(webapp):
  response = webapp.get("/health/version")
  assert response.content_type == "application/json"
  assert response.json == {"current": prodmanager.__version__, "latest": None, "release_url": None}


def test_version_is_the_package_version():
  from importlib.metadata import version

  assert prodmanager.__version__ == version("prodmanager")


def test_probes_refuse_writes(webapp):
  for path in ("/health", "/health/ready", "/health/version"):
    assert webapp.post(path, status="*").status_int in (404, 405)


def test_readiness_checks_redis_when_configured(build_app):
  """With PM_REDIS_URI set, /health/ready reports Redis; a Redis that does not answer does not fail
  it, because every request is still served (docs/install.md)."""
  import socket

  from prodmanager.testing import REDIS_TEST_URI, _redis_unavailable, missing_service

  reason = _redis_unavailable()
  if reason:
    missing_service(f"REDIS UNAVAILABLE: {reason}")
  up = build_app(redis_uri=REDIS_TEST_URI)
  assert up.get("/health/ready").json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
  with socket.socket() as closed:
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
  down = build_app(redis_uri=f"redis://127.0.0.1:{port}/0")
  response = down.get("/health/ready", status=200)
  assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "unavailable"}}
