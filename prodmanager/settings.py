"""Settings: INI values overridden by environment variables, parsed and validated once.

Every core setting lives under the ``prodmanager.`` prefix in the INI file and has the environment
variable name that ProdManager 0.22 used, so existing deployments keep their configuration.
A bad value stops startup with a message that names the variable and says what is expected.

Plugins (and core modules with settings of their own, such as the rate limiter) declare theirs with
the ``add_setting`` directive (docs/directives.md): the same INI file, the same environment
override, parsed when the configuration is complete; every bad value, the core's and the plugins',
is reported in one message, and :func:`settings_report` lists them all.
"""

import os
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .actions import ORDER_DECLARE, register
from .state import app_state

DEFAULT_SECRET = "changeit"
SHORT_SECRET = 16  # characters; shorter secrets are accepted (0.22 had no minimum) with a warning
TRUE_VALUES = {"true", "t", "1", "yes", "y", "on"}
FALSE_VALUES = {"false", "f", "0", "no", "n", "off", ""}
LANGUAGES = ("en", "fr")
JWT_ALGORITHMS = ("HS256", "HS384", "HS512")


def is_decimal(text: str) -> bool:
  """ASCII digits only: ``str.isdigit`` also accepts "²" or "٣", which ``int()`` then refuses."""
  return text.isascii() and text.isdigit()


class ConfigurationError(Exception):
  """A setting has a value the application cannot run with."""


def parse_bool(value: str) -> bool:
  lowered = str(value).strip().lower()
  if lowered in TRUE_VALUES:
    return True
  if lowered in FALSE_VALUES:
    return False
  raise ValueError("expected a boolean (true/t/1/yes/on or false/f/0/no/off)")


def parse_optional_bool(value: str) -> bool | None:
  """A boolean, or None (the mode decides) when empty."""
  if str(value).strip() == "":
    return None
  return parse_bool(value)


def parse_int(minimum: int, maximum: int):
  def parse(value: str) -> int:
    try:
      number = int(str(value).strip())
    except ValueError:
      raise ValueError("expected an integer") from None
    if not minimum <= number <= maximum:
      raise ValueError(f"expected an integer between {minimum} and {maximum}")
    return number

  return parse


def parse_max_lifetime(value: str) -> int | None:
  """Nothing (no maximum, as 0.22 had none) or a number of hours."""
  if not str(value).strip():
    return None
  try:
    return parse_int(1, 1_000_000)(value)
  except ValueError as error:
    raise ValueError(f"expected nothing (no maximum) or {str(error).removeprefix('expected ')}") from None


def parse_choice(*choices: str):
  def parse(value: str) -> str:
    if value not in choices:
      raise ValueError(f"expected one of {', '.join(choices)}")
    return value

  return parse


def parse_timezone(value: str) -> str:
  try:
    zoneinfo.ZoneInfo(value)
  except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ValueError("expected an IANA time zone name such as UTC or Europe/Paris") from None
  return value


# The SQLite file of the instance folder when PM_DATABASE_URI is empty, and ProdManager 0.22's.
DEFAULT_SQLITE_FILE = "prodmanager.sqlite"
LEGACY_SQLITE_FILE = "ProManager.sqlite"


def parse_database_uri(value: str) -> str:
  scheme = urlparse(value).scheme
  if not scheme.startswith(("sqlite", "postgresql", "postgres")):
    raise ValueError("expected a sqlite:/// or postgresql:// URL")
  return value


# The folder of the instance from which a relative PM_CUSTOM_CSS_SHEET (0.22's form) is served.
CUSTOM_STATIC_FOLDER = "static"
RELATIVE_STYLESHEET = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


def is_relative_stylesheet(value: str) -> bool:
  """0.22's form of PM_CUSTOM_CSS_SHEET: a path under its static folder (``css/custom.css``)."""
  return bool(value) and not value.startswith("/") and ":" not in value


