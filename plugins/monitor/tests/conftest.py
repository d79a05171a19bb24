"""Fixtures of the monitor tests: ``world`` and ``make`` come from prodmanager.testing (with the
factories of prodmanager_monitor.testing); here, the expected JSON shape."""

import pytest

from prodmanager_monitor.testing import expected_monitor


@pytest.fixture
def expected():
  return expected_monitor
