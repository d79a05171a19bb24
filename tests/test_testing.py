"""prodmanager.testing, the pytest plugin the core and every plugin's tests run on."""

import datetime as dt

import pytest
from sqlalchemy import select

from prodmanager import plugins as plugin_loader
from prodmanager.plugins import Plugin
from prodmanager.state import app_state
from prodmanager.testing import _backends, event_diff, make_app, make_client, pinned_plugins

pytest_plugins = ["pytester"]


class FakeConfig:
  def __init__(self, pinned):
    self.pinned = pinned

  def getini(self, name):
    assert name == "prodmanager_plugins"
    return self.pinned


@pytest.fixture
def third_party_installed(monkeypatch):
  """An installed third-party plugin, enabled by default."""
  real = plugin_loader.installed_plugins
  plugin = Plugin("runbook", object(), requires=["service"])
  monkeypatch.setattr(plugin_loader, "installed_plugins", lambda: {**real(), "runbook": plugin})


def test_the_core_suite_pins_its_plugins(pytestconfig, third_party_installed):
  assert pinned_plugins(pytestconfig) == [
    "announcement",
    "incident",
    "maintenance",
    "monitor",
    "scope",
    "service",
    "statuspage",
  ]


def test_without_a_pin_every_plugin_enabled_by_default(third_party_installed):
  found = pinned_plugins(FakeConfig([]))
  assert "runbook" in found
  assert "example" not in found  # opt-in


def test_the_test_application_has_the_pinned_plugins(registry, enabled_plugins):
  assert sorted(plugin.id for plugin in app_state(registry).plugins) == enabled_plugins


def test_the_machine_environment_never_reaches_make_app(app_settings, monkeypatch):
  # A machine configured for another language and a bad time zone: make_app reads an empty environ.
  monkeypatch.setenv("PM_LANG", "fr")
  monkeypatch.setenv("PM_TIMEZONE", "Mars/Base")
  app = make_app(["scope"], app_settings)
  try:
    assert app.registry.settings["prodmanager.lang"] == "en"
    assert [plugin.id for plugin in app_state(app.registry).plugins] == ["scope"]
  finally:
    app_state(app.registry).db_engine.dispose()


def test_make_app_takes_an_environment_of_its_own(app_settings):
  app = make_app(["scope"], app_settings, environ={"PM_LANG": "fr"})
  try:
    assert app.registry.settings["prodmanager.lang"] == "fr"
  finally:
    app_state(app.registry).db_engine.dispose()


def test_the_shared_session_factory_is_never_rebound(registry, webapp, token_headers, dbsession):
  from prodmanager_scope.models import Scope

  factory = app_state(registry).db_session_factory
  assert factory.kw["bind"] is app_state(registry).db_engine
  webapp.post_json("/api/scope", {"name": "Seen by the test"}, headers=token_headers)
  # The request worked on the test's connection: its row is visible here, and rolled back afterwards.
  assert dbsession.scalar(select(Scope.name)) == "Seen by the test"
  assert factory.kw["bind"] is app_state(registry).db_engine


def test_a_client_of_its_own_works_on_the_test_connection(wsgi_app, dbsession):
  from prodmanager_scope.models import Scope

  dbsession.add(Scope(name="Not committed", description=""))
  dbsession.flush()
  assert [item["name"] for item in make_client(wsgi_app).get("/api/scope").json["items"]] == ["Not committed"]


def test_one_backend_tests_are_collected_once(pytester):
  pytester.makeconftest(
    """
import pytest

@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_uri(request):
  return request.param
"""
  )
  pytester.makepyfile(
    """
import pytest

def test_data(database_uri):
  pass

@pytest.mark.one_backend
def test_document(database_uri):
  pass
"""
  )
  first = _backends()[0]  # the one they run on (sqlite unless PM_TEST_BACKENDS says otherwise)
  other = "postgresql" if first == "sqlite" else "sqlite"
  result = pytester.runpytest_inprocess("--collect-only", "-q", "-p", "no:xdist")
  collected = {line.partition("::")[2] for line in result.stdout.lines if "::" in line}
  assert collected == {"test_data[sqlite]", "test_data[postgresql]", f"test_document[{first}]"}
  assert f"test_document[{other}]" not in collected


# -- the factories of the timelines ------------------------------------------------------------------


def test_event_diff_is_the_timelines_encoding():
  assert event_diff(status=(None, "active"), name=[None, "Outage"]) == (
    '{"name": [null, "Outage"], "status": [null, "active"]}'
  )


@pytest.mark.parametrize(
  ("kind", "first", "then", "extra"),
  [
    ("incident", "active", "stable", {"severity": (None, "high")}),
    ("maintenance", "scheduled", "in-progress", {}),
  ],
)
def test_timeline_factories_write_the_create_event_then_the_events_a_minute_apart(
  make, kind, first, then, extra
):
  """``created=True`` writes the create event the timeline writes, then ``events`` follow a minute
  apart, with the typed status columns; without either, a row has no event."""
  from prodmanager_incident.models import IncidentEvent
  from prodmanager_maintenance.models import MaintenanceEvent

  model = {"incident": IncidentEvent, "maintenance": MaintenanceEvent}[kind]
  update = event_diff(status=(first, then))
  row = getattr(make, kind)(
    name="Works",
    status=then,
    created=True,
    events=[("comment", "public", False), ("update", update, True)],
  )
  events = make.table(model)
  assert [(e.parent_id, e.type.value, e.content, e.internal, e.old_status, e.new_status) for e in events] == [
    (
      row.id,
      "create",
      event_diff(name=(None, "Works"), status=(None, then), **extra),
      True,
      None,
      then,
    ),
    (row.id, "comment", "public", False, None, None),
    (row.id, "update", update, True, first, then),
  ]
  minute = dt.timedelta(minutes=1)
  assert [event.creation_date for event in events] == [row.creation_date + n * minute for n in range(3)]
  getattr(make, kind)(name="Quiet")
  assert len(make.table(model)) == 3
