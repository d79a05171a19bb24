"""Every directive is a deferred action with a discriminator and an introspectable: two plugins
claiming the same thing stop startup naming both files and lines, and so does a plugin claiming what
the core registered (docs/directives.md)."""

import datetime as dt
import logging
import re
import sys
import textwrap
from pathlib import Path

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError, ConfigurationExecutionError
from pyramid.exceptions import ConfigurationError as PyramidConfigurationError
from sqlalchemy import select

import prodmanager
from prodmanager.jobs import JobRunner
from prodmanager.resources import root_factory
from prodmanager.settings import ConfigurationError, check_settings, read_settings, settings_report
from prodmanager.state import app_state

# A resource type of the test's own, for the directives that extend one.
WIDGET_PLUGIN = """
from prodmanager.services import ResourceService


class WidgetService(ResourceService):
  type_name = "widget"


def includeme(config):
  config.add_resource_type("widget", WidgetService)
"""

# Each directive, called the same way by two plugins: the second call claims what the first did.
CLAIMS = {
  "add_resource_type": 'config.add_resource_type("widget", object)',
  "add_aggregate": 'config.add_aggregate("widget", "parts_count", lambda db, ids: {}, lambda: 0)',
  "add_dependent": 'config.add_dependent("widget", "parts", lambda db, ident: 0)',
  "add_navigation": 'config.add_navigation("parts", "nav.parts", "/parts")',
  "add_dashboard_panel": 'config.add_dashboard_panel("parts", lambda request, **kw: "")',
  "add_demo_data": (
    "from prodmanager_scope.models import Scope\nconfig.add_demo_data(lambda context: 0, model=Scope)"
  ),
  "add_translations": 'config.add_translations("prodmanager_scope:translations")',
  "add_html_crud": 'config.add_html_crud("widget")',
  "add_status_contributor": 'config.add_status_contributor(lambda request, **kw: set(), name="parts")',
  "add_history_source": 'config.add_history_source(lambda request, *args: [], name="parts")',
  "add_badge": 'config.add_badge("widget", lambda request, row: "ok")',
  "add_badge_tones": 'config.add_badge_tones("part_state", {"fresh": "green"})',
  "add_domain_event_subscriber": 'config.add_domain_event_subscriber(print, name="parts")',
  "add_setting": 'config.add_setting("prodmanager.parts.size", env="PM_PARTS_SIZE", type=int)',
  "add_cli_command": 'config.add_cli_command("import-parts", print, help="import parts")',
  "add_openapi_fragment": (
    'config.add_openapi_fragment({"components": {"schemas": {"Part": {"type": "object"}}}})'
  ),
  "add_api_view": 'config.add_api_view(print, "/api/widget/{id}/parts", "GET")',
  "add_crud_api": 'config.add_crud_api("widget")',
  "add_timeline_api": 'config.add_timeline_api("widget")',
  "add_timeline_html": 'config.add_timeline_html("widget")',
  "add_job": 'config.add_job("count-parts", print, every=60)',
  "add_token_permission": 'config.add_token_permission("parts_api", "manage parts")',
  "add_footer_link": 'config.add_footer_link("parts", "nav.parts", "/parts")',
  "add_detail_panel": 'config.add_detail_panel("widget", "parts", lambda request, row: "")',
}


@pytest.fixture
def core_config(tmp_path):
  """A configurator built like :func:`prodmanager.make_config`, the core committed, no plugin."""
  ini = {
    "prodmanager.database_uri": f"sqlite:///{tmp_path / 'unused.sqlite'}",
    "prodmanager.instance_path": str(tmp_path),
  }
  config = Configurator(settings={**ini, **read_settings(ini, environ={})}, root_factory=root_factory)
  for name in prodmanager.CORE_INCLUDES:
    config.include(name)
  config.commit()
  yield config
  app_state(config.registry).db_engine.dispose()


