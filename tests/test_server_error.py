"""A real unexpected error answers 500 with nothing of the exception in the body, and is logged.

Until now no test produced a 500: an error view returning ``repr(exc)`` (SQL, connection strings,
file paths) would have gone unnoticed.
"""

import logging

import pytest

from prodmanager.state import app_state

SECRET = "SECRET-7f3a postgresql://admin:hunter2@db.internal/prod /srv/app/prodmanager/services.py"
LEAKS = ("SECRET-7f3a", "hunter2", "db.internal", "/srv/app", "RuntimeError", "Traceback", 'File "')


class Boom(RuntimeError):
  pass


def explode(*args, **kwargs):
  raise Boom(SECRET)


@pytest.fixture
def exploding_app(app_settings):
  """The application with two views that fail: ``/api/explode`` (JSON errors, outside the API
  document, so that no response validation stands between the error view and the client) and
  ``/explode`` (the error page)."""
  from webtest import TestApp

  from prodmanager import make_config

  config = make_config(app_settings)
  for name, path in (("explode-json", "/api/explode"), ("explode-html", "/explode")):
    config.add_route(name, path)
    config.add_view(explode, route_name=name, permission="view")
  config.commit()
  app = config.make_wsgi_app()
  yield TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
  app_state(app.registry).db_engine.dispose()


def test_500_of_any_view_leaks_nothing(exploding_app, caplog):
  with caplog.at_level(logging.ERROR):
    response = exploding_app.get("/api/explode", status=500)
  assert_nothing_leaks(response)
  assert set(response.json) == {"message", "reasons"}
  logged = [record for record in caplog.records if record.exc_info and record.exc_info[0] is Boom]
  assert logged and SECRET in str(logged[0].exc_info[1])
  page = exploding_app.get("/explode", status=500)
  assert_nothing_leaks(page)
  assert page.content_type == "text/html"


@pytest.fixture
def scope(webapp, token_headers):
  return webapp.post_json("/api/scope", {"name": "Exploding scope"}, headers=token_headers).json


def assert_nothing_leaks(response) -> None:
  assert response.status_int == 500
  for leak in LEAKS:
    assert leak not in response.text, f"{leak!r} in the 500 body"


@pytest.mark.parametrize("path", ["/api/scope/{id}", "/api/scope"])
def test_api_500_is_json_and_leaks_nothing(webapp, scope, monkeypatch, caplog, path):
  from prodmanager_scope.services import ScopeService

  monkeypatch.setattr(ScopeService, "serialize", explode)
  with caplog.at_level(logging.ERROR):
    response = webapp.get(path.format(id=scope["id"]), status=500)
  assert_nothing_leaks(response)
  assert response.content_type == "application/json"
  body = response.json
  assert set(body) == {"message", "reasons"}
  # The operator finds the exception in the log, with its traceback.
  logged = [record for record in caplog.records if record.exc_info and record.exc_info[0] is Boom]
  assert logged and SECRET in str(logged[0].exc_info[1])


def test_html_500_is_the_error_page_and_leaks_nothing(webapp, scope, monkeypatch):
  from prodmanager.groups import GroupPages

  monkeypatch.setattr(GroupPages, "detail_values", explode)
  response = webapp.get(f"/scope/{scope['id']}", status=500)
  assert_nothing_leaks(response)
  assert response.content_type == "text/html"
  assert response.html.select_one("h1#error-title") is not None
  assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_500_during_a_write_leaks_nothing_and_writes_nothing(webapp, token_headers, monkeypatch, dbsession):
  from sqlalchemy import func, select

  from prodmanager_scope.models import Scope
  from prodmanager_scope.services import ScopeService

  before = dbsession.scalar(select(func.count()).select_from(Scope))
  monkeypatch.setattr(ScopeService, "after_change", explode)
  response = webapp.post_json("/api/scope", {"name": "Never written"}, headers=token_headers, status=500)
  assert_nothing_leaks(response)
  assert dbsession.scalar(select(func.count()).select_from(Scope)) == before
