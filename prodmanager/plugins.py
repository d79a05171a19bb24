"""Plugin discovery, loading and ordering.

A plugin is a distribution with an entry point in the ``prodmanager.plugins`` group, named by the
plugin's id and pointing at a package that exposes ``includeme(config)`` and ``plugin_info``::

  [options.entry_points]
  prodmanager.plugins =
    runbook = prodmanager_runbook

  plugin_info = {"id": "runbook", "requires": ["service"], "migrations": "prodmanager_runbook:migrations"}

Discovery reads the entry points only; a plugin's package is imported the first time something
needs it (its ``plugin_info`` or its ``includeme``). The application imports only the plugins it
enables, so an installed plugin that is broken (it fails to import, or its ``plugin_info`` is
wrong) stops nothing unless it is enabled; when it is, startup stops with one line naming the
plugin and the cause (docs/install.md, "When a plugin fails").

``prodmanager.plugins = *`` enables every installed plugin, except those whose ``plugin_info`` says
``"enabled_by_default": False`` (opt-in plugins, such as the plugin guide's example). Telling
requires importing each one, so with ``*`` a broken installed plugin counts as enabled and stops
startup. A list enables exactly those (their requirements must be in it). Plugins are included in
an order where every plugin comes after what it requires.
"""

import traceback
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

from .settings import ConfigurationError

GROUP = "prodmanager.plugins"


def describe(error: BaseException) -> str:
  """An exception in one line: its type, its message and where it was raised (file:line)."""
  message = " ".join(str(error).split()) or "(no message)"
  text = f"{type(error).__name__}: {message}"
  if isinstance(error, SyntaxError) and error.filename:
    return f"{text} ({error.filename}:{error.lineno})"
  frames = traceback.extract_tb(error.__traceback__)
  # The innermost frame outside the import machinery is the plugin's line that failed.
  frames = [frame for frame in frames if not frame.filename.startswith("<frozen ")]
  if frames:
    return f"{text} (at {frames[-1].filename}:{frames[-1].lineno})"
  return text


class PluginError(ConfigurationError):
  """An enabled plugin cannot be used: it fails to import, its plugin_info is wrong, or its includeme raised."""


class Plugin:
  """An installed plugin: what its entry point says, and (once loaded) its package and ``plugin_info``.

  Built from an entry point by :func:`installed_plugins`, a plugin is loaded lazily: reading
  ``module``, ``requires``, ``migrations`` or ``enabled_by_default`` imports its package, and raises
  :class:`PluginError` when that fails. ``error`` says why a plugin cannot be loaded without raising.
  Tests build loaded plugins directly: ``Plugin("fake", module, requires=["scope"])``.
  """

  def __init__(
    self,
    id: str,
    module: ModuleType | None = None,
    distribution: str = "",
    version: str = "",
    requires: list[str] | None = None,
    migrations: str | None = None,
    enabled_by_default: bool = True,
    *,
    entry_point: EntryPoint | None = None,
    error: str | None = None,
  ):
    self.id = id
    self.distribution = distribution
    self.version = version
    self.entry_point = entry_point
    self._module = module
    self._requires = list(requires or [])
    self._migrations = migrations
    self._enabled_by_default = enabled_by_default
    self._error = error
    self._loaded = module is not None or error is not None

  def __repr__(self) -> str:
    return f"<Plugin {self.id!r} {self.distribution} {self.version}>"

  @property
  def label(self) -> str:
    """``'runbook' (prodmanager-runbook 1.0)``: how messages name the plugin."""
    where = " ".join(part for part in (self.distribution, self.version) if part)
    return f"{self.id!r} ({where})" if where else repr(self.id)

  def _load(self) -> None:
    if self._loaded:
      return
    self._loaded = True
    try:
      module = self.entry_point.load()
    except Exception as error:  # noqa: BLE001 - whatever a plugin raises, it is reported, not a crash
      self._error = f"cannot be imported: {describe(error)}"
      return
    info = getattr(module, "plugin_info", None)
    if not isinstance(info, dict) or not callable(getattr(module, "includeme", None)):
      self._error = f"{self.entry_point.value} must expose includeme(config) and a plugin_info dict"
      return
    if info.get("id", self.id) != self.id:
      self._error = f"its entry point is named {self.id!r} but its plugin_info says id {info['id']!r}"
      return
    requires = info.get("requires", [])
    if not isinstance(requires, list | tuple) or not all(isinstance(name, str) for name in requires):
      self._error = f"plugin_info requires must be a list of plugin ids, not {requires!r}"
      return
    self._module = module
    self._requires = list(requires)
    self._migrations = info.get("migrations")
    self._enabled_by_default = bool(info.get("enabled_by_default", True))

  @property
  def error(self) -> str | None:
    """Why the plugin cannot be used (loading it if needed), or None."""
    self._load()
    return self._error

  def loaded(self) -> "Plugin":
    """The plugin, loaded; :class:`PluginError` naming the plugin and the cause when it cannot be."""
    if self.error:
      raise PluginError(f"plugin {self.label} {self.error}")
    return self

  @property
  def module(self) -> ModuleType:
    return self.loaded()._module

  @property
  def requires(self) -> list[str]:
    return self.loaded()._requires

  @property
  def migrations(self) -> str | None:
    return self.loaded()._migrations

  @property
  def enabled_by_default(self) -> bool:
    return self.loaded()._enabled_by_default

  @property
  def info(self) -> dict:
    return getattr(self.module, "plugin_info", {})


