"""The example plugin's tests run with it enabled.

The core's ``enabled_plugins`` fixture leaves the example plugin out, so that the rest of the suite
sees the first-party plugins only. Overriding ``enabled_plugins`` alone is not enough when both run
in one pytest session: pytest computes a session fixture once, so the core's ``app_settings``,
``wsgi_app`` and ``registry`` would be shared by whichever tests come first. Defining them here too
gives this folder its own cache entries: its own application, on the same migrated database.
(A third-party plugin tested in its own repository needs none of this: the default already enables
every installed plugin but the example.)
"""

import os

import pytest

from prodmanager.testing import TEST_SECRET


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


@pytest.fixture(scope="session")
def app_settings(database_uri, enabled_plugins, tmp_path_factory) -> dict:
  # As the core's fixture does: the machine's PM_* variables (PM_PLUGINS...) would win over these.
  for key in [key for key in os.environ if key.startswith("PM_") and not key.startswith("PM_TEST_")]:
    del os.environ[key]
  return {
    "prodmanager.database_uri": database_uri,
    "prodmanager.secret_key": TEST_SECRET,
    "prodmanager.instance_path": str(tmp_path_factory.mktemp("instance")),
    "prodmanager.plugins": " ".join(enabled_plugins),
  }


@pytest.fixture(scope="session")
def wsgi_app(app_settings):
  from prodmanager import main

  return main({}, **app_settings)


@pytest.fixture(scope="session")
def registry(wsgi_app):
  return wsgi_app.registry
