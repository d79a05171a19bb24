"""Plugin discovery and ordering.

A plugin is a distribution with an entry point in the ``prodmanager.plugins`` group, pointing at
a package that exposes ``includeme(config)`` and ``plugin_info``::

  plugin_info = {"id": "monitor", "requires": ["scope", "service"], "migrations": "prodmanager_monitor:migrations"}

``prodmanager.plugins = *`` enables every installed plugin, except those whose ``plugin_info`` says
``"enabled_by_default": False`` (opt-in plugins, such as the plugin guide's example); a list enables
exactly those (their requirements must be in it). Plugins are included in an order where every plugin comes after what it requires.
"""

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType

from .settings import ConfigurationError

GROUP = "prodmanager.plugins"


@dataclass
class Plugin:
  id: str
  module: ModuleType
  distribution: str = ""
  version: str = ""
  requires: list[str] = field(default_factory=list)
  migrations: str | None = None
  enabled_by_default: bool = True

  @property
  def info(self) -> dict:
    return getattr(self.module, "plugin_info", {})


def installed_plugins() -> dict[str, Plugin]:
  """Every plugin installed in the environment, by id."""
  found: dict[str, Plugin] = {}
  for entry_point in entry_points(group=GROUP):
    try:
      module = entry_point.load()
    except Exception as error:  # noqa: BLE001 - report which plugin failed and why
      raise ConfigurationError(
        f"plugin {entry_point.name!r} ({entry_point.value}) cannot be imported: {error}"
      ) from error
    info = getattr(module, "plugin_info", None)
    if not isinstance(info, dict) or not hasattr(module, "includeme"):
      raise ConfigurationError(
        f"plugin {entry_point.name!r} must expose includeme(config) and a plugin_info dict"
      )
    plugin_id = info.get("id", entry_point.name)
    if plugin_id in found:
      raise ConfigurationError(f"two installed plugins claim the id {plugin_id!r}")
    dist = entry_point.dist
    found[plugin_id] = Plugin(
      plugin_id,
      module,
      dist.name if dist else "",
      dist.version if dist else "",
      list(info.get("requires", [])),
      info.get("migrations"),
      bool(info.get("enabled_by_default", True)),
    )
  return found


def resolve(enabled: list[str] | None, installed: dict[str, Plugin] | None = None) -> list[Plugin]:
  """The enabled plugins in load order (requirements first); unknown ids or missing requirements are errors."""
  installed = installed_plugins() if installed is None else installed
  wanted = (
    [name for name, plugin in installed.items() if plugin.enabled_by_default] if enabled is None else enabled
  )
  unknown = [name for name in wanted if name not in installed]
  if unknown:
    raise ConfigurationError(
      f"unknown plugin(s) in prodmanager.plugins: {', '.join(unknown)} (installed: {', '.join(sorted(installed)) or 'none'})"
    )
  ordered: list[Plugin] = []
  state: dict[str, str] = {}

  def visit(name: str, chain: list[str]):
    if state.get(name) == "done":
      return
    if state.get(name) == "visiting":
      raise ConfigurationError(f"plugin requirements form a cycle: {' -> '.join(chain + [name])}")
    if name not in wanted:
      raise ConfigurationError(
        f"plugin {chain[-1]!r} requires {name!r}, which is not enabled or not installed"
      )
    state[name] = "visiting"
    for requirement in installed[name].requires:
      visit(requirement, chain + [name])
    state[name] = "done"
    ordered.append(installed[name])

  for name in sorted(wanted):
    visit(name, [])
  return ordered
