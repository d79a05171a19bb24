"""Pytest fixtures for ProdManager and its plugins (registered as the ``prodmanager`` pytest plugin).

Plugin authors get the same fixtures as the core's tests: a migrated database on SQLite and on
PostgreSQL, the real WSGI application, a webtest client, tokens and a logged-in operator. Each test
runs inside a transaction that is rolled back afterwards, so tests never see each other's rows.
"""

import datetime as dt
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
from sqlalchemy import event, func, select

from .domain_events import Subscriber
from .state import app_state

POSTGRES_ADMIN_URI = os.environ.get("PM_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
# The Redis the tests use (database 15 by default, flushed of their keys only).
REDIS_TEST_URI = os.environ.get("PM_TEST_REDIS", "redis://127.0.0.1:6379/15")
TEST_SECRET = "test-secret-0123456789"
ALL_PERMISSIONS = object()


def in_ci() -> bool:
  """``CI=true`` (set by every CI service): the run must test everything."""
  return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_service(reason: str) -> None:
  """A service the tests need is missing: skip locally (the reason is in the report), fail in CI,
  where a skip would let a run pass without testing what needs the service."""
  if in_ci():
    pytest.fail(f"{reason} (CI=true: a missing service fails the run)", pytrace=False)
  pytest.skip(reason)


def _redis_unavailable() -> str | None:
  """None when the tests' Redis answers, else why not (reported in the header and in skips)."""
  try:
    import redis

    redis.Redis.from_url(REDIS_TEST_URI, socket_timeout=2, socket_connect_timeout=2).ping()
  except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
    return f"Redis is not reachable at {REDIS_TEST_URI}: {str(error).strip()}"
  return None


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
  config.addinivalue_line(
    "markers", "one_backend: the behaviour does not depend on the database; run on one backend only"
  )


def pytest_report_header(config):
  reason = _postgres_unavailable() if "postgresql" in _backends() else "not requested"
  redis_reason = _redis_unavailable()
  return [
    f"prodmanager: database backends {', '.join(_backends())}",
    f"prodmanager: PostgreSQL {'OK' if reason is None else 'UNAVAILABLE — ' + reason}",
    f"prodmanager: Redis {'OK' if redis_reason is None else 'UNAVAILABLE — ' + redis_reason}",
    f"prodmanager: CI={'true (a missing service fails the run)' if in_ci() else 'false (a missing service skips)'}",
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


@pytest.fixture(params=_backends())
def empty_database(request, tmp_path):
  """A new database of the test's own on each backend, not migrated (migration tests; a test
  module migrates it by overriding this fixture), dropped at the end."""
  if request.param == "postgresql":
    reason = _postgres_unavailable()
    if reason:
      missing_service(reason)
    with _postgres_database("own") as uri:
      yield uri
  else:
    yield f"sqlite:///{tmp_path / 'own.sqlite'}"


@contextmanager
def connected(uri: str):
  """A connection in a transaction to the database at ``uri``, its engine disposed of after."""
  from .db import get_engine

  engine = get_engine(uri)
  try:
    with engine.begin() as connection:
      yield connection
  finally:
    engine.dispose()


@pytest.fixture(scope="session", params=_backends())
def database_uri(request, tmp_path_factory):
  """A migrated, empty database (one per backend and per test worker), dropped at the end."""
  from .migrate import upgrade

  worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
  if request.param == "postgresql":
    reason = _postgres_unavailable()
    if reason:
      missing_service(reason)
    with _postgres_database(worker) as uri:
      upgrade(uri)
      yield uri
  else:
    uri = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    upgrade(uri)
    yield uri


def pytest_addoption(parser):
  parser.addini(
    "prodmanager_plugins",
    "the plugins the test application enables, separated by spaces (default: every installed plugin "
    "enabled by default); pin them so that installing another plugin never changes the results",
    type="args",
  )


def pytest_collection_modifyitems(config, items):
  """Tests marked ``one_backend`` (their behaviour does not depend on the database: the OpenAPI
  document, headers, the layout) run on the first backend of ``PM_TEST_BACKENDS`` only."""
  first = _backends()[0] if _backends() else None
  kept, dropped = [], []
  for item in items:
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("database_uri") if callspec else None
    if backend is not None and backend != first and item.get_closest_marker("one_backend"):
      dropped.append(item)
    else:
      kept.append(item)
  if dropped:
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def _setting_key(key: str) -> str:
  return key if key.startswith("prodmanager.") else f"prodmanager.{key}"


def make_app(plugins=None, settings=None, environ=None):
  """The WSGI application with exactly ``plugins`` (ids; None: what ``settings`` says) and ``settings``.

  Keys of ``settings`` may omit the ``prodmanager.`` prefix; values are strings, as an INI file gives
  them. ``environ`` stands for the ``PM_*`` variables and is empty by default, so that the machine's
  configuration never reaches a test.
  """
  from . import make_wsgi_app

  settings = {_setting_key(key): value for key, value in (settings or {}).items()}
  if plugins is not None:
    settings["prodmanager.plugins"] = plugins if isinstance(plugins, str) else " ".join(plugins)
  return make_wsgi_app(settings, {} if environ is None else environ)


class OnConnection:
  """The WSGI application ``app`` whose requests work on ``connection`` (see prodmanager.db.request_connection)."""

  def __init__(self, app, connection):
    self.app = app
    self.connection = connection
    self.registry = app.registry

  def __call__(self, environ, start_response):
    from .db import request_connection

    reset = request_connection.set(self.connection)
    try:
      # The body is read before the connection is given back: a lazy body would run without it.
      response = self.app(environ, start_response)
      try:
        return list(response)
      finally:
        if hasattr(response, "close"):
          response.close()
    finally:
      request_connection.reset(reset)


def cache_app(tmp_path, enabled_plugins):
  """An application with its cache on, on the database file and instance folder of ``tmp_path``
  (migrated once), without the tests' rolled-back connection: its requests go through the cache."""
  from .migrate import upgrade

  uri = f"sqlite:///{tmp_path / 'cache.sqlite'}"
  if not (tmp_path / "cache.sqlite").exists():
    upgrade(uri)
  return make_app(
    settings={
      "database_uri": uri,
      "secret_key": TEST_SECRET,
      "instance_path": str(tmp_path / "instance"),
      "plugins": " ".join(enabled_plugins),
    }
  )


@pytest.fixture
def cached_app(tmp_path, enabled_plugins):
  """:func:`cache_app` for one test, its derived data forgotten first (prodmanager.derived)."""
  app = cache_app(tmp_path, enabled_plugins)
  derived_data = getattr(app_state(app.registry), "derived", None)
  if derived_data is not None:
    derived_data.clear()
  yield app
  app_state(app.registry).db_engine.dispose()


def make_client(app, connection=None):
  """A webtest client of ``app`` (a cookie jar of its own). Its requests work on ``connection``
  when given, else on what the test works on (the ``connection`` fixture, or the database itself)."""
  from webtest import TestApp

  return TestApp(
    app if connection is None else OnConnection(app, connection), extra_environ={"HTTP_HOST": "localhost"}
  )


def pinned_plugins(config) -> list[str]:
  """The plugins of the test application: the ``prodmanager_plugins`` ini option when set (the core
  pins the first-party plugins there), else every installed plugin enabled by default."""
  pinned = config.getini("prodmanager_plugins")
  if pinned:
    return sorted(pinned)
  from .plugins import installed_plugins

  return sorted(name for name, plugin in installed_plugins().items() if plugin.enabled_by_default)


@pytest.fixture(scope="session")
def enabled_plugins(pytestconfig) -> list[str]:
  """The ids of the plugins the test application enables (:func:`pinned_plugins`)."""
  return pinned_plugins(pytestconfig)


@pytest.fixture(scope="session")
def app_settings(database_uri, enabled_plugins, tmp_path_factory) -> dict:
  """The INI settings of the test application (the ``PM_*`` variables of the machine never apply:
  :func:`make_app` reads an empty environment)."""
  return {
    "prodmanager.database_uri": database_uri,
    "prodmanager.secret_key": TEST_SECRET,
    "prodmanager.instance_path": str(tmp_path_factory.mktemp("instance")),
    "prodmanager.plugins": " ".join(enabled_plugins),
  }


@pytest.fixture(scope="session")
def wsgi_app(app_settings):
  """The real application, built once per backend."""
  return make_app(settings=app_settings)


@pytest.fixture(scope="session")
def registry(wsgi_app):
  return wsgi_app.registry


@pytest.fixture
def build_app(app_settings):
  """``build_app(lang="fr")``: a webtest client of a second application with other settings.

  Values are strings, as an INI file gives them (they go through ``read_settings``);
  ``plugins=["scope", "service"]`` takes a list too. When the test uses the ``connection`` fixture,
  the application works on it like the shared one (it sees the test's rows, rolled back with them).
  """
  apps = []

  def build(plugins=None, **overrides):
    app = make_app(plugins, {**app_settings, **overrides})
    apps.append(app)
    return make_client(app)

  yield build
  for app in apps:
    app_state(app.registry).db_engine.dispose()


@pytest.fixture
def connection(registry):
  """A connection in an outer transaction rolled back after the test. While the test runs, it is
  what the application's sessions work on (prodmanager.db.request_connection, in the test's
  context: every request of every client, and a ``Request.blank`` too), so its commits only
  release savepoints. The shared session factory is never rebound."""
  from .db import request_connection, sqlite_writes

  engine = app_state(registry).db_engine
  connection = engine.connect()
  # A deferred BEGIN: the outer transaction must not hold SQLite's write lock from the start (a
  # previous request in this thread may have left "writes" set), or a second application on the
  # same file would wait for it.
  sqlite_writes.set(False)
  transaction = connection.begin()
  reset = request_connection.set(connection)
  try:
    yield connection
  finally:
    request_connection.reset(reset)
    transaction.rollback()
    connection.close()


@pytest.fixture
def dbsession(registry, connection):
  """A session on the test's connection, to arrange rows and check what the application wrote."""
  session = app_state(registry).db_session_factory(bind=connection)
  yield session
  session.close()


@pytest.fixture
def webapp(wsgi_app, connection):
  """A webtest client of the application."""
  # Counters are state too: failed secret attempts of a previous test must not throttle this one.
  app_state(wsgi_app.registry).ratelimit.clear_local()
  return make_client(wsgi_app)


@pytest.fixture
def new_client(wsgi_app, connection):
  """``new_client()``: one more webtest client of the application (a cookie jar of its own: an
  anonymous visitor beside a logged-in ``webapp``), on the test's connection."""
  return lambda: make_client(wsgi_app)


@pytest.fixture
def make_token(wsgi_app, connection, registry):
  """``make_token(["scope_api"])`` returns the Authorization headers of a fresh token."""
  # A client of its own, without the session cookie of `operator` (which would require a CSRF token).
  client = make_client(wsgi_app)

  def make(permissions=ALL_PERMISSIONS, name="testtoken", description="a token for the tests"):
    if permissions is ALL_PERMISSIONS:
      permissions = sorted(rt.permission for rt in app_state(registry).resource_types.values())
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


@contextmanager
def recorded_statements(engine):
  """``with recorded_statements(engine) as statements: ...``: the SQL statements ``engine`` ran
  meanwhile, savepoints and rollbacks left out."""
  statements = []

  def record(conn, cursor, statement, parameters, context, executemany):
    if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
      statements.append(statement)

  event.listen(engine, "before_cursor_execute", record)
  try:
    yield statements
  finally:
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def count_queries(registry):
  """``with count_queries() as queries: ...`` then ``len(queries)`` is the number of SQL statements run."""
  return lambda: recorded_statements(app_state(registry).db_engine)


def api_token(
  client, permissions, name: str = "testtoken", description: str = "a token for the tests"
) -> dict:
  """The ``Authorization`` header of a new API token, created through the API with the test secret
  (for applications that commit, where the ``make_token`` fixture's rows would not be seen)."""
  token = client.post(
    "/api/token/create",
    {"secret": TEST_SECRET, "name": name, "description": description, "permissions": list(permissions)},
  ).json
  return {"Authorization": f"Bearer {token}"}


# -- factories --------------------------------------------------------------------------------------
#
# The core knows no resource type, so it has no factory of its own: each plugin may ship a module
# named ``testing`` in its package (``prodmanager_scope.testing``) whose functions marked
# ``@factory`` add its rows, and whose ``WORLD`` names the rows every test of ``world`` starts with.
# ``make`` and ``world`` collect them from the plugins the test application enables.


def stored_events(make, event_model, ident: int | None, *columns: str) -> list[tuple]:
  """The stored timeline events of ``event_model`` (of one parent row, or all) as tuples of
  ``columns``, oldest first, the event type as its value: for the plugins' ``<type>_events`` factories."""
  table = event_model.__table__
  statement = select(*(table.c[name] for name in columns)).order_by(table.c.id)
  if ident is not None:
    statement = statement.where(table.c.parent_id == ident)
  return [
    tuple(value.value if name == "type" else value for name, value in zip(columns, row, strict=True))
    for row in make.db.execute(statement)
  ]


def event_diff(**changes) -> str:
  """A timeline event's content as the timeline writes it: ``event_diff(status=(None, "active"))``
  is ``{"status": [null, "active"]}``, keys sorted (:func:`prodmanager.timeline.encode_diff`)."""
  from .timeline import encode_diff

  return encode_diff({name: tuple(values) for name, values in changes.items()})


def add_events(make, event_model, row, events) -> None:
  """Write ``events``, ``(type, content, internal)`` tuples, on ``row``'s timeline: the first at its
  creation, then a minute apart, with the typed status columns the timeline service sets (for the
  plugins' factories, which write rows directly)."""
  from .timeline import EventType, status_columns_of_diff

  for number, (kind, content, internal) in enumerate(events):
    make.db.add(
      event_model(
        parent_id=row.id,
        type=EventType(kind),
        content=content,
        internal=internal,
        creation_date=row.creation_date + dt.timedelta(minutes=number),
        **(status_columns_of_diff(content) if EventType(kind) is not EventType.COMMENT else {}),
      )
    )
  make.db.flush()


def factory(function):
  """Mark a function of a plugin's ``testing`` module as ``make.<its name>(...)``.

  It is called with the :class:`Make` object first (its session is ``make.db``; other factories are
  ``make.<name>``), then the test's arguments, and returns what it added (flushed, so with its id).
  """
  function.prodmanager_factory = True
  return function


def plugin_factories(registry) -> dict:
  """The factories of the enabled plugins' ``testing`` modules by name, and their ``WORLD`` entries."""
  import importlib
  import importlib.util

  factories: dict = {}
  owners: dict[str, str] = {}
  world: list[tuple[str, str, dict]] = []
  for plugin in app_state(registry).plugins:
    name = f"{plugin.module.__name__}.testing"
    if importlib.util.find_spec(name) is None:
      continue
    module = importlib.import_module(name)
    for attribute, value in vars(module).items():
      if callable(value) and getattr(value, "prodmanager_factory", False):
        if attribute in factories and owners[attribute] != name:
          raise RuntimeError(
            f"two plugins' testing modules define the factory {attribute!r}: {owners[attribute]}, {name}"
          )
        factories[attribute], owners[attribute] = value, name
    world.extend((key, kind, dict(values)) for key, (kind, values) in getattr(module, "WORLD", {}).items())
  return {"factories": factories, "world": world}


class Make:
  """``make.scope(name="Paris DC")``: rows added by the plugins' factories on the test's session,
  plus generic helpers to add any row and read tables back."""

  def __init__(self, db, factories: dict):
    self.db = db
    self._factories = factories
    self._made: dict[str, list] = {}

  def __getattr__(self, name: str):
    if name.startswith("_"):
      raise AttributeError(name)
    try:
      function = self._factories[name]
    except KeyError:
      raise AttributeError(
        f"no factory {name!r}; the enabled plugins offer: {', '.join(sorted(self._factories)) or 'none'}"
      ) from None

    def call(*args, **kwargs):
      made = function(self, *args, **kwargs)
      self._made.setdefault(name, []).append(made)
      return made

    return call

  def default(self, name: str, **values):
    """The first row the ``name`` factory made in this test, or a new one: what a row that needs
    one (a monitor's scope) gets when the test does not say."""
    made = self._made.get(name)
    return made[0] if made else getattr(self, name)(**values)

  def parent_ids(self, membership, **parents) -> dict:
    """The ``<axis>_id`` values of a new row whose type belongs to ``membership``'s axes
    (:class:`prodmanager.membership.Membership`): each parent given (``scope=row``), else the test's
    first row of that axis (:meth:`default`)."""
    return {
      membership.column_name(axis): (parents.get(axis) or self.default(axis)).id for axis in membership.names
    }

  def add(self, row_or_model, **values):
    """Add a row (or ``model(**values)``) and flush it, bypassing the services (no events)."""
    row = row_or_model(**values) if isinstance(row_or_model, type) else row_or_model
    self.db.add(row)
    self.db.flush()
    return row

  def table(self, model) -> list:
    """Every row of a model's table by id, read from the database (not the session's identity map)."""
    table = model.__table__
    return self.db.execute(select(table).order_by(table.c.id)).all()

  def count(self, model) -> int:
    return self.db.scalar(select(func.count()).select_from(model))

  def row(self, model, ident: int):
    """One row of a model's table, read from the database."""
    table = model.__table__
    return self.db.execute(select(table).where(table.c.id == ident)).one()


class World(Make):
  """:class:`Make` with the rows the enabled plugins' ``WORLD`` declare, made before the test in
  load order (``world.paris``, ``world.compute`` for the first-party plugins)."""

  def __init__(self, db, factories: dict, entries):
    super().__init__(db, factories)
    self._named = {}
    for key, kind, values in entries:
      self._named[key] = getattr(self, kind)(**values)

  def __getattr__(self, name: str):
    named = self.__dict__.get("_named", {})
    return named[name] if name in named else super().__getattr__(name)


@pytest.fixture(scope="session")
def factories(registry) -> dict:
  return plugin_factories(registry)


@pytest.fixture
def make(dbsession, factories) -> Make:
  """Add rows through the enabled plugins' factories: ``make.scope()``, ``make.monitor(status="down")``."""
  return Make(dbsession, factories["factories"])


@pytest.fixture
def world(dbsession, factories) -> World:
  """``make`` with the named rows of the plugins' ``WORLD`` already there (``world.paris``, ...)."""
  return World(dbsession, factories["factories"], factories["world"])


@pytest.fixture
def domain_events(registry):
  """The domain events delivered (after commit) during the test, in order (DomainEvent objects)."""
  delivered = []
  subscriber = Subscriber("test-recorder", delivered.append, None)
  subscribers = app_state(registry).subscribers
  subscribers.add(subscriber)
  yield delivered
  subscribers.remove(subscriber)


def page_form(page, action_end: str = ""):
  """The form of a webtest page whose action ends with ``action_end`` (the layout also carries the
  logout form, which is never the one)."""
  return next(
    form for form in page.forms.values() if form.action != "/logout" and form.action.endswith(action_end)
  )


@pytest.fixture
def form_of():
  """``form_of(page, "/comment")``: :func:`page_form` as a fixture."""
  return page_form


# -- live servers ----------------------------------------------------------------------------------

SERVER_STARTUP_TIMEOUT = 60


@pytest.fixture(scope="session")
def playwright_instance():
  """Playwright's sync API for the whole test process: it refuses a second instance while one
  runs, so every folder's browser tests (tests/browser, a plugin's) share this one."""
  try:
    from playwright.sync_api import sync_playwright
  except ImportError:
    missing_service("Playwright for Python is not installed (make install-test installs it)")
  with sync_playwright() as playwright:
    yield playwright


def free_port() -> int:
  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]


def prodmanager_command() -> str:
  command = Path(sys.executable).with_name("prodmanager")
  return str(command) if command.exists() else shutil.which("prodmanager")


@contextmanager
def running_server(
  folder: Path,
  env: dict[str, str],
  command: str | None = None,
  timeout: float = SERVER_STARTUP_TIMEOUT,
  drop: tuple[str, ...] = (),
  arguments: list[str] | None = None,
  port: int | None = None,
):
  """``prodmanager serve`` as a subprocess on a free port, in ``folder`` (no INI file there: only the
  given PM_* variables and the defaults); yields its base URL once /health answers, stops it after.

  ``command`` is another ``prodmanager`` executable (an installed wheel's), ``drop`` more variables of
  this process to keep from it (``PYTHONPATH``...). ``arguments`` replace ``serve --host 127.0.0.1
  --port <port>`` (the container's entrypoint, given its address in ``env``: then pass ``port``)."""
  port = port or free_port()
  environ = {
    key: value
    for key, value in os.environ.items()
    if not key.startswith("PM_") and key not in ("HOST", "PORT", *drop)
  }
  environ.update(env)
  folder.mkdir(parents=True, exist_ok=True)
  log_path = folder / f"server-{port}.log"
  with open(log_path, "wb") as log:
    server = subprocess.Popen(
      [
        command or prodmanager_command(),
        *(["serve", "--host", "127.0.0.1", "--port", str(port)] if arguments is None else arguments),
      ],
      cwd=folder,
      env=environ,
      stdout=log,
      stderr=subprocess.STDOUT,
    )
  url = f"http://127.0.0.1:{port}"
  try:
    deadline = time.monotonic() + timeout
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
        pytest.fail(f"the server did not answer /health within {timeout} s:\n{log_path.read_text()}")
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
