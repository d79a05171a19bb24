"""What every command reads: the INI file's settings merged with the ``PM_*`` variables, and logging."""

import logging
from pathlib import Path

from ..settings import ConfigurationError, invalid_configuration, read_settings

DEFAULT_CONFIG = "development.ini"


def everything_wrong(ini: dict[str, str], core_errors: list[str]) -> str:
  """The core's bad settings and the plugins' (add_setting) in one message: the plugins' are known
  once the configuration is built, which the core's defaults allow meanwhile."""
  # Imported only when a setting is wrong: building the application imports the whole core.
  from .. import make_config

  try:
    make_config(ini)
  except ConfigurationError as error:
    return str(error)
  except Exception:  # noqa: BLE001 - a broken plugin: the core's errors are still worth reporting
    pass
  return invalid_configuration(core_errors)


class Environment:
  """The INI file's raw settings and the parsed ``prodmanager.*`` settings merged over them."""

  def __init__(self, config_uri: str | None):
    self.config_uri = config_uri
    self.ini: dict[str, str] = {}
    if config_uri:
      path = Path(config_uri.partition("#")[0])
      if not path.is_file():
        raise ConfigurationError(f"configuration file {path} not found")
      from pyramid.paster import get_appsettings

      self.ini = dict(get_appsettings(config_uri, name="main"))
    errors: list[str] = []
    self.settings = {**self.ini, **read_settings(self.ini, errors=errors)}
    if errors:
      raise ConfigurationError(everything_wrong(self.ini, errors))

  @property
  def database_uri(self) -> str:
    return self.settings["prodmanager.database_uri"]

  def server_section(self) -> dict[str, str]:
    """``listen``, ``host``, ``port`` and ``threads`` from the INI's ``[server:main]``, when present."""
    if not self.config_uri:
      return {}
    import plaster

    section = plaster.get_settings(self.config_uri, "server:main")
    return {key: section[key] for key in ("listen", "host", "port", "threads") if section.get(key)}


def setup_logging(config_uri: str | None):
  if config_uri:
    from pyramid.paster import setup_logging as setup_from_ini

    # Without logging sections in the file, this falls back to logging.basicConfig().
    setup_from_ini(config_uri)
  else:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-5.5s [%(name)s] %(message)s")
  quiet = logging.getLogger("alembic.runtime.plugins")
  if quiet.level == logging.NOTSET:
    # Alembic announces each of its internal plugins at INFO on every run: noise for an administrator.
    quiet.setLevel(logging.WARNING)