@pytest.fixture
def write_plugin(tmp_path, monkeypatch):
  """``write_plugin(name, body)`` writes a plugin module with ``includeme(config): body``; returns
  the path and the line number of the body's last line."""
  folder = tmp_path / "plugins"
  folder.mkdir()
  monkeypatch.syspath_prepend(str(folder))
  written = []

  def write(name: str, body: str, module: str = "") -> tuple[str, int]:
    source = module or f"def includeme(config):\n{textwrap.indent(body, '  ').rstrip()}\n"
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    written.append(name)
    return str(path), source.count("\n")

  yield write
  for name in written:
    sys.modules.pop(name, None)


@pytest.mark.parametrize("directive", sorted(CLAIMS))
def test_two_plugins_claiming_the_same_thing_fail_naming_both_calls(directive, core_config, write_plugin):
  write_plugin("widget", "", module=WIDGET_PLUGIN)
  first_path, first_line = write_plugin(f"first_{directive}", CLAIMS[directive])
  second_path, second_line = write_plugin(f"second_{directive}", CLAIMS[directive])
  if directive != "add_resource_type":
    core_config.include("widget")
  core_config.include(f"first_{directive}")
  core_config.include(f"second_{directive}")
  with pytest.raises(ConfigurationConflictError) as error:
    core_config.commit()
  message = str(error.value)
  assert f"Line {first_line} of file {first_path}" in message
  assert f"Line {second_line} of file {second_path}" in message


def test_a_plugin_claiming_what_the_core_registered_fails_naming_both(core_config, write_plugin):
  """The core commits before the plugins are included, so Pyramid does not compare the two: the
  claims do, and name the core's call and the plugin's."""
  path, line = write_plugin("rival_banner", 'config.add_dashboard_panel("banner", lambda request, **kw: "")')
  core_config.include("rival_banner")
  with pytest.raises(ConfigurationExecutionError) as error:
    core_config.commit()
  message = str(error.value)
  assert "('prodmanager.dashboard_panel', 'banner')" in message
  assert "prodmanager/status.py:" in message
  assert f"{path}:{line}" in message
  assert [panel.name for panel in app_state(core_config.registry).dashboard_panels].count("banner") == 1


def test_an_unknown_resource_type_is_a_configuration_error(core_config, write_plugin):
  path, line = write_plugin("lost_pages", 'config.add_html_crud("nosuchtype")')
  core_config.include("lost_pages")
  with pytest.raises(ConfigurationExecutionError) as error:
    core_config.commit()
  assert "add_html_crud: no resource type 'nosuchtype'" in str(error.value)
  assert f"Line {line} of file {path}" in str(error.value)


def test_distinct_claims_do_not_conflict(core_config, write_plugin):
  write_plugin("parts_a", 'config.add_navigation("parts-a", "nav.a", "/a", order=20)')
  write_plugin("parts_b", 'config.add_navigation("parts-b", "nav.b", "/b", order=10)')
  core_config.include("parts_a")
  core_config.include("parts_b")
  core_config.commit()
  assert app_state(core_config.registry).navigation.names()[:2] == ["parts-b", "parts-a"]


def test_footer_links_detail_panels_and_token_permissions_are_registered(core_config, write_plugin):
  write_plugin("widget", "", module=WIDGET_PLUGIN)
  write_plugin(
    "parts_extras",
    'config.add_footer_link("parts-b", "nav.b", "/b", order=20)\n'
    'config.add_footer_link("parts-a", "nav.a", "/a", order=10)\n'
    'config.add_detail_panel("widget", "late", lambda request, row: "L", order=50)\n'
    'config.add_detail_panel("widget", "early", lambda request, row: "E", order=5)\n'
    'config.add_token_permission("parts_api", "manage parts")',
  )
  core_config.include("widget")
  core_config.include("parts_extras")
  core_config.commit()
  state = app_state(core_config.registry)
  assert state.footer_links.names() == ["parts-a", "parts-b"]
  assert [panel.name for panel in state.detail_panels.of("widget")] == ["early", "late"]
  assert state.detail_panels.of("scope") == []
  from prodmanager.tokens import known_permissions

  assert "parts_api" in known_permissions(core_config.registry) and "widget_api" in known_permissions(
    core_config.registry
  )


