"""Fixtures of the announcement tests: ``world``, ``make`` and ``domain_events`` come from
prodmanager.testing (with the factories of prodmanager_announcement.testing); here, the expected
JSON shape."""

import pytest

from prodmanager_announcement.testing import expected_announcement


@pytest.fixture
def expected():
  return expected_announcement
