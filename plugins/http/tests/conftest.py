"""Local servers for the http integration's tests: an HTTP server with ok, failing, slow and
redirecting endpoints, the same over TLS with a self-signed certificate (trustme), and a proxy."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from prodmanager.state import app_state
from prodmanager.testing import make_app, make_client

SLOW_SECONDS = 3


class Endpoints(BaseHTTPRequestHandler):
  """``/ok`` 200 with a body, ``/created`` 201, ``/empty`` 204, ``/missing`` 404, ``/fail`` 500,
  ``/slow`` (answers after SLOW_SECONDS), ``/moved`` 302 to /ok, ``/moved-to-fail`` 302 to /fail,
  ``/loop`` a redirect to itself. Every request is counted in ``server.hits`` by path."""

  protocol_version = "HTTP/1.1"

  def do_GET(self):  # noqa: N802 - http.server's name
    self.server.hits.append(self.path)
    path = self.path.split("?")[0]
    if path.startswith("http://"):  # a proxy request: the absolute URL is the path
      return self.answer(200, b"answered by the proxy: service ready")
    if path == "/ok":
      return self.answer(200, b"all systems go: service ready")
    if path == "/created":
      return self.answer(201, b"created")
    if path == "/empty":
      return self.answer(204, b"")
    if path == "/missing":
      return self.answer(404, b"not found")
    if path == "/fail":
      return self.answer(500, b"internal error")
    if path == "/slow":
      time.sleep(SLOW_SECONDS)
      return self.answer(200, b"late")
    if path == "/moved":
      return self.answer(302, b"", location="/ok")
    if path == "/moved-to-fail":
      return self.answer(302, b"", location="/fail")
    if path == "/loop":
      return self.answer(302, b"", location="/loop")
    return self.answer(404, b"no such endpoint")

  def answer(self, status: int, body: bytes, location: str | None = None):
    self.send_response(status)
    if location:
      self.send_header("Location", location)
    if status != 204:
      self.send_header("Content-Length", str(len(body)))
    self.end_headers()
    if status != 204:
      self.wfile.write(body)

  def log_message(self, format, *args):  # noqa: A002 - quiet test output
    pass


class Server(ThreadingHTTPServer):
  daemon_threads = True

  def __init__(self, address, handler):
    super().__init__(address, handler)
    self.hits: list[str] = []


def serve(context=None):
  server = Server(("127.0.0.1", 0), Endpoints)
  if context is not None:
    server.socket = context.wrap_socket(server.socket, server_side=True)
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  return server, thread


@pytest.fixture(scope="session")
def http_server():
  """The endpoints over plain HTTP: ``http_server.url`` is their base URL."""
  server, thread = serve()
  server.url = f"http://127.0.0.1:{server.server_address[1]}"
  yield server
  server.shutdown()
  server.server_close()
  thread.join(5)


@pytest.fixture(scope="session")
def tls_server():
  """The endpoints over HTTPS with a certificate of a CA nobody trusts (trustme)."""
  authority = trustme.CA()
  certificate = authority.issue_cert("127.0.0.1", "localhost")
  import ssl

  context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
  certificate.configure_cert(context)
  server, thread = serve(context)
  server.url = f"https://127.0.0.1:{server.server_address[1]}"
  yield server
  server.shutdown()
  server.server_close()
  thread.join(5)


@pytest.fixture(scope="module")
def http_app(app_settings, enabled_plugins):
  """The test application with the http plugin enabled too (on the test database)."""
  plugins = sorted({*enabled_plugins, "http"})
  app = make_app(plugins, {**app_settings, "http.timeout": "1"})
  yield app
  app_state(app.registry).db_engine.dispose()


@pytest.fixture
def http_registry(http_app, connection):
  """The registry of :func:`http_app`; its sessions work on the test's connection."""
  return http_app.registry


@pytest.fixture
def http_client(http_app, connection):
  return make_client(http_app)