def parse_stylesheet(value: str) -> str:
  """An http(s) URL, an absolute path, or 0.22's form: a path such as ``css/custom.css``, served
  from the instance's ``static/`` folder at ``/static/css/custom.css`` (prodmanager.compat)."""
  expected = (
    "expected an http(s) URL, an absolute path, or a path such as css/custom.css (0.22's form) under "
    f"the instance's {CUSTOM_STATIC_FOLDER}/ folder, without '..', backslashes or spaces"
  )
  if not value or value.startswith("/") or urlparse(value).scheme in ("http", "https"):
    return value
  # Letters, digits, "_", "-" and "." in each segment: the path is also a route pattern (no "{").
  if not RELATIVE_STYLESHEET.fullmatch(value) or any(part in (".", "..") for part in value.split("/")):
    raise ValueError(expected)
  return value


def stylesheet_url(value: str) -> str:
  """The URL pages link to for PM_CUSTOM_CSS_SHEET: 0.22's relative form is served under /static/."""
  return f"/static/{value}" if is_relative_stylesheet(value) else value


IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".avif")


def parse_logo(value: str) -> str:
  """Empty (the product's icon), an http(s) URL, or an absolute path: an image file on this machine
  (served at ``/site-logo``) or else a path of this site (``/static/...``, a proxy's)."""
  if not value:
    return ""
  if urlparse(value).scheme in ("http", "https"):
    return value
  if not value.startswith("/") or any(character.isspace() for character in value):
    raise ValueError("expected an http(s) URL or an absolute path (an image file, or a path of this site)")
  if Path(value).is_file() and Path(value).suffix.lower() not in IMAGE_SUFFIXES:
    raise ValueError(f"expected an image file ({', '.join(IMAGE_SUFFIXES)}), not {Path(value).name}")
  return value


def parse_secret(value: str) -> str:
  if len(value) < 4:
    raise ValueError("the secret must be at least 4 characters long")
  return value


def parse_redis_uri(value: str) -> str:
  """Empty (no Redis) or a ``redis://[:password@]host[:port][/db]``, ``rediss://`` or ``unix://`` URL."""
  if not value:
    return ""
  parsed = urlparse(value)
  expected = "expected a redis://host:port/db URL (or rediss://, unix:///path), or nothing for no Redis"
  if parsed.scheme not in ("redis", "rediss", "unix"):
    raise ValueError(expected)
  if parsed.scheme == "unix":
    if not parsed.path:
      raise ValueError(expected)
    return value
  try:
    parsed.port  # noqa: B018 - urlparse checks the port only when it is read
  except ValueError:
    raise ValueError(f"{expected}; the port must be a number") from None
  if not parsed.hostname:
    raise ValueError(expected)
  database = parsed.path.strip("/")
  if database and not is_decimal(database):
    raise ValueError(f"{expected}; the database must be a number such as /0")
  return value


def parse_metrics_token(value: str) -> str:
  if value and (len(value) < 8 or any(character.isspace() for character in value)):
    raise ValueError("expected nothing (no protection) or a token of at least 8 characters without spaces")
  return value


def parse_public_url(value: str) -> str:
  """Empty (absolute URLs follow the request) or ``http(s)://host[:port]``, without a trailing slash."""
  if not value:
    return ""
  expected = "expected nothing or the site's public address, such as https://status.example.com"
  parsed = urlparse(value)
  if parsed.scheme not in ("http", "https") or not parsed.hostname:
    raise ValueError(expected)
  try:
    parsed.port  # noqa: B018 - urlparse checks the port only when it is read
  except ValueError:
    raise ValueError(f"{expected}; the port must be a number") from None
  if parsed.username is not None or parsed.password is not None:
    raise ValueError(f"{expected}, without a user name or password")
  if parsed.path not in ("", "/") or parsed.query or parsed.fragment or parsed.params:
    # Pages, redirects and the API all live at the root of the host.
    raise ValueError(f"{expected}, without a path: ProdManager is served at the root of its host")
  return f"{parsed.scheme}://{parsed.netloc.lower()}"


def parse_site_name(value: str) -> str:
  if len(value) > 100 or any(not character.isprintable() for character in value):
    raise ValueError("expected a name of at most 100 printable characters")
  return value


INTEGRATION_SUFFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def parse_integration_suffix(value: str) -> str:
  if value and not INTEGRATION_SUFFIX.match(value):
    raise ValueError("expected letters, digits, '.', '_' or '-' (at most 64 characters), or nothing")
  return value


