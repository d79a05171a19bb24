"""``prodmanager plugins``: the installed plugins, which are enabled (or why not), in which order.

It answers whatever state the plugins are in: a broken plugin is listed with its cause, and a
setting that would stop startup (an unknown id, a missing requirement, a broken enabled plugin) is
reported after the table, with exit status 2 (docs/install.md, "Plugins").
"""

from ..migrate import branch_heads
from ..plugins import installed_plugins, resolve
from ..settings import ConfigurationError
from .environment import Environment


def migration_heads(plugin) -> str:
  """``branch@head`` of each branch of a loaded plugin's migrations, ``-`` without any."""
  try:
    heads = branch_heads(plugin)
  except ConfigurationError as error:
    return f"? ({error})"
  return ", ".join(f"{branch}@{head}" for branch, head in heads) or "-"


def plugin_rows(
  setting: list[str] | None,
) -> tuple[list[tuple[str, ...]], list[str], ConfigurationError | None]:
  """The table (a header, then one row per installed plugin: enabled ones in load order), the
  causes of broken plugins, and the error startup would stop with (or None)."""
  installed = installed_plugins()
  error = None
  try:
    enabled = resolve(setting, installed)
  except ConfigurationError as exc:
    # Still show what is installed: it is what the administrator needs to fix the setting.
    enabled, error = [], exc
  order = {plugin.id: position for position, plugin in enumerate(enabled, 1)}
  rows = [("id", "distribution", "version", "enabled", "order", "requires", "migrations")]
  broken = []
  for plugin in enabled + sorted((p for p in installed.values() if p.id not in order), key=lambda p: p.id):
    if plugin.id in order:
      state = "yes"
    elif plugin.error:
      state = "no: broken"
      broken.append(f"{plugin.id}: {plugin.error}")
    elif setting is None and not plugin.enabled_by_default:
      state = "no: opt-in"
    elif setting is not None and plugin.id not in setting:
      state = "no: not listed"
    else:
      state = "no: startup fails"  # it would be enabled, but the error below stops startup
    loaded = plugin.error is None
    rows.append(
      (
        plugin.id,
        plugin.distribution or "-",
        plugin.version or "-",
        state,
        str(order[plugin.id]) if plugin.id in order else "-",
        (", ".join(plugin.requires) or "-") if loaded else "?",
        migration_heads(plugin) if loaded else "?",
      )
    )
  return rows, broken, error


def cmd_plugins(args, env: Environment) -> int:
  rows, broken, error = plugin_rows(env.settings["prodmanager.plugins"])
  widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
  for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
  if len(rows) == 1:
    print("(no plugin installed)")
  for line in broken:
    print(f"broken: {line}")
  if error is not None:
    raise error
  return 0
