"""How the command line reports Pyramid's configuration errors: a short message, no traceback.

Pyramid raises them when the configuration is committed: two plugins (or a plugin and the core)
claiming the same thing (:class:`~pyramid.exceptions.ConfigurationConflictError`, reported with
both claimants' file:line), a directive's action that raised
(:class:`~pyramid.exceptions.ConfigurationExecutionError`, reported with the cause and where the
directive was called), or a bad directive argument (:class:`~pyramid.exceptions.ConfigurationError`).
"""

from pyramid.exceptions import ConfigurationConflictError, ConfigurationExecutionError
from pyramid.exceptions import ConfigurationError as PyramidConfigurationError

from ..plugins import describe


def where(info) -> str | None:
  """``file:line`` of a Pyramid action's info, None when Pyramid recorded no place (an action
  registered by ``config.action`` outside a directive)."""
  file, line = getattr(info, "file", None), getattr(info, "line", None)
  if file:
    return f"{file}:{line}"
  if isinstance(info, str) and info.strip():
    return info.strip().splitlines()[0]
  return None


def configuration_message(error: PyramidConfigurationError) -> str:
  """The short message for a Pyramid configuration error (one line per conflict)."""
  if isinstance(error, ConfigurationConflictError):
    # Pyramid keeps the claims only in this attribute; its str() prints the source lines as well.
    conflicts = getattr(error, "_conflicts", None) or {}
    if not conflicts:
      return f"configuration conflict: {error}"
    return "\n".join(
      f"configuration conflict: {discriminator!r} is claimed by "
      + " and by ".join(where(info) or "an unknown place" for info in infos)
      for discriminator, infos in conflicts.items()
    )
  if isinstance(error, ConfigurationExecutionError):
    place = where(error.info)
    return f"configuration failed{f' at {place}' if place else ''}: {describe(error.evalue)}"
  return f"configuration error: {' '.join(str(error).split())}"
