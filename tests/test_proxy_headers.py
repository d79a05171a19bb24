"""X-Forwarded-For decides the client's address only N hops from the application, and never
through WebOb's ``client_addr`` (its first entry, which the client writes): the secret throttle
cannot be escaped by forging the header."""

import pytest

from prodmanager.testing import TEST_SECRET

PROXY = "192.0.2.10"


def wrong_secret(client, forwarded_for: str | None) -> int:
  headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
  response = client.post_json(
    "/api/token/create",
    {"secret": "wrong-secret", "name": "t", "description": "d", "permissions": []},
    headers=headers,
    extra_environ={"REMOTE_ADDR": PROXY},
    expect_errors=True,
  )
  return response.status_int


@pytest.fixture
def throttled_app(build_app, connection):
  def build(**overrides):
    # On the test's connection like every application of the test (prodmanager.testing).
    return build_app(login_ratelimit="2", **overrides)

  return build


def test_forged_forwarded_for_without_trusted_proxies_changes_nothing(throttled_app):
  client = throttled_app()
  statuses = [wrong_secret(client, f"203.0.113.{number}") for number in range(4)]
  assert statuses == [400, 400, 429, 429]


def test_a_client_cannot_prepend_addresses_before_the_trusted_hop(throttled_app):
  client = throttled_app(proxy_chain_count="1")
  statuses = [wrong_secret(client, f"198.51.100.{number}, 203.0.113.9") for number in range(3)]
  assert statuses == [400, 400, 429]
  # Another client behind the same proxy has its own allowance.
  assert wrong_secret(client, "198.51.100.1, 203.0.113.10") == 400


def test_the_right_secret_is_still_accepted_from_another_forwarded_client(throttled_app):
  client = throttled_app(proxy_chain_count="1")
  for _ in range(3):
    wrong_secret(client, "203.0.113.11")
  response = client.post_json(
    "/api/token/create",
    {"secret": TEST_SECRET, "name": "proxytok1", "description": "a proxied token", "permissions": []},
    headers={"X-Forwarded-For": "203.0.113.12"},
    extra_environ={"REMOTE_ADDR": PROXY},
  )
  assert response.json.count(".") == 2  # a JWT
