"""The notification plugin's tests run with it enabled, beside the plugins the suite pins.

The core's suite pins the first-party plugins it was written for (``prodmanager_plugins`` in
pyproject.toml) and leaves this plugin out, so that its links, panels and mails never change the
core's results. As in the example plugin's tests, importing the session fixtures here gives this
folder its own application (with the plugin) on the same migrated database.
"""

import pytest

# Imported fixtures are registered again for this folder, with caches of their own.
from prodmanager.testing import app_settings, factories, registry, wsgi_app  # noqa: F401


@pytest.fixture(scope="session")
def enabled_plugins(pytestconfig) -> list[str]:
  return sorted({*pytestconfig.getini("prodmanager_plugins"), "notification"})
