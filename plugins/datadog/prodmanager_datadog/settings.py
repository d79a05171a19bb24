"""The datadog integration's settings: 0.22's variables (``DD_API_KEY``, ``DD_APPLICATION_KEY``,
``DD_SITE``, ``DD_MONITOR_HOSTNAME``) and three of its own (``DD_API_URL``, ``DD_PROXY_HTTPS``,
``DD_TIMEOUT``). The keys may stay empty: a Datadog run then fails with a configuration error in its
record, and an installation that never uses Datadog starts as before."""

import re
from urllib.parse import urlsplit

SETTINGS = (
  "prodmanager.datadog.api_key",
  "prodmanager.datadog.application_key",
  "prodmanager.datadog.site",
  "prodmanager.datadog.monitor_hostname",
  "prodmanager.datadog.api_url",
  "prodmanager.datadog.proxy",
  "prodmanager.datadog.timeout",
)
DEFAULT_SITE = "datadoghq.com"
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"^{LABEL}(?:\.{LABEL})+$")
HOST_AND_PORT = re.compile(rf"^{LABEL}(?:\.{LABEL})*(?::\d{{1,5}})?$")


def parse_site(value: str) -> str:
  value = value.lower()
  if not HOST_NAME.match(value):
    raise ValueError("expected a Datadog site such as datadoghq.com, datadoghq.eu or us5.datadoghq.com")
  return value


def parse_hostname(value: str) -> str:
  value = value.lower()
  if value and not HOST_AND_PORT.match(value):
    raise ValueError("expected a host name such as app.datadoghq.com (no scheme, no path), or nothing")
  return value


def parse_url(value: str) -> str:
  """The API's base URL, without a trailing slash; the client appends ``/api/v1/...`` to it."""
  value = value.rstrip("/")
  if not value:
    return ""
  parts = urlsplit(value)
  if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
    raise ValueError("expected the API's base URL such as https://api.datadoghq.eu, or nothing")
  return value


def parse_proxy(value: str) -> str:
  """A proxy URL; ``proxy:3128`` (as many environments write it) means ``http://proxy:3128``."""
  if value and "://" not in value:
    value = f"http://{value}"
  if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname):
    raise ValueError("expected a proxy URL such as http://proxy:3128, or nothing")
  return value


def parse_timeout(value: str) -> float:
  try:
    seconds = float(value)
  except ValueError:
    raise ValueError("expected a number of seconds") from None
  if not 0 < seconds <= 300:
    raise ValueError("expected a number of seconds between 0 and 300")
  return seconds


def declare_settings(config) -> None:
  config.add_setting(
    "prodmanager.datadog.api_key",
    env="DD_API_KEY",
    secret=True,
    description="Datadog API key (with DD_APPLICATION_KEY: needed to read the monitors)",
  )
  config.add_setting(
    "prodmanager.datadog.application_key",
    env="DD_APPLICATION_KEY",
    secret=True,
    description="Datadog application key, allowed to read monitors (scope monitors_read)",
  )
  config.add_setting(
    "prodmanager.datadog.site",
    env="DD_SITE",
    type=parse_site,
    default=DEFAULT_SITE,
    description="Datadog site of the account: its API is https://api.<site>",
  )
  config.add_setting(
    "prodmanager.datadog.monitor_hostname",
    env="DD_MONITOR_HOSTNAME",
    type=parse_hostname,
    default="",
    description="host of the monitors' links https://<host>/monitors/<id> (empty: DD_SITE, as in 0.22)",
  )
  config.add_setting(
    "prodmanager.datadog.api_url",
    env="DD_API_URL",
    type=parse_url,
    default="",
    description="base URL of the Datadog API in place of https://api.<DD_SITE> (a relay)",
  )
  # Its own variable: HTTPS_PROXY is the http plugin's setting, and two settings may not share one.
  config.add_setting(
    "prodmanager.datadog.proxy",
    env="DD_PROXY_HTTPS",
    type=parse_proxy,
    default="",
    description="proxy of the calls to the Datadog API",
  )
  config.add_setting(
    "prodmanager.datadog.timeout",
    env="DD_TIMEOUT",
    type=parse_timeout,
    default="10",
    description="seconds one call to the Datadog API may take",
  )
