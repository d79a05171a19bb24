"""Every failure answers through the application's error handling, wherever it happens in the
request: JSON on /api, the error page elsewhere, 503 with Retry-After while the database cannot be
reached, the security headers always, and never the WSGI server's plain-text 500."""

import pytest
from sqlalchemy import create_engine
from webtest import TestApp

from prodmanager.db import engine_url, request_connection
from prodmanager.testing import free_port
from prodmanager.views.errors import failsafe_app


@pytest.fixture
def stop_database(database_uri, connection):
  """``stop_database()``: from then on the application's sessions are on a database that cannot be
  reached (as during a restart)."""
  if database_uri.startswith("sqlite"):
    engine = create_engine("sqlite:////nonexistent-folder-of-prodmanager-tests/db.sqlite")
  else:
    url = engine_url(database_uri).set(port=free_port())  # nothing listens there
    engine = create_engine(url, connect_args={"connect_timeout": 3})
  reset = []
  # What the application's sessions work on (prodmanager.db.request_connection), for the rest of the test.
  yield lambda: reset.append(request_connection.set(engine))
  if reset:
    request_connection.reset(reset[0])
  engine.dispose()


@pytest.fixture
def database_down(stop_database):
  stop_database()


def assert_security_headers(response):
  assert response.headers["X-Content-Type-Options"] == "nosniff"
  assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def assert_unavailable_json(response):
  assert response.status_int == 503
  assert response.headers["Retry-After"] == "5"
  assert response.json["reasons"] == {
    "database": ["the database cannot be reached at the moment; try again shortly"]
  }
  assert "did not match" not in response.text and "Error" not in response.text
  assert_security_headers(response)


def test_token_request_while_the_database_is_down(webapp, make_token, stop_database):
  # The token's record is read by the identity, which pyramid_tm asks for outside the error views.
  headers = make_token(["scope_api"])
  stop_database()
  assert_unavailable_json(webapp.get("/api/scope", headers=headers, status=503))
  assert_unavailable_json(webapp.post_json("/api/scope", {"name": "x"}, headers=headers, status=503))


def test_anonymous_api_request_while_the_database_is_down(webapp, database_down):
  assert_unavailable_json(webapp.get("/api/scope", status=503))
  assert_unavailable_json(webapp.get("/api/v2/summary.json", status=503))


def test_page_while_the_database_is_down(webapp, database_down):
  response = webapp.get("/scope", status=503)
  assert response.content_type == "text/html"
  assert response.headers["Retry-After"] == "5"
  assert "Service unavailable" in response.text and '<html lang="en">' in response.text
  assert_security_headers(response)


def test_unexpected_api_error_says_so_and_leaks_nothing(webapp, monkeypatch):
  from prodmanager.services import ResourceService

  def broken(*args, **kwargs):
    raise RuntimeError("secret internals: SELECT password FROM admins")

  monkeypatch.setattr(ResourceService, "list", broken)
  response = webapp.get("/api/scope", status=500)
  assert response.json == {
    "message": "Internal error",
    "reasons": {"server": ["an unexpected error happened; it was logged"]},
  }
  assert "secret internals" not in response.text
  assert_security_headers(response)


def test_a_failing_error_view_still_gets_an_answer(webapp, database_down, monkeypatch):
  from prodmanager.views import errors

  def broken_page(*args, **kwargs):
    raise RuntimeError("the error page cannot be rendered")

  monkeypatch.setattr(errors, "html_error", broken_page)
  response = webapp.get("/scope", status=500)
  assert response.content_type == "text/html" and "Server error" in response.text
  assert "cannot be rendered" not in response.text
  assert_security_headers(response)


class RaisingApp:
  """A WSGI application that fails before it answers (as a response callback may)."""

  registry = None

  def __call__(self, environ, start_response):
    raise RuntimeError("failed in a response callback")


@pytest.mark.parametrize(
  ("path", "content_type"), [("/api/scope", "application/json"), ("/scope", "text/html")]
)
def test_failures_outside_the_tweens_get_a_minimal_answer(path, content_type):
  client = TestApp(failsafe_app(RaisingApp()))
  response = client.get(path, status=500, extra_environ={"wsgi.url_scheme": "https"})
  assert response.content_type == content_type
  assert "response callback" not in response.text
  assert_security_headers(response)
  assert response.headers["Strict-Transport-Security"].startswith("max-age=")