def parse_plugins(value: str) -> list[str] | None:
  """``*`` (all installed plugins) gives None; otherwise a list of plugin ids."""
  names = value.replace(",", " ").split()
  if names == ["*"] or not names:
    return None
  return names


@dataclass(frozen=True)
class Setting:
  key: str
  env: str
  default: str
  parse: Any = str
  description: str = ""


SETTINGS: tuple[Setting, ...] = (
  Setting(
    "mode",
    "PM_MODE",
    "development",
    parse_choice("development", "production"),
    "development or production; production refuses the default secret",
  ),
  Setting(
    "secret_key",
    "PM_SECRET_KEY",
    DEFAULT_SECRET,
    parse_secret,
    "administrator secret: web login and API token creation",
  ),
  Setting(
    "instance_path",
    "PM_INSTANCE_PATH",
    "instance",
    str,
    "folder holding the SQLite database and other local state",
  ),
  Setting(
    "database_uri",
    "PM_DATABASE_URI",
    "",
    str,
    "SQLAlchemy URL; empty means a SQLite file in the instance folder",
  ),
  Setting(
    "site_name",
    "PM_SITE_NAME",
    "",
    parse_site_name,
    "name of the site in pages, feeds and summary.json; empty means ProdManager",
  ),
  Setting(
    "site_logo",
    "PM_SITE_LOGO",
    "",
    parse_logo,
    "logo shown before the site name: an http(s) URL, an image file, or a path of this site",
  ),
  Setting(
    "public_url",
    "PM_PUBLIC_URL",
    "",
    parse_public_url,
    "canonical public address used in every absolute URL; empty means the request's host",
  ),
  Setting("lang", "PM_LANG", "en", parse_choice(*LANGUAGES), "default language"),
  Setting("timezone", "PM_TIMEZONE", "UTC", parse_timezone, "time zone used to show dates"),
  Setting(
    "legacy_timezone",
    "PM_LEGACY_TIMEZONE",
    "UTC",
    parse_timezone,
    "time zone ProdManager 0.22 ran in: its naive dates are read in it by the upgrade and the import",
  ),
  Setting("session_cookie_name", "PM_SESSION_COOKIE_NAME", "session", str, "name of the session cookie"),
  Setting(
    "proxy_chain_count",
    "PM_PROXY_CHAIN_COUNT",
    "0",
    parse_int(0, 10),
    "number of trusted reverse proxies in front of the application",
  ),
  Setting("custom_css_sheet", "PM_CUSTOM_CSS_SHEET", "", parse_stylesheet, "extra stylesheet URL"),
  Setting("jwt_algorithm", "PM_JWT_ALGORITHM", "HS256", parse_choice(*JWT_ALGORITHMS), "API token algorithm"),
  Setting("jwt_issuer", "PM_JWT_ISSUER", "ProdManager", str, "API token issuer claim"),
  Setting(
    "jwt_max_lifetime_hours",
    "PM_JWT_MAX_LIFETIME_HOURS",
    "",
    parse_max_lifetime,
    "longest validity of an API token, in hours (from not_before_date to expiration_date); "
    "empty means no maximum, as in 0.22",
  ),
  Setting(
    "jwt_accept_legacy",
    "PM_JWT_ACCEPT_LEGACY",
    "true",
    parse_bool,
    "accept API tokens minted by ProdManager 0.22 (signed with PM_SECRET_KEY itself) during the move",
  ),
  Setting("plugins", "PM_PLUGINS", "*", parse_plugins, "plugins to enable: * or a list of ids"),
  Setting("demo", "PM_DEMO", "false", parse_bool, "load demo data at startup"),
  Setting(
    "standalone",
    "PM_STANDALONE",
    "true",
    parse_bool,
    "single-container mode: migrate the database at startup",
  ),
  Setting("robots_allow", "PM_ROBOTS_ALLOW", "false", parse_bool, "let search engines index the site"),
  Setting(
    "redis_uri",
    "PM_REDIS_URI",
    "",
    parse_redis_uri,
    "Redis URL (redis://host:6379/0) shared by the replicas; empty means no Redis",
  ),
  Setting(
    "api_ratelimit_enabled", "PM_API_RATELIMIT_ENABLED", "false", parse_bool, "rate-limit the /api requests"
  ),
  Setting(
    "api_ratelimit_default",
    "PM_API_RATELIMIT_DEFAULT",
    "60",
    parse_int(1, 1_000_000_000),
    "API requests per period for an anonymous client",
  ),
  Setting(
    "api_ratelimit_logged",
    "PM_API_RATELIMIT_LOGGED",
    "1500",
    parse_int(1, 1_000_000_000),
    "API requests per period for a token or a logged-in session",
  ),
  Setting(
    "api_ratelimit_period_hours",
    "PM_API_RATELIMIT_PERIOD_HOURS",
    "1",
    parse_int(1, 24 * 366),
    "length of the API rate limit period, in hours",
  ),
  Setting(
    "login_ratelimit",
    "PM_LOGIN_RATELIMIT",
    "10",
    parse_int(1, 1_000_000),
    "failed logins allowed per client in 15 minutes (always on)",
  ),
  Setting(
    "metrics_token", "PM_METRICS_TOKEN", "", parse_metrics_token, "bearer token required by /metrics when set"
  ),
  Setting(
    "cache_max_age",
    "PM_CACHE_MAX_AGE",
    "60",
    parse_int(0, 86_400),
    "seconds an anonymous answer is kept at most (writes replace it at once); 0 turns the cache off",
  ),
  Setting(
    "response_validation",
    "PM_RESPONSE_VALIDATION",
    "",
    parse_optional_bool,
    "validate API responses against the OpenAPI document; empty means on in development, off in production",
  ),
  # The worker and the pull integrations (prodmanager.integrations, prodmanager.runs).
  Setting(
    "serve_worker",
    "PM_SERVE_WORKER",
    "",
    parse_optional_bool,
    "run the worker (jobs, integrations) in a thread of prodmanager serve; empty means when standalone",
  ),
  Setting(
    "integration_suffix",
    "PM_INTEGRATION_SUFFIX",
    "",
    parse_integration_suffix,
    "integrations process the monitors named <integration>_<suffix> instead of <integration>",
  ),
  Setting(
    "integration_run_timeout",
    "PM_INTEGRATION_RUN_TIMEOUT",
    "300",
    parse_int(1, 86400),
    "seconds an integration run may last; monitors not checked by then count as failed",
  ),
  Setting(
    "integration_concurrency",
    "PM_INTEGRATION_CONCURRENCY",
    "8",
    parse_int(1, 64),
    "monitors an integration checks at once",
  ),
  Setting(
    "integration_stale_after",
    "PM_INTEGRATION_STALE_AFTER",
    "3",
    parse_int(1, 1000),
    "failed checks in a row after which a monitor's page says 'no data since'",
  ),
  Setting(
    "integration_run_retention_days",
    "PM_INTEGRATION_RUN_RETENTION_DAYS",
    "7",
    parse_int(1, 366),
    "days the records of integration runs are kept",
  ),
  # prodmanager serve (waitress): bounds on what one client can hold (slowloris) or send.
  Setting(
    "server_connection_limit",
    "PM_SERVER_CONNECTION_LIMIT",
    "1000",
    parse_int(10, 100_000),
    "open connections prodmanager serve accepts at once (waitress's connection_limit)",
  ),
  Setting(
    "server_channel_timeout",
    "PM_SERVER_CHANNEL_TIMEOUT",
    "30",
    parse_int(1, 3600),
    "seconds a connection may stay silent before prodmanager serve closes it",
  ),
  Setting(
    "server_max_header_bytes",
    "PM_SERVER_MAX_HEADER_BYTES",
    "65536",
    parse_int(4096, 1024 * 1024),
    "largest request line and headers prodmanager serve reads, in bytes",
  ),
)


