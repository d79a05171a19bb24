"""The example plugin's tests run with it enabled, beside the plugins the suite pins.

The core's ``enabled_plugins`` fixture gives the pinned first-party plugins (``prodmanager_plugins``
in pyproject.toml), which leave the example plugin out. Overriding ``enabled_plugins`` alone is not
enough when both run in one pytest session: pytest computes a session fixture once, so the core's
``app_settings``, ``wsgi_app`` and ``registry`` would be shared by whichever tests come first.
Importing them here gives this folder its own cache entries: its own application, on the same
migrated database. (A third-party plugin tested in its own repository needs none of this: it pins
its own list, or takes every installed plugin that is enabled by default.)
"""

import pytest

# Imported fixtures are registered again for this folder, with caches of their own.
from prodmanager.testing import app_settings, factories, registry, wsgi_app  # noqa: F401


@pytest.fixture(scope="session")
def enabled_plugins(pytestconfig) -> list[str]:
  from prodmanager.plugins import installed_plugins

  if "example" not in installed_plugins():
    pytest.fail(
      "the example plugin is not installed: run `make install-test` "
      "(or `pip install -e tests/example_plugin`)",
      pytrace=False,
    )
  return sorted({*pytestconfig.getini("prodmanager_plugins"), "example"})
