"""The example plugin's setting, declared with ``add_setting``: how many runbooks the dashboard
panel lists before its "N more" link. Its default, an INI override, the ``PM_EXAMPLE_PANEL_LIMIT``
variable that wins over the INI key, and bad values that stop startup naming where they come from."""

import pytest

from prodmanager.settings import ConfigurationError, settings_report
from prodmanager.state import app_state
from prodmanager.testing import make_app
from prodmanager_example import PANEL_LIMIT


@pytest.fixture
def six_runbooks(make):
  make.service(name="Compute")
  return [make.runbook(name=f"Runbook {number}") for number in range(1, 7)]


def panel(page) -> tuple[list[str], str | None]:
  """The runbook names the dashboard panel lists, and the text of its "N more" link."""
  section = page.html.select_one("section.panel-runbooks")
  more = section.select_one(".panel-more a")
  assert more is None or more["href"] == "/runbook"
  return [link.get_text(strip=True) for link in section.select("li a")], (
    None if more is None else more.get_text(strip=True)
  )


@pytest.fixture
def other_app(app_settings):
  """``other_app(settings, environ)``: the registry of an application of the test's plugins."""
  apps = []

  def build(settings=None, environ=None):
    app = make_app(None, {**app_settings, **(settings or {})}, environ)
    apps.append(app)
    return app.registry

  yield build
  for app in apps:
    app_state(app.registry).db_engine.dispose()


def test_the_default_lists_five_runbooks(webapp, registry, six_runbooks):
  assert registry.settings[PANEL_LIMIT] == 5
  names, more = panel(webapp.get("/"))
  assert names == [f"Runbook {number}" for number in range(1, 6)]
  assert more == "1 more"


def test_the_ini_key_overrides_the_default(build_app, six_runbooks):
  client = build_app(**{PANEL_LIMIT: "2"})
  names, more = panel(client.get("/"))
  assert names == ["Runbook 1", "Runbook 2"]
  assert more == "4 more"


def test_a_limit_above_the_number_of_runbooks_shows_them_all(build_app, six_runbooks):
  names, more = panel(build_app(**{PANEL_LIMIT: "100"}).get("/"))
  assert names == [f"Runbook {number}" for number in range(1, 7)]
  assert more is None


def test_the_variable_wins_over_the_ini_key(other_app):
  registry = other_app({PANEL_LIMIT: "2"}, {"PM_EXAMPLE_PANEL_LIMIT": " 3 "})
  assert registry.settings[PANEL_LIMIT] == 3
  assert f"{PANEL_LIMIT} (PM_EXAMPLE_PANEL_LIMIT) = 3 [environment]" in settings_report(
    registry, {"PM_EXAMPLE_PANEL_LIMIT": " 3 "}
  )


def test_the_settings_report_says_where_the_value_comes_from(other_app):
  registry = other_app({PANEL_LIMIT: "7"})
  assert f"{PANEL_LIMIT} (PM_EXAMPLE_PANEL_LIMIT) = 7 [INI]" in settings_report(registry, {})


@pytest.mark.parametrize(
  ("settings", "environ", "message"),
  [
    ({}, {"PM_EXAMPLE_PANEL_LIMIT": "many"}, "PM_EXAMPLE_PANEL_LIMIT='many': expected an integer"),
    (
      {},
      {"PM_EXAMPLE_PANEL_LIMIT": "0"},
      "PM_EXAMPLE_PANEL_LIMIT='0': expected a number of runbooks between 1 and 100",
    ),
    (
      {PANEL_LIMIT: "1000"},
      {},
      f"{PANEL_LIMIT}='1000': expected a number of runbooks between 1 and 100",
    ),
  ],
)
def test_a_bad_value_stops_startup_naming_where_it_comes_from(other_app, settings, environ, message):
  with pytest.raises(ConfigurationError) as raised:
    other_app(settings, environ)
  assert message in str(raised.value)
  assert str(raised.value).startswith("Invalid configuration:")


def test_a_bad_value_is_reported_with_the_cores(other_app):
  with pytest.raises(ConfigurationError) as raised:
    other_app({}, {"PM_LANG": "de", "PM_EXAMPLE_PANEL_LIMIT": "many"})
  lines = str(raised.value).splitlines()
  assert "  PM_LANG='de': expected one of en, fr" in lines
  assert "  PM_EXAMPLE_PANEL_LIMIT='many': expected an integer" in lines