def secret_warnings(settings: dict[str, Any]) -> list[str]:
  """What is weak about the administrator secret, to be shown at startup in production mode."""
  secret = settings["prodmanager.secret_key"]
  if settings["prodmanager.mode"] != "production" or len(secret) >= SHORT_SECRET:
    return []
  return [
    f"PM_SECRET_KEY is only {len(secret)} characters long: anyone who guesses it can log in and mint "
    f"API tokens with every permission, and the session and token keys are derived from it. Set a "
    f"random value of at least {SHORT_SECRET} characters (such as the output of "
    f"`python -c 'import secrets; print(secrets.token_urlsafe(32))'`); changing it logs every "
    f"session out and invalidates every API token."
  ]


def read_settings(
  ini_settings: dict[str, str], environ: dict[str, str] | None = None, errors: list[str] | None = None
) -> dict[str, Any]:
  """Merge INI settings, environment variables and defaults into parsed ``prodmanager.*`` settings.

  The environment wins over the INI file. Every error is collected so that an administrator sees
  all of them at once: they raise :class:`ConfigurationError`, or, when an ``errors`` list is
  given, are appended to it while the default stands in for each bad value (so that the plugins'
  settings can be read too and reported in the same message, see :func:`check_settings`).
  """
  environ = os.environ if environ is None else environ
  parsed: dict[str, Any] = {}
  found = []
  for setting in SETTINGS:
    ini_key = f"prodmanager.{setting.key}"
    raw = environ.get(setting.env, ini_settings.get(ini_key, setting.default))
    try:
      parsed[ini_key] = setting.parse(raw.strip() if isinstance(raw, str) else raw)
    except ValueError as error:
      source = setting.env if setting.env in environ else ini_key
      found.append(f"{source}={raw!r}: {error}")
      parsed[ini_key] = setting.parse(setting.default)
  if (
    parsed["prodmanager.mode"] == "production" and parsed["prodmanager.secret_key"].lower() == DEFAULT_SECRET
  ):
    found.append(
      "PM_SECRET_KEY: the default secret 'changeit' (in any letter case) is refused in production "
      "mode; set a long random value"
    )
  instance = Path(parsed["prodmanager.instance_path"]).resolve()
  parsed["prodmanager.instance_path"] = str(instance)
  default_file = instance / DEFAULT_SQLITE_FILE
  if not default_file.exists() and (instance / LEGACY_SQLITE_FILE).is_file():
    # An instance folder of ProdManager 0.22 (its volume, kept): its database is the one to use,
    # upgraded in place in standalone mode (docs/upgrading.md, "Their data").
    default_file = instance / LEGACY_SQLITE_FILE
  default_uri = f"sqlite:///{default_file}"
  uri = parsed["prodmanager.database_uri"] or default_uri
  try:
    parsed["prodmanager.database_uri"] = parse_database_uri(uri)
  except ValueError as error:
    found.append(f"PM_DATABASE_URI={uri!r}: {error}")
    parsed["prodmanager.database_uri"] = default_uri
  if errors is not None:
    errors.extend(found)
  elif found:
    raise ConfigurationError(invalid_configuration(found))
  return parsed


