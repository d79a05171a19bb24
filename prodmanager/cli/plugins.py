"""``prodmanager plugins``: the installed plugins, which are enabled and in which order."""

from ..settings import ConfigurationError
from .environment import Environment


def cmd_plugins(args, env: Environment) -> int:
  from ..plugins import installed_plugins, resolve

  installed = installed_plugins()
  error = None
  try:
    enabled = resolve(env.settings["prodmanager.plugins"], installed)
  except ConfigurationError as exc:
    # Still show what is installed: it is what the administrator needs to fix the setting.
    enabled, error = [], exc
  disabled = sorted(set(installed) - {plugin.id for plugin in enabled})
  rows = [("id", "distribution", "version", "enabled", "order", "requires")]
  for position, plugin in enumerate(enabled + [installed[name] for name in disabled], 1):
    is_enabled = position <= len(enabled)
    requires = ", ".join(plugin.requires) or "-"
    rows.append(
      (
        plugin.id,
        plugin.distribution,
        plugin.version,
        "yes" if is_enabled else "no",
        str(position) if is_enabled else "-",
        requires,
      )
    )
  widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
  for row in rows:
    print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
  if not installed:
    print("(no plugin installed)")
  if error is not None:
    raise error
  return 0
