"""Plugins: discovery, enabling, load order, and conflicts between plugins at startup."""

import types
from pathlib import Path

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError

import prodmanager
from prodmanager.cli.errors import where
from prodmanager.plugins import Plugin, installed_plugins, resolve
from prodmanager.resources import root_factory
from prodmanager.settings import ConfigurationError, read_settings
from prodmanager.state import app_state
from prodmanager.testing import make_app


def fake(plugin_id: str, *requires: str) -> Plugin:
  return Plugin(plugin_id, types.ModuleType(f"fake_{plugin_id}"), requires=list(requires))


def installed(*plugins: Plugin) -> dict[str, Plugin]:
  return {plugin.id: plugin for plugin in plugins}


def ids(plugins: list[Plugin]) -> list[str]:
  return [plugin.id for plugin in plugins]


def assert_requirements_first(order: list[Plugin]):
  position = {plugin.id: index for index, plugin in enumerate(order)}
  for plugin in order:
    for requirement in plugin.requires:
      assert position[requirement] < position[plugin.id], f"{plugin.id} is loaded before {requirement}"


def test_star_enables_every_installed_plugin_requirements_first():
  available = installed(fake("monitor", "scope", "service"), fake("scope"), fake("service"), fake("extra"))
  order = resolve(None, available)
  assert sorted(ids(order)) == ["extra", "monitor", "scope", "service"]
  assert_requirements_first(order)


def test_star_from_the_settings_means_all():
  assert read_settings({"prodmanager.plugins": "*"}, environ={})["prodmanager.plugins"] is None
  assert read_settings({}, environ={"PM_PLUGINS": " * "})["prodmanager.plugins"] is None


def test_order_follows_requires_whatever_the_listed_order():
  available = installed(fake("a", "b"), fake("b", "c"), fake("c"))
  for enabled in (["a", "b", "c"], ["c", "b", "a"], ["b", "a", "c"]):
    assert ids(resolve(enabled, available)) == ["c", "b", "a"]


def test_order_is_deterministic():
  plugins = [fake("monitor", "scope", "service"), fake("scope"), fake("service"), fake("zeta"), fake("alpha")]
  first = ids(resolve(None, installed(*plugins)))
  second = ids(resolve(None, installed(*reversed(plugins))))
  assert first == second
  assert_requirements_first(resolve(None, installed(*plugins)))


def test_only_enabled_plugins_are_loaded():
  available = installed(fake("monitor", "scope", "service"), fake("scope"), fake("service"))
  assert ids(resolve(["scope"], available)) == ["scope"]
  assert ids(resolve(["service", "scope"], available)) == ["scope", "service"]


def test_unknown_plugin_is_named():
  available = installed(fake("scope"), fake("service"))
  with pytest.raises(ConfigurationError) as info:
    resolve(["scope", "incidnet"], available)
  message = str(info.value)
  assert "incidnet" in message
  assert "scope, service" in message  # what is installed, to fix the typo


def test_missing_requirement_is_an_error():
  available = installed(fake("monitor", "scope", "service"), fake("scope"), fake("service"))
  with pytest.raises(ConfigurationError) as info:
    resolve(["monitor", "scope"], available)
  assert "'monitor' requires 'service'" in str(info.value)


def test_requirement_not_installed_is_an_error():
  available = installed(fake("monitor", "scope", "service"), fake("scope"))
  with pytest.raises(ConfigurationError, match="requires 'service'"):
    resolve(None, available)


def test_cycle_is_an_error():
  available = installed(fake("a", "b"), fake("b", "c"), fake("c", "a"))
  with pytest.raises(ConfigurationError) as info:
    resolve(None, available)
  message = str(info.value)
  assert "cycle" in message
  assert "a -> b -> c -> a" in message


def test_self_requirement_is_a_cycle():
  with pytest.raises(ConfigurationError, match="cycle"):
    resolve(None, installed(fake("a", "a")))


def test_first_party_plugins_are_installed():
  found = installed_plugins()
  assert {"scope", "service", "monitor"} <= set(found)
  assert found["scope"].distribution.replace("_", "-") == "prodmanager-scope"
  assert found["scope"].requires == []
  assert sorted(found["monitor"].requires) == ["scope", "service"]
  for plugin in found.values():
    assert callable(plugin.module.includeme)
    assert plugin.info["id"] == plugin.id
    assert plugin.version


def test_application_loads_plugins_in_dependency_order(registry):
  order = app_state(registry).plugins
  assert {"scope", "service", "monitor"} <= set(ids(order))
  assert_requirements_first(order)


def base_configurator(app_settings) -> Configurator:
  """A configurator built like :func:`prodmanager.make_config`, before the plugins."""
  settings = {**app_settings, **read_settings(app_settings, environ={})}
  config = Configurator(settings=settings, root_factory=root_factory)
  for name in prodmanager.CORE_INCLUDES:
    config.include(name)
  config.commit()
  return config


