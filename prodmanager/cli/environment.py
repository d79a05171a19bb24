"""What every command reads: the INI file's settings merged with the ``PM_*`` variables, and logging."""

import logging
from pathlib import Path

from ..settings import ConfigurationError, read_settings

DEFAULT_CONFIG = "development.ini"


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
    self.settings = {**self.ini, **read_settings(self.ini)}

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
