"""docs/integrations.md covers every first-party pull integration: its own section, each of its
settings with its variable, and its ``PM_<NAME>_INTERVAL`` in the scheduling paragraph (which once
forgot ``PM_DATADOG_INTERVAL``); and the 0.22 variables of its users (docs/upgrading.md)."""

import re
from pathlib import Path

import pytest

from prodmanager.state import app_state
from prodmanager.testing import make_app

pytestmark = pytest.mark.one_backend

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "integrations.md").read_text(encoding="utf-8")
FIRST_PARTY = ("datadog", "dns", "http", "jenkins")
# 0.22's integrations read these variables (ProdManager/integrations/*/update_monitors.py).
VARIABLES_022 = {
  "datadog": ("DD_API_KEY", "DD_APPLICATION_KEY", "DD_SITE", "DD_MONITOR_HOSTNAME"),
  "dns": ("DNS_NAMESERVERS", "DNS_PORT"),
  "http": ("HTTP_PROXY", "HTTPS_PROXY", "HTTP_TIMEOUT", "HTTP_VERIFY_CERT", "HTTP_ALLOW_REDIRECT"),
  "jenkins": ("JENKINS_URL", "JENKINS_USERNAME", "JENKINS_TOKEN"),
}


def section(title: str) -> str:
  match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", PAGE, re.S | re.M)
  assert match, f"docs/integrations.md has no section {title!r}"
  return match.group(1)


@pytest.fixture(scope="module")
def registry(database_uri, tmp_path_factory, enabled_plugins):
  settings = {"database_uri": database_uri, "instance_path": str(tmp_path_factory.mktemp("instance"))}
  return make_app(sorted({*enabled_plugins, *FIRST_PARTY}), settings).registry


@pytest.mark.parametrize("name", FIRST_PARTY)
def test_each_integration_has_its_section_with_every_setting(registry, name):
  integrations = {integration.name: integration for integration in app_state(registry).integrations}
  integration = integrations[name]
  text = section(f"`{name}`")
  declared = {setting.name: setting for setting in app_state(registry).settings}
  for key in (*integration.settings, integration.interval_setting):
    setting = declared[key]
    row = f"| `{key}` | `{setting.env}` |"
    assert row in text, f"the {name} section has no row {row!r}"
  assert f"`PM_{name.upper()}_INTERVAL`" in section("Scheduling")


@pytest.mark.parametrize("name", FIRST_PARTY)
def test_0_22_variables_are_declared_settings(registry, name):
  variables = {setting.env for setting in app_state(registry).settings}
  assert set(VARIABLES_022[name]) <= variables
  assert "PM_INTEGRATION_SUFFIX" in PAGE
