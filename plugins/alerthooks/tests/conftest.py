"""The alerthooks plugin's tests run with it enabled, beside the plugins the suite pins.

The core's suite leaves this plugin out (``prodmanager_plugins`` in pyproject.toml) so that its
paths never change the core's API document; the session fixtures here give this folder its own
application on the same migrated database, as the notification plugin's tests do.
"""

import pytest

# Imported fixtures are registered again for this folder, with caches of their own.
from prodmanager.testing import app_settings, factories, registry, wsgi_app  # noqa: F401


@pytest.fixture(scope="session")
def enabled_plugins(pytestconfig) -> list[str]:
  return sorted({*pytestconfig.getini("prodmanager_plugins"), "alerthooks"})
