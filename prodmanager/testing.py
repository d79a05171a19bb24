"""Pytest fixtures for ProdManager and its plugins (registered as the ``prodmanager`` pytest plugin).

Plugin authors get the same fixtures as the core's tests: a migrated database on SQLite and on
PostgreSQL, the real WSGI application, a webtest client, tokens and a logged-in operator. Each test
runs inside a transaction that is rolled back afterwards, so tests never see each other's rows.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

POSTGRES_ADMIN_URI = os.environ.get("PM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_SECRET = "test-secret-0123456789"
ALL_PERMISSIONS = object()


def _postgres_unavailable() -> str | None:
  """None when PostgreSQL answers, else why not (reported in the header and in skips)."""
  try:
    import psycopg2

    connection = psycopg2.connect(POSTGRES_ADMIN_URI, connect_timeout=3)
    connection.close()
  except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
    return f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URI}: {str(error).strip()}"
  return None


def _backends() -> list[str]:
  wanted = os.environ.get("PM_TEST_BACKENDS", "sqlite,postgresql")
  return [name.strip() for name in wanted.split(",") if name.strip()]


def pytest_configure(config):
  """pytest imports the packages of its plugins (this one: all of ``prodmanager``) through its
  assertion-rewriting loader, which pkg_resources does not know; Pyramid's static views read their
  files through pkg_resources, so /static answered 500 in tests. Tell it to read them from disk."""
  import pkg_resources
  from _pytest.assertion.rewrite import AssertionRewritingHook

  pkg_resources.register_loader_type(AssertionRewritingHook, pkg_resources.DefaultProvider)


def pytest_report_header(config):
  reason = _postgres_unavailable() if "postgresql" in _backends() else "not requested"
  return [
    f"prodmanager: database backends {', '.join(_backends())}",
    f"prodmanager: PostgreSQL {'OK' if reason is None else 'UNAVAILABLE — ' + reason}",
  ]


@contextmanager
def _postgres_database(worker: str):
  import psycopg2
  from sqlalchemy.engine import make_url

  name = f"pmtest_{re.sub(r'[^a-z0-9]', '', worker)}_{uuid.uuid4().hex[:8]}"
  admin = psycopg2.connect(POSTGRES_ADMIN_URI)
  admin.autocommit = True
  try:
    with admin.cursor() as cursor:
      cursor.execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_ADMIN_URI).set(database=name).render_as_string(hide_password=False)
  finally:
    with admin.cursor() as cursor:
      cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session", params=_backends())
def database_uri(request, tmp_path_factory):
  """A migrated, empty database (one per backend and per test worker), dropped at the end."""
  from .migrate import upgrade

  worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
  if request.param == "postgresql":
    reason = _postgres_unavailable()
    if reason:
      pytest.skip(reason)
    with _postgres_database(worker) as uri:
      upgrade(uri)
      yield uri
  else:
    uri = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    upgrade(uri)
    yield uri


@pytest.fixture(scope="session")
def enabled_plugins() -> list[str]:
  """The plugins ``prodmanager.plugins = *`` enables (opt-in ones, like the guide's example, are left out)."""
  from .plugins import installed_plugins

  return sorted(name for name, plugin in installed_plugins().items() if plugin.enabled_by_default)


@pytest.fixture(scope="session")
def app_settings(database_uri, enabled_plugins, tmp_path_factory) -> dict:
  for key in [key for key in os.environ if key.startswith("PM_") and not key.startswith("PM_TEST_")]:
    del os.environ[key]  # The machine's configuration must not leak into the tests.
  return {
    "prodmanager.database_uri": database_uri,
    "prodmanager.secret_key": TEST_SECRET,
    "prodmanager.instance_path": str(tmp_path_factory.mktemp("instance")),
    "prodmanager.plugins": " ".join(enabled_plugins),
  }


@pytest.fixture(scope="session")
def wsgi_app(app_settings):
  """The real application, built once per backend."""
  from . import main

  return main({}, **app_settings)


@pytest.fixture(scope="session")
def registry(wsgi_app):
  return wsgi_app.registry


@pytest.fixture
def build_app(app_settings):
  """``build_app(lang="fr")``: a webtest client of a second application with other settings.

  Values are strings, as an INI file gives them (they go through ``read_settings``).
  """
  from webtest import TestApp

  from . import main

  apps = []

  def build(**overrides):
    app = main({}, **{**app_settings, **{f"prodmanager.{key}": value for key, value in overrides.items()}})
    apps.append(app)
    return TestApp(app, extra_environ={"HTTP_HOST": "localhost"})

  yield build
  for app in apps:
    app.registry["db.engine"].dispose()


@pytest.fixture
def connection(registry):
  """A connection in an outer transaction rolled back after the test; the app's sessions bind to it."""
  from .db import sqlite_writes

  engine = registry["db.engine"]
  connection = engine.connect()
  # A deferred BEGIN: the outer transaction must not hold SQLite's write lock from the start (a
  # previous request in this thread may have left "writes" set), or a second application on the
  # same file would wait for it.
  sqlite_writes.set(False)
  transaction = connection.begin()
  registry["db.session_factory"].configure(bind=connection)
  try:
    yield connection
  finally:
    registry["db.session_factory"].configure(bind=engine)
    transaction.rollback()
    connection.close()


@pytest.fixture
def dbsession(registry, connection):
  """A session on the test's connection, to arrange rows and check what the application wrote."""
  session = registry["db.session_factory"]()
  yield session
  session.close()


@pytest.fixture
def webapp(wsgi_app, connection):
  """A webtest client of the application."""
  from webtest import TestApp

  # Counters are state too: failed secret attempts of a previous test must not throttle this one.
  wsgi_app.registry["ratelimit"].clear_local()
  return TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})


