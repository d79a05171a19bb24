"""The jenkins integration's settings: 0.22's variables (``JENKINS_URL``, ``JENKINS_USERNAME``,
``JENKINS_TOKEN``) and two that 0.22 did not have (``JENKINS_TIMEOUT``, ``JENKINS_VERIFY_CERT``).

None of them is required to start: ``PM_PLUGINS=*`` enables this plugin on every installation, and
one that feeds no monitor from Jenkins must not need a Jenkins address. A run that has monitors to
check without ``JENKINS_URL`` fails with that message in its record (see checks.open_client).
"""

import os
from urllib.parse import urlsplit

from prodmanager.settings import parse_bool

SETTINGS = (
  "prodmanager.jenkins.url",
  "prodmanager.jenkins.username",
  "prodmanager.jenkins.token",
  "prodmanager.jenkins.timeout",
  "prodmanager.jenkins.verify_cert",
)


def parse_url(value: str) -> str:
  """Jenkins's base URL (``https://ci.example.com/`` or ``https://example.com/jenkins``), or nothing."""
  if not value:
    return ""
  parts = urlsplit(value)
  if parts.scheme not in ("http", "https") or not parts.hostname:
    raise ValueError("expected the http:// or https:// address of Jenkins, such as https://ci.example.com/")
  if parts.query or parts.fragment:
    raise ValueError("expected the address of Jenkins without ?query or #fragment")
  return value.rstrip("/")


def parse_timeout(value: str) -> float:
  try:
    seconds = float(value)
  except ValueError:
    raise ValueError("expected a number of seconds") from None
  if not 0 < seconds <= 120:
    raise ValueError("expected a number of seconds between 0 and 120")
  return seconds


def parse_verify(value: str) -> bool | str:
  """``true``/``false``, or the path of a PEM file of the certificate authorities to trust (a
  Jenkins behind a company CA): the process's own trust settings never apply (see checks)."""
  try:
    return parse_bool(value)
  except ValueError:
    pass
  if not os.path.isfile(value):
    raise ValueError("expected true, false or the path of a CA bundle (PEM file) that exists")
  return value


def declare_settings(config) -> None:
  config.add_setting(
    "prodmanager.jenkins.url",
    env="JENKINS_URL",
    type=parse_url,
    default="",
    description="base address of Jenkins (https://ci.example.com/); needed once a monitor's integration is jenkins",
  )
  config.add_setting(
    "prodmanager.jenkins.username",
    env="JENKINS_USERNAME",
    default="",
    description="Jenkins user the integration logs in as (empty: anonymous read access)",
  )
  config.add_setting(
    "prodmanager.jenkins.token",
    env="JENKINS_TOKEN",
    default="",
    secret=True,
    description="API token of JENKINS_USERNAME (Jenkins: user menu, Security, API Token)",
  )
  config.add_setting(
    "prodmanager.jenkins.timeout",
    env="JENKINS_TIMEOUT",
    type=parse_timeout,
    default="10",
    description="seconds a Jenkins API call waits for the connection and for each read",
  )
  config.add_setting(
    "prodmanager.jenkins.verify_cert",
    env="JENKINS_VERIFY_CERT",
    type=parse_verify,
    default="true",
    description="verify Jenkins's TLS certificate: true, false, or the path of a CA bundle to trust",
  )