def test_a_token_permission_name_is_checked(core_config, write_plugin):
  write_plugin("bad_permission", 'config.add_token_permission("Parts API")')
  with pytest.raises(PyramidConfigurationError, match="must be lower case letters"):
    core_config.include("bad_permission")


INTROSPECTED = {
  "prodmanager resource types": "scope",
  "prodmanager aggregates": "scope.monitors_count",
  "prodmanager dependents": "scope: monitors",
  "prodmanager navigation": "scope",
  "prodmanager dashboard panels": "banner",
  "prodmanager demo data": "scopes",
  "prodmanager translations": "prodmanager:translations",
  "prodmanager html crud": "scope",
  "prodmanager badges": "monitor",
}


@pytest.mark.parametrize("category", sorted(INTROSPECTED))
def test_every_registration_is_introspectable(category, registry):
  entries = registry.introspector.get_category(category)
  titles = {entry["introspectable"].title: entry["introspectable"] for entry in entries}
  assert INTROSPECTED[category] in titles
  assert ".py:" in titles[INTROSPECTED[category]]["origin"]


def test_status_contributors_and_history_sources_are_introspectable(registry):
  for category in ("status contributors", "history sources"):
    assert registry.introspector.get_category(f"prodmanager {category}"), category


# -- add_setting -------------------------------------------------------------------------------------

SETTINGS_PLUGIN = """
def even(value):
  if value % 2:
    raise ValueError("expected an even number")


def includeme(config):
  config.add_setting("prodmanager.parts.count", env="PM_PARTS_COUNT", type=int, default="4", validate=even)
  config.add_setting("prodmanager.parts.enabled", env="PM_PARTS_ENABLED", type=bool, default="false")
  config.add_setting("prodmanager.parts.token", env="PM_PARTS_TOKEN", secret=True)
  config.add_setting("prodmanager.parts.label", description="INI only")
"""


@pytest.fixture
def settings_config(core_config, write_plugin):
  """``settings_config(ini, core_errors=())``: the core plus a plugin declaring four settings."""
  write_plugin("parts_settings", "", module=SETTINGS_PLUGIN)
  core_config.include("parts_settings")
  core_config.commit()

  def configure(ini: dict, core_errors=()):
    declared = app_state(core_config.registry).settings
    declared.ini, declared.core_errors = ini, list(core_errors)
    return core_config.registry

  return configure


def test_declared_settings_take_the_environment_then_the_ini_then_the_default(settings_config):
  registry = settings_config({"prodmanager.parts.count": "8", "prodmanager.parts.label": "Parts"})
  check_settings(registry, environ={"PM_PARTS_ENABLED": " yes "})
  settings = registry.settings
  assert settings["prodmanager.parts.count"] == 8  # INI, parsed
  assert settings["prodmanager.parts.enabled"] is True  # environment, parsed
  assert settings["prodmanager.parts.token"] == ""  # default
  assert settings["prodmanager.parts.label"] == "Parts"
  check_settings(registry, environ={"PM_PARTS_COUNT": "2"})
  assert registry.settings["prodmanager.parts.count"] == 2  # the environment wins over the INI file


def test_bad_declared_values_stop_startup_with_the_cores_naming_each_variable(settings_config):
  core_errors: list[str] = []
  read_settings({}, environ={"PM_LANG": "de"}, errors=core_errors)
  registry = settings_config({"prodmanager.parts.enabled": "maybe"}, core_errors)
  with pytest.raises(ConfigurationError) as error:
    check_settings(registry, environ={"PM_PARTS_COUNT": "3", "PM_PARTS_TOKEN": "s3cret"})
  message = str(error.value)
  assert "PM_LANG='de': expected one of en, fr" in message
  assert "PM_PARTS_COUNT='3': expected an even number" in message  # the validation
  assert "prodmanager.parts.enabled='maybe': expected a boolean" in message  # the type, from the INI key
  assert "s3cret" not in message