@pytest.fixture
def make_token(wsgi_app, connection, registry):
  """``make_token(["scope_api"])`` returns the Authorization headers of a fresh token."""
  from webtest import TestApp

  # A client of its own, without the session cookie of `operator` (which would require a CSRF token).
  client = TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})

  def make(permissions=ALL_PERMISSIONS, name="testtoken", description="a token for the tests"):
    if permissions is ALL_PERMISSIONS:
      permissions = sorted(rt.permission for rt in registry["resource_types"].values())
    client.reset()
    response = client.post(
      "/api/token/create",
      {"secret": TEST_SECRET, "name": name, "description": description, "permissions": permissions},
    )
    return {"Authorization": f"Bearer {response.json}"}

  return make


@pytest.fixture
def token_headers(make_token):
  """Authorization headers of a token carrying every permission."""
  return make_token()


@pytest.fixture
def operator(webapp):
  """Log the webtest client in as an operator; returns a function giving a fresh CSRF token."""
  page = webapp.get("/login")
  form = page.forms["login-form"] if "login-form" in page.forms else page.form
  form["secret"] = TEST_SECRET
  form.submit(status=303)

  def csrf_token() -> str:
    # Once logged in, the page also carries the logout form: take the token of any form that has one.
    forms = webapp.get("/login").forms.values()
    return next(form["csrf_token"].value for form in forms if "csrf_token" in form.fields)

  return csrf_token


@pytest.fixture
def count_queries(registry):
  """``with count_queries() as queries: ...`` then ``len(queries)`` is the number of SQL statements run."""

  @contextmanager
  def counter():
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
      if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
        statements.append(statement)

    engine = registry["db.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
      yield statements
    finally:
      event.remove(engine, "before_cursor_execute", record)

  return counter


# -- live servers ----------------------------------------------------------------------------------

SERVER_STARTUP_TIMEOUT = 60


def free_port() -> int:
  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def prodmanager_command() -> str:
  command = Path(sys.executable).with_name("prodmanager")
  return str(command) if command.exists() else shutil.which("prodmanager")


@contextmanager
def running_server(folder: Path, env: dict[str, str]):
  """``prodmanager serve`` as a subprocess on a free port, in ``folder`` (no INI file there: only the
  given PM_* variables and the defaults); yields its base URL once /health answers, stops it after."""
  port = free_port()
  environ = {
    key: value
    for key, value in os.environ.items()
    if not key.startswith("PM_") and key not in ("HOST", "PORT")
  }
  environ.update(env)
  folder.mkdir(parents=True, exist_ok=True)
  log_path = folder / f"server-{port}.log"
  with open(log_path, "wb") as log:
    server = subprocess.Popen(
      [prodmanager_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
      cwd=folder,
      env=environ,
      stdout=log,
      stderr=subprocess.STDOUT,
    )
  url = f"http://127.0.0.1:{port}"
  try:
    deadline = time.monotonic() + SERVER_STARTUP_TIMEOUT
    while True:
      if server.poll() is not None:
        pytest.fail(f"the server exited with {server.returncode}:\n{log_path.read_text()}")
      try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
          if response.read() == b"OK":
            break
      except OSError:
        pass
      if time.monotonic() > deadline:
        pytest.fail(
          f"the server did not answer /health within {SERVER_STARTUP_TIMEOUT} s:\n{log_path.read_text()}"
        )
      time.sleep(0.2)
    yield url
  finally:
    server.terminate()
    try:
      server.wait(timeout=15)
    except subprocess.TimeoutExpired:
      server.kill()
      server.wait()


@pytest.fixture
def live_server(tmp_path, enabled_plugins):
  """A live server (waitress, standalone mode) on a fresh SQLite database: its base URL.

  Its administrator secret is ``TEST_SECRET``. For other settings, or several servers sharing one
  database, use :func:`running_server` directly.
  """
  env = {
    "PM_INSTANCE_PATH": str(tmp_path / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_DEMO": "false",
    "PM_STANDALONE": "true",
    "PM_PLUGINS": " ".join(enabled_plugins),
  }
  with running_server(tmp_path, env) as url:
    yield url
