"""``prodmanager serve`` itself, as a subprocess: forwarded headers reach the application behind
trusted proxies (issue 8 item 3), and waitress's limits stop slowloris and oversized requests
before the application is involved (item 9)."""

import http.client
import re
import socket
from contextlib import ExitStack
from urllib.parse import urlencode, urlsplit

import pytest

from prodmanager.cli.serve import waitress_options
from prodmanager.settings import read_settings
from prodmanager.testing import TEST_SECRET, running_server
from prodmanager.tweens import MAX_BODY_BYTES

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "status.example.com"}
TIMEOUT = 20  # seconds before a request that gets no answer fails the test


@pytest.fixture(scope="module")
def server(tmp_path_factory, enabled_plugins):
  """A server behind one trusted proxy, with the default limits and 2 failed logins per client."""
  folder = tmp_path_factory.mktemp("serve")
  env = {
    "PM_INSTANCE_PATH": str(folder / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_DEMO": "false",
    "PM_STANDALONE": "true",
    "PM_PLUGINS": " ".join(enabled_plugins),
    "PM_PROXY_CHAIN_COUNT": "1",
    "PM_LOGIN_RATELIMIT": "2",
  }
  with running_server(folder, env) as url:
    parts = urlsplit(url)
    yield parts.hostname, parts.port


def send(server, method, path, headers=None, body=None):
  connection = http.client.HTTPConnection(*server, timeout=TIMEOUT)
  try:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()
  finally:
    connection.close()


def forwarded_for(client: str) -> dict:
  return {**FORWARDED, "X-Forwarded-For": f"198.51.100.1, {client}"}


# -- item 3: behind a TLS proxy -------------------------------------------------------------------


def test_secure_cookie_and_hsts_behind_a_tls_proxy(server):
  response, _ = send(server, "GET", "/login", forwarded_for("203.0.113.5"))
  assert response.status == 200
  assert "secure" in response.getheader("Set-Cookie").lower()
  assert response.getheader("Strict-Transport-Security").startswith("max-age=")


def test_links_and_redirects_use_the_forwarded_scheme_and_host(server):
  response, _ = send(server, "GET", "/scope/create", forwarded_for("203.0.113.5"))
  assert response.status == 303
  assert response.getheader("Location") == "https://status.example.com/login?next=%2Fscope%2Fcreate"
  _, page = send(server, "GET", "/api", forwarded_for("203.0.113.5"))
  assert b"https://status.example.com/api/openapi.json" in page


def test_forwarded_headers_from_an_untrusted_position_are_not_taken(server):
  # Only the last hop counts: a client cannot claim another address by prepending one.
  response, _ = send(server, "GET", "/login")
  assert response.getheader("Strict-Transport-Security") is None


def failed_login(server, client: str) -> int:
  headers = forwarded_for(client)
  response, page = send(server, "GET", "/login", headers)
  cookie = response.getheader("Set-Cookie").split(";")[0]
  token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
  body = urlencode({"secret": "wrong-secret", "csrf_token": token, "next": "/"})
  # Over HTTPS, Pyramid's CSRF check also wants the Origin a browser sends.
  headers = {
    **headers,
    "Cookie": cookie,
    "Origin": "https://status.example.com",
    "Content-Type": "application/x-www-form-urlencoded",
  }
  response, _ = send(server, "POST", "/login", headers, body)
  return response.status


def test_each_forwarded_client_has_its_own_login_throttle(server):
  assert [failed_login(server, "203.0.113.7") for _ in range(3)] == [401, 401, 429]
  # Another client behind the same proxy is not locked out by the first one.
  assert failed_login(server, "203.0.113.8") == 401


# -- item 9: limits ---------------------------------------------------------------------------------


def test_an_oversized_upload_is_refused_before_it_is_read(server):
  with socket.create_connection(server, timeout=TIMEOUT) as sock:
    sock.sendall(
      b"POST /api/scope HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      b"Content-Length: 300000000\r\n\r\n"
    )
    answer = sock.recv(4096)  # no body was sent: an answer now means it was refused unread
  assert answer.startswith(b"HTTP/1.1 413")


def test_a_body_of_exactly_the_limit_reaches_the_application(server):
  response, body = send(
    server, "POST", "/api/scope", {"Content-Type": "application/json"}, b" " * MAX_BODY_BYTES
  )
  assert response.status == 401 and b"Authentication required" in body


def test_oversized_headers_are_refused(server):
  response, _ = send(server, "GET", "/health", {"X-Padding": "a" * 70_000})
  assert response.status == 431
  response, body = send(server, "GET", "/health", {"X-Padding": "a" * 30_000})
  assert (response.status, body) == (200, b"OK")


def test_slow_clients_do_not_take_every_connection(server):
  with ExitStack() as stack:
    for _ in range(150):  # more than waitress's default limit of 100 connections
      sock = stack.enter_context(socket.create_connection(server, timeout=TIMEOUT))
      sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # headers never finished
    response, body = send(server, "GET", "/health")
  assert (response.status, body) == (200, b"OK")


def test_waitress_options_come_from_the_settings():
  settings = read_settings(
    {},
    {
      "PM_SERVER_CONNECTION_LIMIT": "250",
      "PM_SERVER_CHANNEL_TIMEOUT": "10",
      "PM_SERVER_MAX_HEADER_BYTES": "16384",
      "PM_PROXY_CHAIN_COUNT": "2",
    },
  )
  assert waitress_options(settings) == {
    "connection_limit": 250,
    "channel_timeout": 10,
    "cleanup_interval": 10,
    "max_request_header_size": 16384,
    "max_request_body_size": MAX_BODY_BYTES + 1,
    "clear_untrusted_proxy_headers": False,
    "asyncore_use_poll": True,
  }
  defaults = waitress_options(read_settings({}, {}))
  assert defaults["connection_limit"] == 1000 and defaults["channel_timeout"] == 30
  assert defaults["clear_untrusted_proxy_headers"] is True  # no trusted proxy: waitress strips them