def test_two_plugins_registering_the_same_resource_type_conflict(app_settings):
  from prodmanager_scope.services import ScopeService

  def rival_plugin(config):
    config.add_resource_type("scope", ScopeService)

  config = base_configurator(app_settings)
  try:
    config.include("prodmanager_scope")
    config.include(rival_plugin)
    with pytest.raises(ConfigurationConflictError) as info:
      config.commit()
    assert "prodmanager.resource_type" in str(info.value)
    assert "scope" in str(info.value)
  finally:
    app_state(config.registry).db_engine.dispose()


def line_calling(module, call: str) -> str:
  """``file:line`` of the first line of ``module``'s source that contains ``call``."""
  path = Path(module.__file__)
  number = next(n for n, line in enumerate(path.read_text().splitlines(), 1) if call in line)
  return f"{path}:{number}"


def conflict_places(error: ConfigurationConflictError, discriminator: tuple) -> list[str]:
  """The ``file:line`` of every claimant of ``discriminator`` (as the command line prints them)."""
  return [where(info) for info in error._conflicts[discriminator]]


def test_a_group_registered_through_register_group_conflicts_at_the_plugins_line(app_settings):
  """register_group (prodmanager.groups) calls the directives on the plugin's behalf: the conflict
  names the scope plugin's line that called it, not the core's."""
  import prodmanager_scope
  from prodmanager_scope.services import ScopeService

  def rival_plugin(config):
    config.add_resource_type("scope", ScopeService)

  config = base_configurator(app_settings)
  try:
    config.include("prodmanager_scope")
    config.include(rival_plugin)
    with pytest.raises(ConfigurationConflictError) as info:
      config.commit()
    places = conflict_places(info.value, ("prodmanager.resource_type", "scope"))
    rival_line = rival_plugin.__code__.co_firstlineno + 1
    assert sorted(places) == sorted(
      [line_calling(prodmanager_scope, "register_group("), f"{__file__}:{rival_line}"]
    )
    assert not any("prodmanager/groups.py" in place for place in places)
  finally:
    app_state(config.registry).db_engine.dispose()


def test_a_membership_registered_for_a_plugin_conflicts_at_the_plugins_line(app_settings):
  """The same for Membership.register (prodmanager.membership): the monitor plugin's line."""
  import prodmanager_monitor.views
  from prodmanager_monitor.models import PAIR, Monitor

  def rival_plugin(config):
    PAIR.register(config, "monitor", Monitor, label="monitors")

  config = base_configurator(app_settings)
  try:
    for name in ("prodmanager_scope", "prodmanager_service", "prodmanager_monitor"):
      config.include(name)
    config.include(rival_plugin)
    with pytest.raises(ConfigurationConflictError) as info:
      config.commit()
    places = conflict_places(info.value, ("prodmanager.dependent", "scope", "monitors"))
    rival_line = rival_plugin.__code__.co_firstlineno + 1
    monitor_line = line_calling(prodmanager_monitor.views, "PAIR.register(")
    assert sorted(places) == sorted([monitor_line, f"{__file__}:{rival_line}"])
  finally:
    app_state(config.registry).db_engine.dispose()


def test_the_registrations_of_register_group_name_the_plugins_line(registry):
  import prodmanager_scope

  expected = line_calling(prodmanager_scope, "register_group(")
  for category, title in (("resource types", "scope"), ("navigation", "scope"), ("html crud", "scope")):
    entries = registry.introspector.get_category(f"prodmanager {category}")
    (entry,) = [entry["introspectable"] for entry in entries if entry["introspectable"].title == title]
    assert entry["origin"] == expected, category


def test_two_plugins_adding_the_same_navigation_entry_conflict(app_settings):
  def first(config):
    config.add_navigation("status", "nav.status", "/status")

  def second(config):
    config.add_navigation("status", "nav.status", "/other-status")

  config = base_configurator(app_settings)
  try:
    config.include(first)
    config.include(second)
    with pytest.raises(ConfigurationConflictError, match="prodmanager.navigation"):
      config.commit()
  finally:
    app_state(config.registry).db_engine.dispose()


def test_distinct_resource_types_do_not_conflict(app_settings):
  config = base_configurator(app_settings)
  try:
    config.include("prodmanager_scope")
    config.include("prodmanager_service")
    config.commit()
    assert {"scope", "service"} <= set(app_state(config.registry).resource_types)
  finally:
    app_state(config.registry).db_engine.dispose()


def test_enabling_an_unknown_plugin_stops_startup(app_settings):
  with pytest.raises(ConfigurationError, match="nosuchplugin"):
    make_app(["scope", "nosuchplugin"], app_settings)
