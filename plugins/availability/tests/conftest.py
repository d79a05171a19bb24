"""The availability plugin's tests run with it enabled, beside the plugins the suite pins.

The core's suite leaves this plugin out (``prodmanager_plugins`` in pyproject.toml), so that the
objects of the other plugins' tests keep their shapes; the session fixtures here give this folder
its own application on the same migrated database, as the alerthooks plugin's tests do.
"""

import datetime as dt

import pytest

# Imported fixtures are registered again for this folder, with caches of their own.
from prodmanager.testing import app_settings, factories, registry, wsgi_app  # noqa: F401
from prodmanager_monitor.models import MonitorStatus, MonitorStatusChange


@pytest.fixture(scope="session")
def enabled_plugins(pytestconfig) -> list[str]:
  return sorted({*pytestconfig.getini("prodmanager_plugins"), "availability"})


@pytest.fixture
def history(make):
  """``history(monitor, [(when, "alert"), ...])``: status history rows written directly (the first
  one with no old status), in the order given, which need not be time order."""

  def add(monitor, changes, previous=None):
    for when, status in changes:
      make.add(
        MonitorStatusChange(
          monitor_id=monitor.id,
          old_status=MonitorStatus(previous) if previous else None,
          new_status=MonitorStatus(status),
          changed_at=when,
        )
      )
      previous = status

  return add


@pytest.fixture
def today() -> dt.date:
  return dt.datetime.now(dt.UTC).date()