def test_the_settings_report_lists_the_cores_and_the_plugins(settings_config):
  registry = settings_config({"prodmanager.parts.label": "Parts"})
  environ = {"PM_PARTS_TOKEN": "s3cret"}
  check_settings(registry, environ=environ)
  report = settings_report(registry, environ=environ)
  assert "prodmanager.lang (PM_LANG) = 'en' [default]" in report
  assert "prodmanager.parts.count (PM_PARTS_COUNT) = 4 [default]" in report
  assert "prodmanager.parts.label (INI only) = 'Parts' [INI]" in report
  assert "prodmanager.parts.token (PM_PARTS_TOKEN) = (hidden) [environment]" in report
  assert not [line for line in report if "s3cret" in line]


@pytest.mark.parametrize(
  ("call", "expected"),
  [
    ('config.add_setting("prodmanager.lang")', "'prodmanager.lang' is a core setting"),
    (
      'config.add_setting("prodmanager.parts.lang", env="PM_LANG")',
      "PM_LANG is the variable of the core setting",
    ),
  ],
)
def test_a_plugin_setting_cannot_take_a_core_settings_name(call, expected, core_config, write_plugin):
  write_plugin("greedy_settings", call)
  with pytest.raises(ConfigurationError, match=expected):
    core_config.include("greedy_settings")


def test_two_settings_cannot_share_a_variable(core_config, write_plugin):
  first, first_line = write_plugin("one_setting", 'config.add_setting("prodmanager.one.x", env="PM_SHARED")')
  second, second_line = write_plugin(
    "two_setting", 'config.add_setting("prodmanager.two.x", env="PM_SHARED")'
  )
  core_config.include("one_setting")
  core_config.include("two_setting")
  with pytest.raises(ConfigurationConflictError) as error:
    core_config.commit()
  assert "prodmanager.setting_env" in str(error.value)
  assert f"Line {second_line} of file {second}" in str(error.value)


def test_a_bad_core_value_and_a_bad_declared_value_are_reported_together_at_startup(build_app):
  """Through make_config: the rate limiter's windows are declared with add_setting."""
  with pytest.raises(ConfigurationError) as error:
    build_app(lang="de", login_ratelimit_period_seconds="0")
  message = str(error.value)
  assert "prodmanager.lang='de': expected one of en, fr" in message
  assert "prodmanager.login_ratelimit_period_seconds='0': expected a positive number of seconds" in message


# -- add_cli_command and add_job ---------------------------------------------------------------------


@pytest.mark.parametrize(
  ("call", "expected"),
  [
    ('config.add_cli_command("serve", print)', "'serve' is a core command"),
    ('config.add_cli_command("Import Rows", print)', "must be lower case"),
    ('config.add_job("tick", print, every=0.5)', "expected at least 1 second"),
  ],
)
def test_commands_and_jobs_refuse_bad_declarations(call, expected, core_config, write_plugin):
  write_plugin("bad_declaration", call)
  with pytest.raises(PyramidConfigurationError, match=expected):
    core_config.include("bad_declaration")


class FakeClock:
  def __init__(self):
    self.now = 1000.0

  def __call__(self) -> float:
    return self.now


