"""A service the tests need (PostgreSQL, Redis, the prod-manager client) missing: a skip with its
reason on a developer's machine, a failure in CI (``CI=true``), and the report header says which
services answered."""

import pytest

from prodmanager import testing


def test_a_missing_service_skips_outside_ci(monkeypatch):
  monkeypatch.delenv("CI", raising=False)
  with pytest.raises(pytest.skip.Exception, match="Redis is not reachable"):
    testing.missing_service("Redis is not reachable at redis://nowhere")


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_a_missing_service_fails_in_ci(monkeypatch, value):
  monkeypatch.setenv("CI", value)
  with pytest.raises(pytest.fail.Exception, match="Redis is not reachable.*CI=true"):
    testing.missing_service("Redis is not reachable at redis://nowhere")


def test_the_report_header_names_postgresql_redis_and_ci(monkeypatch):
  monkeypatch.setattr(testing, "REDIS_TEST_URI", "redis://127.0.0.1:1/0")
  monkeypatch.setenv("CI", "true")
  lines = testing.pytest_report_header(None)
  assert any(line.startswith("prodmanager: PostgreSQL ") for line in lines)
  assert any(
    line.startswith("prodmanager: Redis UNAVAILABLE — Redis is not reachable at redis://127.0.0.1:1/0")
    for line in lines
  )
  assert "prodmanager: CI=true (a missing service fails the run)" in lines


def test_the_tests_redis_comes_from_pm_test_redis():
  import os

  assert testing.REDIS_TEST_URI == os.environ.get("PM_TEST_REDIS", "redis://127.0.0.1:6379/15")
