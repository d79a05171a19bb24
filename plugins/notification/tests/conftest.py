"""The notification plugin's tests run with it enabled, beside the plugins the suite pins.

The core's suite pins the first-party plugins it was written for (``prodmanager_plugins`` in
pyproject.toml) and leaves this plugin out, so that its links, panels and mails never change the
core's results. As in the example plugin's tests, the session fixtures defined here give this
folder its own application (with the plugin, sending mail to a real local SMTP server) on the same
migrated database.
"""

import pytest

# Imported fixtures are registered again for this folder, with caches of their own.
from prodmanager.testing import TEST_SECRET, factories, registry, wsgi_app  # noqa: F401
from prodmanager_notification.delivery import deliver_due
from prodmanager_notification.testing import SmtpServer

PUBLIC_URL = "http://localhost"


@pytest.fixture(scope="session")
def enabled_plugins(pytestconfig) -> list[str]:
  return sorted({*pytestconfig.getini("prodmanager_plugins"), "notification"})


@pytest.fixture(scope="session")
def smtp_server():
  """A real SMTP server (aiosmtpd) for the whole session; each test starts with no message."""
  server = SmtpServer()
  server.start()
  yield server
  server.stop()


@pytest.fixture(scope="session")
def app_settings(database_uri, enabled_plugins, tmp_path_factory, smtp_server) -> dict:
  return {
    "prodmanager.database_uri": database_uri,
    "prodmanager.secret_key": TEST_SECRET,
    "prodmanager.instance_path": str(tmp_path_factory.mktemp("instance")),
    "prodmanager.plugins": " ".join(enabled_plugins),
    **smtp_server.settings(),
  }


@pytest.fixture
def smtp(smtp_server):
  """The SMTP server, emptied (and running) for this test."""
  if smtp_server.controller is None:
    smtp_server.start()
  smtp_server.take()
  yield smtp_server
  if smtp_server.controller is None:
    smtp_server.start()


@pytest.fixture
def deliver(registry, connection):  # noqa: F811 - the registry fixture imported above
  """``deliver()``: what the worker does once (every due delivery), on the test's connection."""

  def run(**kwargs):
    return deliver_due(registry, **kwargs)

  return run