def test_the_runner_runs_each_job_at_start_then_at_its_interval(core_config, caplog):
  runs = []
  core_config.add_job("fast", lambda context: runs.append(("fast", context.settings is not None)), every=10)
  core_config.add_job("slow", lambda context: runs.append(("slow", True)), every=dt.timedelta(minutes=1))

  def broken(context):
    raise RuntimeError("the remote end is down")

  core_config.add_job("broken", broken, every=30)
  core_config.commit()
  clock = FakeClock()
  # One process alone (no shared schedule): the fake clock alone decides.
  runner = JobRunner(core_config.registry, clock=clock, coordinate=False)
  with caplog.at_level(logging.ERROR, logger="prodmanager.jobs"):
    outcomes = runner.run_due()
  assert [(outcome.name, outcome.ok) for outcome in outcomes] == [
    ("fast", True),
    ("slow", True),
    ("broken", False),
  ]
  assert outcomes[2].error == "RuntimeError: the remote end is down"
  assert "job broken failed" in caplog.text and "the remote end is down" in caplog.text
  assert runs == [("fast", True), ("slow", True)]
  clock.now += 9.5
  assert runner.run_due() == []
  assert runner.seconds_to_next() == pytest.approx(0.5)
  clock.now += 0.5
  assert [outcome.name for outcome in runner.run_due()] == ["fast"]
  clock.now += 20
  assert [outcome.name for outcome in runner.run_due()] == ["fast", "broken"]
  clock.now += 30
  assert [outcome.name for outcome in runner.run_due()] == ["fast", "slow", "broken"]


def test_a_job_writes_in_its_own_transaction(registry, dbsession):
  from prodmanager.commands import CommandContext
  from prodmanager_scope.models import Scope

  def job(context):
    with context.session() as session:
      session.add(Scope(name="Added by a job", description=""))

  job(CommandContext(registry))
  assert dbsession.scalar(select(Scope.name).where(Scope.name == "Added by a job")) == "Added by a job"


# -- the reference page ------------------------------------------------------------------------------

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "directives.md"


def core_directive_names(tmp_path, monkeypatch) -> set[str]:
  """Every directive the core registers with ``config.add_directive``, recorded while it is built."""
  names = set()
  original = Configurator.add_directive

  def recording(self, name, directive, action_wrap=True):
    # Only ProdManager's: pyramid_jinja2's and pyramid_openapi3's are their own business.
    if getattr(directive, "__module__", "").startswith("prodmanager"):
      names.add(name)
    return original(self, name, directive, action_wrap=action_wrap)

  monkeypatch.setattr(Configurator, "add_directive", recording)
  ini = {
    "prodmanager.database_uri": f"sqlite:///{tmp_path / 'unused.sqlite'}",
    "prodmanager.instance_path": str(tmp_path),
  }
  config = Configurator(settings={**ini, **read_settings(ini, environ={})}, root_factory=root_factory)
  for include in prodmanager.CORE_INCLUDES:
    config.include(include)
  config.commit()
  app_state(config.registry).db_engine.dispose()
  return names


def documented_sections() -> dict[str, str]:
  """``### `add_x` `` sections of docs/directives.md and their text."""
  sections, current = {}, None
  for line in REFERENCE.read_text(encoding="utf-8").splitlines():
    match = re.match(r"^### `(\w+)`$", line)
    if match:
      current = match.group(1)
      sections[current] = ""
    elif line.startswith("## "):
      current = None
    elif current:
      sections[current] += line + "\n"
  return sections


def test_the_reference_page_lists_every_directive_with_its_arguments_and_an_example(tmp_path, monkeypatch):
  directives = core_directive_names(tmp_path, monkeypatch)
  assert {"add_resource_type", "add_setting", "add_cli_command", "add_job"} <= directives
  sections = documented_sections()
  assert sorted(directives - set(sections)) == [], "directives missing from docs/directives.md"
  assert sorted(set(sections) - directives) == [], "docs/directives.md describes directives that do not exist"
  for name, text in sections.items():
    assert f"config.{name}(" in text, f"{name}: no signature or example"
    assert text.count("```python") >= 2, f"{name}: expected its signature and an example"
    assert "Discriminator" in text, f"{name}: what it claims is not said"


def test_the_reference_page_is_in_the_site_navigation():
  mkdocs = (REFERENCE.parents[1] / "mkdocs.yml").read_text(encoding="utf-8")
  assert "directives.md" in mkdocs