def installed_plugins() -> dict[str, Plugin]:
  """Every plugin installed in the environment, by id, none of them imported yet."""
  found: dict[str, Plugin] = {}
  for entry_point in entry_points(group=GROUP):
    dist = entry_point.dist
    plugin = Plugin(
      entry_point.name,
      distribution=dist.name if dist else "",
      version=dist.version if dist else "",
      entry_point=entry_point,
    )
    other = found.get(plugin.id)
    if other is not None:
      # Neither can be trusted to be the one meant: both are reported, and neither is imported.
      other._error = plugin._error = (
        f"claims the same id as {other.distribution or other.entry_point.value} "
        f"and {plugin.distribution or entry_point.value}: uninstall one of them"
      )
      other._loaded = plugin._loaded = True
      continue
    found[plugin.id] = plugin
  return found


def resolve(enabled: list[str] | None, installed: dict[str, Plugin] | None = None) -> list[Plugin]:
  """The enabled plugins in load order (requirements first), each loaded.

  ``enabled`` is the list of ids, or None for ``*``. Unknown ids, missing requirements and enabled
  plugins that cannot be loaded are :class:`~prodmanager.settings.ConfigurationError`; plugins
  that are not enabled are not imported (except with ``*``, which must read every ``plugin_info``).
  """
  installed = installed_plugins() if installed is None else installed
  if enabled is None:
    broken = [plugin for plugin in installed.values() if plugin.error]
    if broken:
      raise PluginError("\n".join(f"plugin {plugin.label} {plugin.error}" for plugin in broken))
    wanted = [name for name, plugin in installed.items() if plugin.enabled_by_default]
  else:
    wanted = list(enabled)
  unknown = [name for name in wanted if name not in installed]
  if unknown:
    raise ConfigurationError(
      f"unknown plugin(s) in prodmanager.plugins: {', '.join(unknown)} (installed: {', '.join(sorted(installed)) or 'none'})"
    )
  broken = [installed[name] for name in wanted if installed[name].error]
  if broken:
    raise PluginError("\n".join(f"plugin {plugin.label} {plugin.error}" for plugin in broken))
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


def include(config, plugin: Plugin) -> None:
  """Include an enabled plugin; an exception its ``includeme`` raises becomes a one-line :class:`PluginError`."""
  try:
    config.include(plugin.module)
  except ConfigurationError as error:
    raise PluginError(f"plugin {plugin.label}: {error}") from error
  except Exception as error:  # noqa: BLE001 - any failure of a plugin's includeme is reported in one line
    raise PluginError(f"plugin {plugin.label}: includeme failed: {describe(error)}") from error
