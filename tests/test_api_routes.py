"""API routes come from the composed OpenAPI document, whatever order the plugins are included in."""

import sys
import types

import pytest
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import IRoutesMapper

import prodmanager
from prodmanager import plugins as plugin_loader
from prodmanager.api import route_order
from prodmanager.plugins import Plugin
from prodmanager.state import app_state
from prodmanager.testing import make_app, make_client

# Routes do not depend on the database.
pytestmark = pytest.mark.one_backend


def test_literal_segments_sort_before_placeholders():
  paths = [
    "/api/scope/{id}",
    "/api/scope/{id}/update",
    "/api/scope/create",
    "/api/scope",
    "/api/scope/summary",
  ]
  assert sorted(paths, key=route_order) == [
    "/api/scope",
    "/api/scope/create",
    "/api/scope/summary",
    "/api/scope/{id}",
    "/api/scope/{id}/update",
  ]


def test_every_documented_path_has_a_route_in_that_order(registry):
  document = app_state(registry).openapi.document.document
  mapper = registry.queryUtility(IRoutesMapper)
  api_patterns = [route.pattern for route in mapper.get_routes() if route.name.startswith("api:")]
  assert sorted(api_patterns) == sorted(document["paths"])
  assert api_patterns == sorted(api_patterns, key=route_order)


@pytest.fixture
def with_fake_plugin(monkeypatch, app_settings):
  """Install an importable in-memory plugin whose ``includeme`` is given by the test."""
  real = plugin_loader.installed_plugins

  def install(includeme):
    module = types.ModuleType("prodmanager_fake")
    module.includeme = includeme
    module.plugin_info = {"id": "fake", "requires": ["scope"]}
    monkeypatch.setitem(sys.modules, "prodmanager_fake", module)
    plugin = Plugin("fake", module, requires=["scope"])
    monkeypatch.setattr(plugin_loader, "installed_plugins", lambda: {**real(), "fake": plugin})
    return {**app_settings, "prodmanager.plugins": app_settings["prodmanager.plugins"] + " fake"}

  return install


def test_a_view_on_an_undocumented_path_stops_startup(with_fake_plugin):
  def includeme(config):
    config.add_api_view(lambda context, request: {}, "/api/scope/nowhere", "GET")

  settings = with_fake_plugin(includeme)
  with pytest.raises(ConfigurationError, match=r"GET /api/scope/nowhere is not in the OpenAPI document"):
    prodmanager.make_config(settings, environ={})


def test_a_literal_path_added_by_a_later_plugin_wins_over_a_placeholder(with_fake_plugin):
  def summary(context, request):
    return {"scopes": "all"}

  def includeme(config):
    config.add_openapi_fragment(
      {
        "paths": {
          "/api/scope/summary": {
            "get": {
              "operationId": "scope_summary",
              "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
              },
            }
          }
        },
      }
    )
    config.add_api_view(summary, "/api/scope/summary", "GET")

  app = make_app(settings=with_fake_plugin(includeme))
  try:
    assert make_client(app).get("/api/scope/summary").json == {"scopes": "all"}
  finally:
    app_state(app.registry).db_engine.dispose()