def invalid_configuration(errors: list[str]) -> str:
  return "Invalid configuration:\n  " + "\n  ".join(errors)


# -- settings declared with add_setting ------------------------------------------------------------

CONVERTERS: dict[Any, Callable[[str], Any]] = {
  str: str,
  bool: parse_bool,
  int: parse_int(-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class DeclaredSetting:
  """A setting declared with :func:`add_setting`; ``parse(raw)`` raises ValueError on a bad value."""

  name: str
  env: str | None
  default: str
  parse: Callable[[str], Any]
  description: str
  secret: bool


class PluginSettings:
  """The settings declared with :func:`add_setting`, in declaration order, with what
  :func:`check_settings` reads them from: the raw INI settings and the core's bad values."""

  def __init__(self):
    self.declared: dict[str, DeclaredSetting] = {}
    self.ini: dict[str, str] = {}
    self.core_errors: list[str] = []

  def add(self, setting: DeclaredSetting) -> None:
    self.declared[setting.name] = setting

  def __iter__(self) -> Iterator[DeclaredSetting]:
    return iter(self.declared.values())

  def __len__(self) -> int:
    return len(self.declared)

  def raw_value(self, setting: DeclaredSetting, environ: dict[str, str]) -> tuple[str, str]:
    """The raw text of a declared setting and where it comes from: ``environment``, ``INI`` or ``default``."""
    if setting.env is not None and setting.env in environ:
      return environ[setting.env], "environment"
    if setting.name in self.ini:
      return self.ini[setting.name], "INI"
    return setting.default, "default"


def add_setting(
  config,
  name: str,
  *,
  env: str | None = None,
  type: Callable[[str], Any] = str,  # noqa: A002 - the directive's documented argument name
  default: str = "",
  validate: Callable[[Any], None] | None = None,
  description: str = "",
  secret: bool = False,
) -> None:
  """Declare a setting: the INI key ``name`` (``prodmanager.<plugin>.<key>`` by convention), which the
  environment variable ``env`` (``PM_<PLUGIN>_<KEY>``; None: INI only) overrides when set.

  ``type`` parses the raw text: ``str``, ``int``, ``bool`` (true/false, yes/no, on/off, 1/0) or
  any callable raising ValueError with a message; ``validate(value)`` may refuse the parsed value
  with a ValueError too. ``default`` is raw text, parsed like a configured value. When the
  configuration is complete the value is parsed into ``registry.settings[name]``; a bad value
  stops startup, naming the variable (or INI key), together with every other bad setting.
  ``secret`` hides the value in messages and in :func:`settings_report`.
  """
  core_keys = {f"prodmanager.{setting.key}" for setting in SETTINGS}
  core_env = {setting.env: f"prodmanager.{setting.key}" for setting in SETTINGS}
  if name in core_keys:
    raise ConfigurationError(f"add_setting: {name!r} is a core setting")
  if env is not None and env in core_env:
    raise ConfigurationError(
      f"add_setting {name!r}: {env} is the variable of the core setting {core_env[env]}"
    )
  converter = CONVERTERS.get(type, type)

  def parse(raw: str) -> Any:
    value = converter(raw.strip() if isinstance(raw, str) else raw)
    if validate is not None:
      validate(value)
    return value

  setting = DeclaredSetting(name, env, default, parse, description, secret)
  register(
    config,
    ("prodmanager.setting", name),
    lambda: app_state(config.registry).settings.add(setting),
    what="settings",
    title=name,
    order=ORDER_DECLARE,
    env=env,
    default=default,
    description=description,
  )
  if env is not None:
    # A second claim: two settings may not share a variable either.
    register(
      config, ("prodmanager.setting_env", env), None, what="setting variables", title=env, setting=name
    )


def check_settings(registry, environ: dict[str, str] | None = None) -> None:
  """Parse every declared setting into ``registry.settings``; raise one ConfigurationError listing
  the core's bad values (kept by ``make_config``) and the declared settings' together."""
  environ = os.environ if environ is None else environ
  declared = app_state(registry).settings
  errors = list(declared.core_errors)
  for setting in declared:
    raw, source = declared.raw_value(setting, environ)
    try:
      registry.settings[setting.name] = setting.parse(raw)
    except ValueError as error:
      shown = "(hidden)" if setting.secret else repr(raw)
      where = {"environment": setting.env, "INI": setting.name, "default": f"{setting.name} (default)"}[
        source
      ]
      errors.append(f"{where}={shown}: {error}")
  if errors:
    raise ConfigurationError(invalid_configuration(errors))


HIDDEN_CORE = ("secret_key", "metrics_token")


def settings_report(registry, environ: dict[str, str] | None = None) -> list[str]:
  """One line per setting, the core's then the declared ones: INI key, variable, parsed value and
  where it comes from (secrets hidden). Logged by ``prodmanager serve`` at startup."""
  environ = os.environ if environ is None else environ
  declared = app_state(registry).settings
  settings = registry.settings
  lines = []
  for core in SETTINGS:
    key = f"prodmanager.{core.key}"
    source = "environment" if core.env in environ else "INI" if key in declared.ini else "default"
    value = "(hidden)" if core.key in HIDDEN_CORE and settings.get(key) else repr(settings.get(key))
    lines.append(f"{key} ({core.env}) = {value} [{source}]")
  for setting in declared:
    _raw, source = declared.raw_value(setting, environ)
    value = "(hidden)" if setting.secret else repr(settings.get(setting.name))
    lines.append(f"{setting.name} ({setting.env or 'INI only'}) = {value} [{source}]")
  return lines


def includeme(config):
  app_state(config.registry).settings = PluginSettings()
  config.add_directive("add_setting", add_setting)
