"""The example plugin's tests run with it enabled.

The core's ``enabled_plugins`` fixture leaves the example plugin out, so that the rest of the suite
sees the first-party plugins only. Overriding ``enabled_plugins`` alone is not enough when both run
in one pytest session: pytest computes a session fixture once, so the core's ``app_settings``,
``wsgi_app`` and ``registry`` would be shared by whichever tests come first. Importing them here
gives this folder its own cache entries: its own application, on the same migrated database.
(A third-party plugin tested in its own repository needs none of this: the default already enables
every installed plugin but the example.)
"""

import pytest

# Imported fixtures are registered again for this folder, with caches of their own.
from prodmanager.testing import app_settings, registry, wsgi_app  # noqa: F401


@pytest.fixture(scope="session")
def enabled_plugins() -> list[str]:
  from prodmanager.plugins import installed_plugins

  installed = sorted(installed_plugins())
  if "example" not in installed:
    pytest.fail(
      "the example plugin is not installed: run `make install-test` "
      "(or `pip install -e tests/example_plugin`)",
      pytrace=False,
    )
  return installed
