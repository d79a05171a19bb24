"""The documentation's example plugin is installed by `make test` but enabled only in its own tests
(tests/example_plugin/tests/conftest.py): the application of every other test must not have it."""

from prodmanager.state import app_state


def test_the_example_plugin_is_not_enabled_outside_its_own_tests(registry, webapp):
  assert "example" not in [plugin.id for plugin in app_state(registry).plugins]
  assert "runbook" not in app_state(registry).resource_types
  assert webapp.get("/api/runbook", status=404).json["reasons"]
  assert "/api/runbook" not in webapp.get("/api/openapi.json").json["paths"]
