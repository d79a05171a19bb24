"""The replicas' locks (prodmanager.locks): one holder at a time, on every backend."""

import os

import pytest

from prodmanager.locks import advisory_key, lock_backend, try_lock
from prodmanager.testing import REDIS_TEST_URI, missing_service

# The lock does not depend on the rows of the test database.


def test_one_holder_at_a_time_on_the_database(registry):
  expected = {"sqlite": "sqlite", "postgresql": "postgresql"}[app_state_dialect(registry)]
  assert lock_backend(registry) == expected
  with try_lock(registry, "test:one", 60) as first:
    with try_lock(registry, "test:one", 60) as second, try_lock(registry, "test:other", 60) as other:
      assert (first, second, other) == (True, False, True)
  with try_lock(registry, "test:one", 60) as again:
    assert again


def test_a_lock_is_released_when_its_block_raises(registry):
  with pytest.raises(RuntimeError), try_lock(registry, "test:raises", 60):
    raise RuntimeError("the run failed")
  with try_lock(registry, "test:raises", 60) as held:
    assert held


@pytest.fixture
def redis_registry(registry, monkeypatch):
  from prodmanager.testing import _redis_unavailable

  reason = _redis_unavailable()
  if reason:
    missing_service(reason)
  monkeypatch.setitem(registry.settings, "prodmanager.redis_uri", REDIS_TEST_URI)
  return registry


def test_redis_holds_the_lock_when_configured(redis_registry):
  import redis

  assert lock_backend(redis_registry) == "redis"
  client = redis.Redis.from_url(REDIS_TEST_URI)
  name = f"test:redis:{os.getpid()}"
  try:
    with try_lock(redis_registry, name, 30) as first:
      assert client.pttl(f"prodmanager:lock:{name}") > 0
      with try_lock(redis_registry, name, 30) as second:
        assert (first, second) == (True, False)
    assert client.get(f"prodmanager:lock:{name}") is None
  finally:
    client.delete(f"prodmanager:lock:{name}")
    client.close()


def test_an_unreachable_redis_falls_back_to_the_database_lock(registry, monkeypatch, caplog):
  monkeypatch.setitem(registry.settings, "prodmanager.redis_uri", "redis://127.0.0.1:1/0")
  with try_lock(registry, "test:fallback", 60) as held:
    assert held
  assert "Redis unreachable" in caplog.text


def test_advisory_keys_are_stable_signed_64_bit_numbers():
  assert advisory_key("integration:http") == advisory_key("integration:http")
  assert advisory_key("integration:http") != advisory_key("integration:dns")
  assert -(2**63) <= advisory_key("job:x") < 2**63


def app_state_dialect(registry) -> str:
  from prodmanager.state import app_state

  return app_state(registry).db_engine.dialect.name
