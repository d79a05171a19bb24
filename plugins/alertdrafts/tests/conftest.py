"""The alertdrafts plugin's tests run with it enabled, with the alert hooks (alerts arriving as in
production) and the notifications (to see when an incident's notification is written).

The core's suite leaves these plugins out (``prodmanager_plugins`` in pyproject.toml); the session
fixtures here give this folder its own application on the same migrated database. Drafts are
opened for the monitors of the ``http`` and ``alertmanager`` integrations (PM_ALERT_DRAFTS).
"""

import pytest

# Imported fixtures are registered again for this folder, with caches of their own.
from prodmanager.testing import TEST_SECRET, factories, registry, wsgi_app  # noqa: F401

SOURCES = "http, alertmanager"


@pytest.fixture(scope="session")
def enabled_plugins(pytestconfig) -> list[str]:
  return sorted({*pytestconfig.getini("prodmanager_plugins"), "alertdrafts", "alerthooks", "notification"})


@pytest.fixture(scope="session")
def app_settings(database_uri, enabled_plugins, tmp_path_factory) -> dict:
  return {
    "prodmanager.database_uri": database_uri,
    "prodmanager.secret_key": TEST_SECRET,
    "prodmanager.instance_path": str(tmp_path_factory.mktemp("instance")),
    "prodmanager.plugins": " ".join(enabled_plugins),
    "prodmanager.alertdrafts.sources": SOURCES,
  }
