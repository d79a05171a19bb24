"""Cached public reads (prodmanager.cache): what anonymous readers get, and that no write is missed.

The in-process tests use an application on a database file of their own, without the rolled-back
connection of the other tests (whose requests the cache leaves alone: their factories write rows
that no commit announces). The coherence test runs two ``prodmanager serve`` processes on one
database and one Redis.
"""

import datetime as dt
import gzip
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy import text

from prodmanager.commands import CommandContext
from prodmanager.state import app_state
from prodmanager.testing import (
  REDIS_TEST_URI,
  TEST_SECRET,
  _postgres_database,
  _postgres_unavailable,
  _redis_unavailable,
  api_token,
  cache_app,
  make_app,
  make_client,
  missing_service,
  prodmanager_command,
  recorded_statements,
  running_server,
)

pytestmark = pytest.mark.one_backend


@pytest.fixture
def second_process(tmp_path, enabled_plugins, cached_app):
  """Another application on the same database and instance folder: another ``serve`` worker."""
  app = cache_app(tmp_path, enabled_plugins)
  yield app
  app_state(app.registry).db_engine.dispose()


def admin_client(app):
  client = make_client(app)
  page = client.get("/login")
  client.post(
    "/login", {"secret": TEST_SECRET, "csrf_token": page.html.find("input", {"name": "csrf_token"})["value"]}
  )
  return client


def rename_behind_the_cache(app, scope_id: int, name: str) -> None:
  """A change the application does not make (no session of its own): the cache cannot know it."""
  with app_state(app.registry).db_engine.begin() as connection:
    connection.execute(text("UPDATE scope SET name = :name WHERE id = :id"), {"name": name, "id": scope_id})


def create_scope(app, name: str) -> tuple[int, dict]:
  client = make_client(app)
  permissions = [f"{kind}_api" for kind in ("scope", "service", "announcement")]
  headers = api_token(client, permissions, "cachetest", "cache test token")
  response = client.post_json("/api/scope", {"name": name, "description": ""}, headers=headers, status=201)
  return response.json["id"], headers


def test_anonymous_reads_are_cached_until_a_write(cached_app):
  anonymous = make_client(cached_app)
  scope_id, headers = create_scope(cached_app, "Cached region")
  first = anonymous.get(f"/scope/{scope_id}")
  assert "Cached region" in first.text
  rename_behind_the_cache(cached_app, scope_id, "Renamed behind")
  # Served from the cache: the change made outside the application is not seen...
  assert "Cached region" in anonymous.get(f"/scope/{scope_id}").text
  assert anonymous.get(f"/api/scope/{scope_id}").json["name"] in ("Cached region", "Renamed behind")
  # ...until the application commits a write, whatever it is and whoever makes it.
  make_client(cached_app).post_json(
    "/api/scope", {"name": "Another", "description": ""}, headers=headers, status=201
  )
  assert "Renamed behind" in anonymous.get(f"/scope/{scope_id}").text
  assert anonymous.get(f"/api/scope/{scope_id}").json["name"] == "Renamed behind"


def test_a_cli_write_bumps_the_version(cached_app):
  from prodmanager_scope.models import Scope

  anonymous = make_client(cached_app)
  scope_id, _ = create_scope(cached_app, "Before CLI")
  assert "Before CLI" in anonymous.get(f"/scope/{scope_id}").text
  version = app_state(cached_app.registry).cache.version.current()
  with CommandContext(cached_app.registry).session() as session:
    session.get(Scope, scope_id).name = "After CLI"
  assert app_state(cached_app.registry).cache.version.current() != version
  assert "After CLI" in anonymous.get(f"/scope/{scope_id}").text


def test_a_read_only_transaction_keeps_the_version(cached_app):
  cache = app_state(cached_app.registry).cache
  make_client(cached_app).get("/")
  version = cache.version.current()
  make_client(cached_app).get("/incident")
  make_client(cached_app).get("/api/scope")
  assert cache.version.current() == version


def test_the_version_changes_when_the_write_is_committed_not_before(cached_app):
  from prodmanager_scope.models import Scope

  cache = app_state(cached_app.registry).cache
  version = cache.version.current()
  session = app_state(cached_app.registry).db_session_factory()
  with session.begin():
    with session.begin_nested():  # as every service flush
      session.add(Scope(name="Savepoint", description=""))
    # Released, not committed: a reader of a new version would render the data without the row.
    assert cache.version.current() == version
  assert cache.version.current() != version
  session.close()


def test_bookkeeping_writes_keep_the_version(cached_app):
  from prodmanager.runs import IntegrationRun, WorkerSchedule

  cache = app_state(cached_app.registry).cache
  version = cache.version.current()
  now = dt.datetime.now(dt.UTC)
  session = app_state(cached_app.registry).db_session_factory()
  with session.begin():
    session.add(WorkerSchedule(name="job:test", last_started_at=now))
    session.add(IntegrationRun(integration="http", matched="http", started_at=now))
  session.close()
  # The worker's schedule and the runs' records are shown to operators only (never cached).
  assert cache.version.current() == version


def test_commits_inside_one_version_change_replace_the_version_once_at_its_end(cached_app):
  from prodmanager.cache import one_version_change
  from prodmanager_scope.models import Scope

  cache = app_state(cached_app.registry).cache
  anonymous = make_client(cached_app)
  scope_id, _ = create_scope(cached_app, "Before the job")
  assert "Before the job" in anonymous.get(f"/scope/{scope_id}").text
  version = cache.version.current()
  with one_version_change():
    for name in ("Batch one", "Batch two"):
      with CommandContext(cached_app.registry).session() as session:
        session.get(Scope, scope_id).name = name
      # Committed, not yet announced: the page rendered before the block is still the one served.
      assert cache.version.current() == version
      assert "Before the job" in anonymous.get(f"/scope/{scope_id}").text
    with one_version_change():  # an inner block leaves the announcement to the outer one
      with CommandContext(cached_app.registry).session() as session:
        session.get(Scope, scope_id).description = "nested"
    assert cache.version.current() == version
  after = cache.version.current()
  assert after != version
  assert "Batch two" in anonymous.get(f"/scope/{scope_id}").text
  # A block whose commits wrote nothing keeps the version; one that raises still announces its commits.
  with one_version_change():
    make_client(cached_app).get("/incident")
  assert cache.version.current() == after
  with pytest.raises(RuntimeError), one_version_change():
    with CommandContext(cached_app.registry).session() as session:
      session.get(Scope, scope_id).name = "Before the failure"
    raise RuntimeError("the job failed after a batch")
  assert cache.version.current() != after
  assert "Before the failure" in anonymous.get(f"/scope/{scope_id}").text


def test_the_availability_job_replaces_the_version_once_per_run(cached_app, monkeypatch):
  from prodmanager_availability import job
  from prodmanager_monitor.models import Monitor, MonitorStatus

  scope_id, _ = create_scope(cached_app, "Monitored")
  with CommandContext(cached_app.registry).session() as session:
    from prodmanager_service.models import Service

    service = Service(name="Watched", description="")
    session.add(service)
    session.flush()
    for number in range(5):
      session.add(
        Monitor(name=f"Monitor {number}", scope_id=scope_id, service_id=service.id, status=MonitorStatus.OK)
      )
  monkeypatch.setattr(job, "BATCH", 2)  # three batches, three transactions
  cache = app_state(cached_app.registry).cache
  bumps = []
  real_bump = cache.bump
  monkeypatch.setattr(cache, "bump", lambda **kinds: (bumps.append(kinds), real_bump(**kinds)))
  version = cache.version.current()
  assert job.refresh(CommandContext(cached_app.registry)) >= 0
  assert len(bumps) == 1, bumps
  assert cache.version.current() != version


def test_operators_neither_read_nor_fill_the_cache(cached_app):
  admin = admin_client(cached_app)
  scope_id, _ = create_scope(cached_app, "Seen by all")
  # The operator's page (logout form, edit links) is never stored for anonymous readers...
  operator_page = admin.get(f"/scope/{scope_id}")
  assert 'action="/logout"' in operator_page.text
  anonymous_page = make_client(cached_app).get(f"/scope/{scope_id}")
  assert 'action="/logout"' not in anonymous_page.text
  # ...and an anonymous answer in the cache is never given to the operator.
  rename_behind_the_cache(cached_app, scope_id, "Operators see this")
  assert "Operators see this" in admin.get(f"/scope/{scope_id}").text
  assert "Seen by all" in make_client(cached_app).get(f"/scope/{scope_id}").text


@pytest.mark.parametrize(
  "credential",
  [{"X-ProdManager-Secret": TEST_SECRET}, {"Authorization": "Bearer x"}, {"X-PRIVATE-TOKEN": "x"}],
  ids=["secret", "bearer", "private-token"],
)
def test_a_request_with_a_credential_neither_reads_nor_fills_the_cache(cached_app, credential):
  scope_id, _ = create_scope(cached_app, "Seen by all")
  anonymous = make_client(cached_app)
  assert anonymous.get(f"/api/scope/{scope_id}").json["name"] == "Seen by all"
  rename_behind_the_cache(cached_app, scope_id, "Seen by scripts")
  # A script's request is answered from the database, not from the anonymous entry...
  answer = make_client(cached_app).get(f"/api/scope/{scope_id}", headers=credential, expect_errors=True)
  if answer.status_int == 200:
    assert answer.json["name"] == "Seen by scripts"
  # ...and what the administrator secret lists is never stored for anonymous readers.
  make_client(cached_app).get("/api/token", headers={"X-ProdManager-Secret": TEST_SECRET}, status=200)
  assert make_client(cached_app).get("/api/token", expect_errors=True).status_int == 401
  assert anonymous.get(f"/api/scope/{scope_id}").json["name"] == "Seen by all"


def test_etag_and_304(cached_app):
  client = make_client(cached_app)
  first = client.get("/")
  etag = first.headers["ETag"]
  assert etag.startswith('W/"')
  assert first.headers["Cache-Control"] == "no-cache"
  assert "Cookie" in first.headers["Vary"]
  again = client.get("/", headers={"If-None-Match": etag}, status=304)
  assert again.body == b""
  create_scope(cached_app, "Changes the tag")
  changed = client.get("/", headers={"If-None-Match": etag}, status=200)
  assert changed.headers["ETag"] != etag


def raw_get(app, path: str, **headers):
  """The answer exactly as it leaves the application (webtest would decode a gzip body)."""
  from webob import Request

  return Request.blank(path, headers=headers).get_response(app)


def test_gzip_when_accepted(cached_app):
  answers = [raw_get(cached_app, "/incident", **{"Accept-Encoding": "gzip, deflate"}) for _ in range(2)]
  plain = raw_get(cached_app, "/incident")
  assert plain.content_encoding is None
  assert plain.text.startswith("<!DOCTYPE html>")
  for compressed in answers:  # the answer that fills the cache (its kept bytes), then the cached one
    assert compressed.content_encoding == "gzip"
    assert gzip.decompress(compressed.body) == plain.body
    assert len(compressed.body) < len(plain.body) / 2
  assert answers[0].body == answers[1].body
  assert raw_get(cached_app, "/incident").content_encoding is None
  # Answers the cache does not hold are compressed too: an operator's page.
  admin = admin_client(cached_app)
  cookie = "; ".join(f"{name}={value}" for name, value in admin.cookies.items())
  page = raw_get(cached_app, "/incident", **{"Accept-Encoding": "gzip", "Cookie": cookie})
  assert page.content_encoding == "gzip"
  assert 'action="/logout"' in gzip.decompress(page.body).decode()


class FileWrapper:
  """A WSGI server's ``wsgi.file_wrapper`` (PEP 3333), recording what it is handed."""

  made: list = []

  def __init__(self, file, block_size: int):
    self.file, self.block_size = file, block_size
    FileWrapper.made.append(self)

  def __iter__(self):
    return iter(lambda: self.file.read(self.block_size), b"")

  def close(self):
    self.file.close()


def test_large_cached_answers_are_handed_to_the_servers_file_wrapper(cached_app):
  from webob import Request

  from prodmanager.cache import FILE_WRAPPER_MIN_BYTES

  path = "/api/openapi.json"  # a large public answer on an empty database
  first = raw_get(cached_app, path)
  assert len(first.body) >= FILE_WRAPPER_MIN_BYTES
  FileWrapper.made.clear()
  assert raw_get(cached_app, path).body == first.body  # no wrapper offered: copied
  for headers in ({}, {"Accept-Encoding": "gzip"}):
    FileWrapper.made.clear()
    request = Request.blank(path, headers=headers, environ={"wsgi.file_wrapper": FileWrapper})
    response = request.get_response(cached_app)
    # The gzip body of this document is smaller than the threshold: copied, as small answers are.
    assert len(FileWrapper.made) == (len(response.body) >= FILE_WRAPPER_MIN_BYTES)
    body = gzip.decompress(response.body) if headers else response.body
    assert body == first.body
    assert response.content_length == len(response.body)
    assert response.headers["Content-Security-Policy"] and response.headers["ETag"]
  head = Request.blank(path, method="HEAD", environ={"wsgi.file_wrapper": FileWrapper}).get_response(
    cached_app
  )
  assert head.body == b"" and head.content_length == len(first.body)
  # Small answers are copied as they are.
  FileWrapper.made.clear()
  Request.blank("/health", environ={"wsgi.file_wrapper": FileWrapper}).get_response(cached_app)
  Request.blank("/badge.svg", environ={"wsgi.file_wrapper": FileWrapper}).get_response(cached_app)
  assert FileWrapper.made == []


def test_the_process_keeps_only_the_answers_of_the_newest_version(cached_app):
  store = app_state(cached_app.registry).cache.store.local  # the copy in this process
  client = make_client(cached_app)
  client.get("/incident")
  client.get("/scope")
  assert len(store.entries) == 2
  create_scope(cached_app, "New version")
  client.get("/incident")
  # The answers of the old version are dropped as soon as a request names the new one.
  assert len(store.entries) == 1
  assert store.used == sum(store.charged.values())


def memory_entry(body: bytes):
  from prodmanager.cache import Entry, compress

  return Entry([("Content-Type", "text/html")], compress(body), time.time() + 60, 'W/"x"', "/", len(body))


def test_memory_store_counts_both_bodies_and_drops_the_least_recently_used():
  from prodmanager.cache import ENTRY_OVERHEAD_BYTES, MemoryStore

  body = os.urandom(3000)  # random bytes: the gzip body is as large as the identity one
  entry = memory_entry(body)
  one = len(entry.body) + ENTRY_OVERHEAD_BYTES
  store = MemoryStore(budget=2 * one + len(body) + 100)
  for name in ("a", "b"):
    assert store.get(f"v1:{name}") is None
    store.set(f"v1:{name}", memory_entry(body))
  assert store.used == 2 * one
  # The identity body of an entry, made for a client that does not ask for gzip, is counted.
  assert store.identity("v1:a", store.get("v1:a")) == body
  assert store.used == 2 * one + len(body)
  store.get("v1:b")
  store.set("v1:c", memory_entry(body))  # over the budget: the least recently used ("a") goes
  assert list(store.entries) == ["v1:b", "v1:c"]
  assert store.used == 2 * one


def test_the_newest_answers_a_process_keeps_are_bounded_and_expire():
  from prodmanager.cache import LATEST_ENTRIES, LATEST_SHARE, MemoryStore

  store = MemoryStore(budget=LATEST_SHARE * 100_000)
  for number in range(LATEST_ENTRIES + 10):
    store.keep_latest(f"digest{number}", memory_entry(b"page %d" % number))
  assert len(store.latest) == LATEST_ENTRIES
  assert store.latest_answer("digest0") is None and store.latest_answer(f"digest{LATEST_ENTRIES + 9}")
  # Not more than their share of the budget either, and never one answer larger than it.
  store.keep_latest("large", memory_entry(os.urandom(100_001)))
  assert store.latest_answer("large") is None
  assert store.latest_used == sum(len(entry.body) for entry in store.latest.values())
  # The copy handed out carries no identity body of the store's (a reader may attach one to it).
  found = store.latest_answer(f"digest{LATEST_ENTRIES + 9}")
  found.plain = b"attached"
  assert store.latest[f"digest{LATEST_ENTRIES + 9}"].plain is None
  expired = memory_entry(b"expired")
  expired.expires = time.time() - 1
  store.keep_latest("expired", expired)
  assert store.latest_answer("expired") is None and "expired" not in store.latest


def test_redis_keeps_the_newest_answer_of_a_request_for_every_process():
  reason = _redis_unavailable()
  if reason:
    missing_service(reason)
  from prodmanager.cache import RedisStore, redis_client

  client, _where, errors = redis_client(REDIS_TEST_URI)
  prefix = f"pmtest:latest:{uuid.uuid4().hex[:8]}:"
  first, second = RedisStore(client, prefix, errors), RedisStore(client, prefix, errors)
  entry = memory_entry(b"<p>kept</p>")
  entry.tables = {"*": "a1", "maintenance": "m1"}
  first.keep_latest("digest", entry)
  found = second.latest_answer("digest")
  assert found.tables == entry.tables and found.body == entry.body and found.etag == entry.etag
  assert second.latest_answer("other") is None
  assert 0 < client.ttl(f"{prefix}latest-digest") <= 61
  client.delete(f"{prefix}latest-digest")


def test_memory_store_refuses_an_answer_rendered_under_an_old_version():
  from prodmanager.cache import MemoryStore

  store = MemoryStore()
  assert store.get("v1:page") is None  # a render starts under v1...
  assert store.get("v2:page") is None  # ...a write, and another reader asks under v2
  store.set("v1:page", memory_entry(b"old"))  # the first render ends: its answer is stale
  assert store.entries == {} and store.used == 0
  store.set("v2:page", memory_entry(b"new"))
  assert list(store.entries) == ["v2:page"]


def test_language_and_host_are_part_of_the_key(cached_app):
  client = make_client(cached_app)
  english = client.get("/incident", headers={"Accept-Language": "en"})
  french = client.get("/incident", headers={"Accept-Language": "fr"})
  assert english.text != french.text
  assert client.get("/incident", headers={"Accept-Language": "en"}).text == english.text
  other = client.get("/history.atom", extra_environ={"HTTP_HOST": "status.example.org"})
  assert "status.example.org" in other.text
  assert "status.example.org" not in client.get("/history.atom").text


def test_time_dependent_answers_expire_when_their_time_comes(cached_app):
  """An upcoming announcement makes the dashboard expire at its start, not after the maximum age."""
  admin = admin_client(cached_app)
  scope_id, headers = create_scope(cached_app, "Announced")
  service = admin.post_json(
    "/api/service", {"name": "Svc", "description": ""}, headers=headers, status=201
  ).json
  start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=10)
  body = {
    "name": "Planned network change",
    "level": "low",
    "scope": scope_id,
    "service": service["id"],
    "start_date": start.isoformat(),
    "end_date": (start + dt.timedelta(hours=1)).isoformat(),
  }
  response = make_client(cached_app).post_json("/api/announcement", body, headers=headers, expect_errors=True)
  assert response.status_int == 201, response.text
  cache = app_state(cached_app.registry).cache
  make_client(cached_app).get("/")
  expiries = [entry.expires for entry in cache.store.local.entries.values()]
  assert expiries and min(expiries) == pytest.approx(start.timestamp())


def test_liveness_probe_answers_without_the_stack(cached_app):
  client = make_client(cached_app)
  response = client.get("/health")
  assert (response.text, response.content_type) == ("OK", "text/plain")
  assert response.headers["X-Content-Type-Options"] == "nosniff"
  assert client.head("/health").status_int == 200
  metrics = client.get("/metrics").text
  assert 'prodmanager_http_requests_total{method="GET",route="/health",status="200"}' in metrics


def test_cache_off(tmp_path, enabled_plugins):
  from prodmanager.migrate import upgrade

  uri = f"sqlite:///{tmp_path / 'off.sqlite'}"
  upgrade(uri)
  app = make_app(
    settings={
      "database_uri": uri,
      "secret_key": TEST_SECRET,
      "instance_path": str(tmp_path / "instance"),
      "plugins": " ".join(enabled_plugins),
      "cache_max_age": "0",
    }
  )
  scope_id, _ = create_scope(app, "Uncached")
  client = make_client(app)
  assert "Uncached" in client.get(f"/scope/{scope_id}").text
  rename_behind_the_cache(app, scope_id, "Seen at once")
  assert "Seen at once" in client.get(f"/scope/{scope_id}").text
  app_state(app.registry).db_engine.dispose()


# -- two server processes, one database, one Redis ---------------------------------------------------


def call(url: str, headers: dict | None = None, body: dict | None = None, method: str | None = None):
  data = json.dumps(body).encode() if body is not None else None
  request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
  if data is not None:
    request.add_header("Content-Type", "application/json")
  try:
    with urllib.request.urlopen(request, timeout=30) as response:
      return response.status, response.read().decode()
  except urllib.error.HTTPError as error:
    return error.code, error.read().decode()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request, tmp_path):
  if request.param == "sqlite":
    yield f"sqlite:///{tmp_path / 'shared.sqlite'}"
    return
  reason = _postgres_unavailable()
  if reason:
    missing_service(reason)
  with _postgres_database("cache") as uri:
    yield uri


@pytest.mark.slow
def test_two_processes_never_serve_stale_content(tmp_path, enabled_plugins, shared_database):
  reason = _redis_unavailable()
  if reason:
    missing_service(reason)
  prefix = f"pmtest:cache:{uuid.uuid4().hex[:8]}:"
  servers = []
  for name in ("first", "second"):
    folder = tmp_path / name
    folder.mkdir()
    # The key prefix is an INI-only setting; each server has an instance folder (and so a version
    # file) of its own: only Redis connects them.
    (folder / "development.ini").write_text(
      f"[app:main]\nuse = egg:prodmanager\nprodmanager.cache_key_prefix = {prefix}\n"
    )
    servers.append(
      (
        folder,
        {
          "PM_INSTANCE_PATH": str(folder / "instance"),
          "PM_DATABASE_URI": shared_database,
          "PM_SECRET_KEY": TEST_SECRET,
          "PM_PLUGINS": " ".join(enabled_plugins),
          "PM_REDIS_URI": REDIS_TEST_URI,
        },
      )
    )
  (first_folder, first_env), (second_folder, second_env) = servers
  with running_server(first_folder, first_env) as first, running_server(second_folder, second_env) as second:
    token = subprocess.run(
      [
        prodmanager_command(),
        "token",
        "create",
        "--name",
        "coherence",
        "--description",
        "cache coherence test",
      ]
      + ["--permission", "scope_api"],
      env={**os.environ, **first_env},
      cwd=first_folder,
      capture_output=True,
      text=True,
      check=True,
    ).stdout.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    status, body = call(f"{first}/api/scope", bearer, {"name": "Coherent 0", "description": ""})
    assert status == 201, body
    scope_id = json.loads(body)["id"]
    for round_ in range(1, 6):
      # Both servers have the current answer in their cache...
      for server in (first, second):
        assert f"Coherent {round_ - 1}<" in call(f"{server}/scope/{scope_id}")[1]
        assert json.loads(call(f"{server}/api/scope/{scope_id}")[1])["name"] == f"Coherent {round_ - 1}"
      # (from the cache: the tag of the answer is the one its conditional request gets a 304 for)
      with urllib.request.urlopen(f"{second}/scope/{scope_id}", timeout=30) as response:
        etag = response.headers["ETag"]
      assert call(f"{second}/scope/{scope_id}", {"If-None-Match": etag})[0] == 304
      # ...a write through one server, then a read through the other sees it at once.
      writer, reader = (first, second) if round_ % 2 else (second, first)
      status, body = call(
        f"{writer}/api/scope/{scope_id}", bearer, {"name": f"Coherent {round_}"}, method="PATCH"
      )
      assert status == 200, body
      assert f"Coherent {round_}<" in call(f"{reader}/scope/{scope_id}")[1]
      assert json.loads(call(f"{reader}/api/scope/{scope_id}")[1])["name"] == f"Coherent {round_}"


# -- the processes of one host share the answers (FileStore) ----------------------------------------


def stored_digest(app) -> str:
  """The digest part of the key of the only answer in the shared store (beside its newest-answer copy)."""
  store = app_state(app.registry).cache.store
  names = [
    name for name in os.listdir(store.folder) if not name.startswith((".", "latest-")) and "." not in name
  ]
  assert len(names) == 1, names
  return names[0].partition("-")[2]


def test_the_processes_of_a_host_share_their_answers(cached_app, second_process):
  scope_id, headers = create_scope(cached_app, "Shared region")
  assert "Shared region" in make_client(cached_app).get(f"/scope/{scope_id}").text
  rename_behind_the_cache(cached_app, scope_id, "Renamed behind")
  # The second process did not render the page: it reads the first one's answer...
  assert "Shared region" in make_client(second_process).get(f"/scope/{scope_id}").text
  # ...and a write through either of them is seen by both at once.
  make_client(second_process).post_json("/api/scope", {"name": "Other", "description": ""}, headers=headers)
  for app in (cached_app, second_process):
    assert "Renamed behind" in make_client(app).get(f"/scope/{scope_id}").text


def test_a_reader_waits_for_the_process_rendering_its_answer(cached_app, second_process, monkeypatch):
  import threading

  from prodmanager.cache import Entry, FileStore

  scope_id, headers = create_scope(cached_app, "Rendered once")
  make_client(cached_app).get(f"/scope/{scope_id}")
  digest = stored_digest(cached_app)
  make_client(cached_app).post_json("/api/scope", {"name": "Bump", "description": ""}, headers=headers)
  version = app_state(cached_app.registry).cache.version.current()
  key = f"{version}:{digest}"
  # Another process is rendering the page of the new version: it holds the claim.
  store = app_state(cached_app.registry).cache.store
  renderer = FileStore(store.folder, 60)
  assert renderer.claim(key)
  waiting = threading.Event()
  claim = FileStore.claim

  def watched_claim(self, wanted):
    claimed = claim(self, wanted)
    if wanted == key and not claimed:
      waiting.set()
    return claimed

  monkeypatch.setattr(FileStore, "claim", watched_claim)
  answers = []
  reader = threading.Thread(
    target=lambda: answers.append(make_client(second_process).get(f"/scope/{scope_id}"))
  )
  reader.start()
  assert waiting.wait(10)
  # The reader did not render the page itself: it is given the other process's answer.
  marker = Entry(
    [("Content-Type", "text/html; charset=UTF-8")],
    gzip.compress(b"<p>the other render</p>"),
    2e9,
    'W/"x"',
    "/scope/{id}",
    23,
  )
  renderer.set(key, marker)
  renderer.release(key)
  reader.join(10)
  assert answers and answers[0].text == "<p>the other render</p>"
  # A write replaces the version: that answer is never given again, a new render is.
  rename_behind_the_cache(cached_app, scope_id, "After the write")
  make_client(cached_app).post_json("/api/scope", {"name": "Bump again", "description": ""}, headers=headers)
  assert "After the write" in make_client(second_process).get(f"/scope/{scope_id}").text


def test_only_one_process_claims_a_render(tmp_path):
  from prodmanager.cache import Entry, FileStore

  first, second = FileStore(tmp_path / "answers", 60), FileStore(tmp_path / "answers", 60)
  assert first.claim("v1:abc")
  assert not second.claim("v1:abc")
  assert second.claim("v1:def")  # another answer
  entry = Entry([("Content-Type", "text/plain")], gzip.compress(b"answer"), 2e9, 'W/"e"', "/", 6)
  first.set("v1:abc", entry)
  first.release("v1:abc")
  assert second.get("v1:abc").body == entry.body
  assert second.claim("v1:abc")
  second.release("v1:abc")
  second.release("v1:def")


def test_old_answers_are_removed_from_the_shared_folder(tmp_path):
  from prodmanager.cache import FILE_CLEAN_SECONDS, Entry, FileStore

  store = FileStore(tmp_path / "answers", 60)
  entry = Entry([("Content-Type", "text/plain")], gzip.compress(b"answer"), 2e9, 'W/"e"', "/", 6)
  store.set("old:abc", entry)
  store.set("new:abc", entry)
  long_ago = dt.datetime.now().timestamp() - FILE_CLEAN_SECONDS - 1
  os.utime(store.path("old:abc"), (long_ago, long_ago))
  store.clean("new")
  assert sorted(os.listdir(store.folder)) == ["new-abc"]


def test_a_write_during_a_render_is_seen_by_the_next_reader(cached_app, monkeypatch):
  """A reader that comes after a write never gets the answer of the render that began before it."""
  import threading

  scope_id, headers = create_scope(cached_app, "Before the write")
  inside, go, renders = hold_first_render(monkeypatch, f"/scope/{scope_id}")
  answers = {}

  def read(name):
    answers[name] = make_client(cached_app).get(f"/scope/{scope_id}").text

  first = threading.Thread(target=read, args=("first",))
  first.start()
  assert inside.wait(10)  # rendered from the data before the write, not stored yet
  make_client(cached_app).patch_json(f"/api/scope/{scope_id}", {"name": "After the write"}, headers=headers)
  second = threading.Thread(target=read, args=("second",))
  second.start()
  go.set()
  first.join(10)
  second.join(10)
  assert "Before the write" in answers["first"]
  assert "After the write" in answers["second"]
  # The second render's answer is the one kept: the next reader gets it without a render.
  assert "After the write" in make_client(cached_app).get(f"/scope/{scope_id}").text
  assert [path for path, _text in renders] == [f"/scope/{scope_id}"] * 2


def test_readers_behind_a_render_get_the_answer_of_the_newest_version_rendered_once(cached_app, monkeypatch):
  """Two writes during a render: its two waiting readers (one per version) are answered by one
  render begun after both writes, not by one render each."""
  import threading

  from prodmanager.cache import FileStore

  scope_id, headers = create_scope(cached_app, "Before the writes")
  path = f"/scope/{scope_id}"
  inside, go, renders = hold_first_render(monkeypatch, path)
  claimed = []
  claim = FileStore.claim

  def watched_claim(self, key):
    got = claim(self, key)
    if got:
      claimed.append(key)
    return got

  monkeypatch.setattr(FileStore, "claim", watched_claim)
  cache = app_state(cached_app.registry).cache
  answers = {}

  def read(name):
    answers[name] = make_client(cached_app).get(path).text

  def reader_after(name, new_name):
    make_client(cached_app).patch_json(f"/api/scope/{scope_id}", {"name": new_name}, headers=headers)
    version = cache.version.current()
    thread = threading.Thread(target=read, args=(name,))
    thread.start()
    assert wait_for_claim(claimed, version)  # it claimed its version's render: it waits for the URL's lock
    return thread

  first = threading.Thread(target=read, args=("first",))
  first.start()
  assert inside.wait(10)  # rendering the data of before the writes
  second = reader_after("second", "After one write")
  third = reader_after("third", "After two writes")
  go.set()
  for thread in (first, second, third):
    thread.join(10)
  assert "Before the writes" in answers["first"]
  assert "After two writes" in answers["second"] and "After two writes" in answers["third"]
  assert [kept for kept, _text in renders] == [path] * 2  # the first render and one for both readers


def hold_first_render(monkeypatch, path: str):
  """(inside, go, renders): the first render of ``path`` to be kept waits, once it is made, until
  ``go`` is set (``inside`` tells it is there); ``renders`` lists each kept render's (path, text)."""
  import threading

  from prodmanager import cache as cache_module

  inside, go = threading.Event(), threading.Event()
  renders = []
  cacheable = cache_module.cacheable_response

  def slow_first_render(request, response):
    renders.append((request.path, response.text))
    if request.path == path and not inside.is_set():
      inside.set()
      go.wait(10)
    return cacheable(request, response)

  monkeypatch.setattr(cache_module, "cacheable_response", slow_first_render)
  return inside, go, renders


def wait_for_claim(claimed: list, version: str) -> bool:
  import time

  deadline = time.monotonic() + 10
  while time.monotonic() < deadline:
    if any(key.startswith(f"{version}:") for key in list(claimed)):
      return True
    time.sleep(0.01)
  return False


# -- token records checked once until the token table changes ---------------------------------------


def token_jti(headers: dict) -> str:
  import base64

  payload = headers["Authorization"].removeprefix("Bearer ").split(".")[1]
  return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]


def test_a_checked_token_is_not_read_again_until_the_token_table_changes(cached_app):
  _, headers = create_scope(cached_app, "Token reads")
  with recorded_statements(app_state(cached_app.registry).db_engine) as statements:
    make_client(cached_app).get("/api/scope", headers=headers, status=200)
    assert not [statement for statement in statements if "FROM token" in statement]
    # A new token (a write to the token table) and every token is checked again, once.
    create_scope(cached_app, "Another token")
    statements.clear()
    make_client(cached_app).get("/api/scope", headers=headers, status=200)
    make_client(cached_app).get("/api/scope", headers=headers, status=200)
    assert len([statement for statement in statements if "FROM token" in statement]) == 1


def test_a_revoked_token_is_refused_at_once_by_every_process(cached_app, second_process):
  _, headers = create_scope(cached_app, "Revoked later")
  for app in (cached_app, second_process):
    make_client(app).get("/api/scope", headers=headers, status=200)
  make_client(cached_app).post(
    f"/api/token/{token_jti(headers)}/revoke", headers={"X-ProdManager-Secret": TEST_SECRET}
  )
  for app in (cached_app, second_process):
    refused = make_client(app).get("/api/scope", headers=headers, status=401)
    assert refused.json["reasons"]["token"]


def test_static_files_are_fingerprinted_compressed_and_kept_for_a_year(cached_app):
  import re

  page = raw_get(cached_app, "/")
  stylesheet = re.search(r'href="http://localhost(/static/css/app\.css\?v=[0-9a-f]+)"', page.text).group(1)
  for _ in range(2):  # compressed once, then from memory
    response = raw_get(cached_app, stylesheet, **{"Accept-Encoding": "gzip"})
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content_encoding == "gzip"
    assert gzip.decompress(response.body) == raw_get(cached_app, "/static/css/app.css").body
  # Without the fingerprint the file may change under the same URL: an hour only.
  assert raw_get(cached_app, "/static/css/app.css").headers["Cache-Control"] == "max-age=3600"


def test_answers_of_other_settings_are_never_served(build_app):
  # Two applications on one database and instance folder, as a server before and after a restart
  # with another site name: each serves its own pages, never the other's cached ones.
  before = build_app(site_name="Before the restart")
  assert "Before the restart" in before.get("/about").text
  after = build_app(site_name="After the restart")
  assert "After the restart" in after.get("/about").text
  assert "Before the restart" in before.get("/about").text


def test_the_settings_fingerprint_is_the_same_in_every_process():
  import subprocess
  import sys

  from prodmanager.cache import settings_fingerprint

  settings = {
    "prodmanager.names": frozenset({"a", "b", "c", "d"}),
    "prodmanager.site_name": "x",
    "other": object(),
  }
  script = (
    "from prodmanager.cache import settings_fingerprint; "
    "print(settings_fingerprint({'prodmanager.names': frozenset({'d', 'c', 'b', 'a'}), 'prodmanager.site_name': 'x'}))"
  )
  # Another interpreter hashes strings with another seed: sets are sorted, objects left out.
  other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
  assert other.stdout.strip() == settings_fingerprint(settings)
  assert settings_fingerprint({**settings, "prodmanager.site_name": "y"}) != settings_fingerprint(settings)


def maintenance_world(app) -> tuple[dict, int, int]:
  """A scope, a service and a maintenance of theirs, made through the API: (headers, scope, maintenance)."""
  client = make_client(app)
  permissions = [f"{kind}_api" for kind in ("scope", "service", "incident", "maintenance")]
  headers = api_token(client, permissions, "carrytest", "carry-over test token")
  scope = client.post_json("/api/scope", {"name": "Carried region"}, headers=headers, status=201).json["id"]
  service = client.post_json("/api/service", {"name": "Carried service"}, headers=headers, status=201).json[
    "id"
  ]
  body = {
    "name": "Carried works", "scope": scope, "service": service, "service_status": "down",
    "scheduled_start_date": "2030-01-10T22:00", "scheduled_end_date": "2030-01-11T00:00",
  }  # fmt: skip
  maintenance = client.post_json("/api/maintenance", body, headers=headers, status=201).json["id"]
  return headers, scope, maintenance


def create_incident(app, headers: dict, scope: int, name: str) -> None:
  body = {"name": name, "scope": scope, "service": 1, "severity": "minor"}
  make_client(app).post_json("/api/incident", body, headers=headers, status=201)


def test_an_answer_is_carried_over_while_the_tables_it_read_are_not_written(cached_app):
  """A write replaces the content version; a page that read none of the tables it wrote is served
  again under the new version without a render, and one that read them is rendered again."""
  headers, scope, _maintenance = maintenance_world(cached_app)
  engine = app_state(cached_app.registry).db_engine
  cache = app_state(cached_app.registry).cache
  anonymous = make_client(cached_app)
  first = anonymous.get("/maintenance")
  incidents = anonymous.get("/incident")
  assert "Carried works" in first.text and "Carried region" in first.text
  version = cache.version.current()
  create_incident(cached_app, headers, scope, "Unrelated outage")
  assert cache.version.current() != version
  with recorded_statements(engine) as statements:
    again = anonymous.get("/maintenance")
  # The maintenance list reads no incident: the same answer, without a statement, under the new version.
  assert statements == []
  assert again.body == first.body and again.headers["ETag"] == first.headers["ETag"]
  assert anonymous.get("/maintenance", headers={"If-None-Match": first.headers["ETag"]}, status=304)
  # The incident list reads incidents: rendered again, with the new one.
  with recorded_statements(engine) as statements:
    assert "Unrelated outage" in anonymous.get("/incident").text
  assert statements and incidents.headers["ETag"] != anonymous.get("/incident").headers["ETag"]
  # The scope's name comes with the maintenances (a join): renaming it renders the list again.
  make_client(cached_app).patch_json(f"/api/scope/{scope}", {"name": "Renamed region"}, headers=headers)
  renamed = anonymous.get("/maintenance")
  assert "Renamed region" in renamed.text and "Carried region" not in renamed.text
  assert renamed.headers["ETag"] != first.headers["ETag"]


def test_a_carried_over_answer_keeps_its_expiry(cached_app, monkeypatch):
  """An answer that changes at a moment (an upcoming maintenance starting) is not carried past it."""
  import prodmanager.cache as cache_module

  headers, scope, _maintenance = maintenance_world(cached_app)
  anonymous = make_client(cached_app)
  anonymous.get("/maintenance")
  entry = app_state(cached_app.registry).cache.store.latest_answer(stored_digest(cached_app))
  assert entry is not None and entry.tables and entry.expires < time.time() + 3600
  create_incident(cached_app, headers, scope, "Before the moment")
  moment = entry.expires + 1
  monkeypatch.setattr(cache_module.time, "time", lambda: moment)
  engine = app_state(cached_app.registry).db_engine
  with recorded_statements(engine) as statements:
    anonymous.get("/maintenance")
  assert statements, "an expired answer is rendered again, not carried over"


def test_the_processes_of_a_host_carry_over_each_others_answers(cached_app, second_process):
  headers, scope, _maintenance = maintenance_world(cached_app)
  first = make_client(cached_app).get("/maintenance")
  create_incident(cached_app, headers, scope, "Seen by both")
  with recorded_statements(app_state(second_process.registry).db_engine) as statements:
    again = make_client(second_process).get("/maintenance")
  assert statements == [] and again.body == first.body


def test_an_answer_whose_render_ran_text_sql_is_never_carried_over(cached_app, monkeypatch):
  """SQL of its own may read any table: such an answer is rendered again after every write."""
  from prodmanager.views.html import ResourceViews

  headers, scope, _maintenance = maintenance_world(cached_app)
  listing = ResourceViews.list

  def with_text(self):
    self.request.dbsession.execute(text("SELECT count(*) FROM incident")).scalar()
    return listing(self)

  monkeypatch.setattr(ResourceViews, "list", with_text)
  anonymous = make_client(cached_app)
  anonymous.get("/maintenance")
  create_incident(cached_app, headers, scope, "Counted by text")
  with recorded_statements(app_state(cached_app.registry).db_engine) as statements:
    anonymous.get("/maintenance")
  assert any("count(*) FROM incident" in statement for statement in statements)


def test_the_tables_of_a_compiled_statement_include_its_eager_joins():
  from sqlalchemy import select
  from sqlalchemy.dialects import postgresql, sqlite
  from sqlalchemy.orm import joinedload

  from prodmanager.cache import compiled_tables
  from prodmanager_incident.models import Incident

  statement = select(Incident).options(joinedload(Incident.scope), joinedload(Incident.service))
  for dialect in (sqlite.dialect(), postgresql.dialect()):
    assert compiled_tables(statement.compile(dialect=dialect)) == {"incident", "scope", "service"}
    assert compiled_tables(text("SELECT 1 FROM incident").compile(dialect=dialect)) is None
    mixed = select(Incident.id).where(text("incident.name = 'x'"))
    assert compiled_tables(mixed.compile(dialect=dialect)) is None


def test_the_announcements_panel_is_kept_across_other_writes_and_still_expires_on_time(cached_app):
  headers, scope, _maintenance = maintenance_world(cached_app)
  client = make_client(cached_app)
  announcer = api_token(client, ["announcement_api"], "announcer", "announcement writer")
  now = dt.datetime.now(dt.UTC).replace(microsecond=0)
  for name, start in (
    ("Ongoing notice", now - dt.timedelta(hours=1)),
    ("Later notice", now + dt.timedelta(minutes=10)),
  ):
    body = {
      "name": name, "level": "low", "scope": scope, "service": 1,
      "start_date": start.isoformat(), "end_date": (start + dt.timedelta(hours=3)).isoformat(),
    }  # fmt: skip
    client.post_json("/api/announcement", body, headers=announcer, status=201)
  anonymous = make_client(cached_app)
  assert "Ongoing notice" in anonymous.get("/").text
  create_incident(cached_app, headers, scope, "Beside the notice")
  engine = app_state(cached_app.registry).db_engine
  with recorded_statements(engine) as statements:
    page = anonymous.get("/").text
  assert "Ongoing notice" in page and "Later notice" not in page and "Beside the notice" in page
  # The panel came from what was kept: no announcement was read again...
  assert not [statement for statement in statements if "announcement" in statement]
  # ...and the page still expires when the later notice starts.
  entries = app_state(cached_app.registry).cache.store.local.entries.values()
  assert min(entry.expires for entry in entries) == pytest.approx(
    (now + dt.timedelta(minutes=10)).timestamp()
  )


def test_the_filters_choices_are_kept_until_their_table_is_written(cached_app):
  headers, scope, _maintenance = maintenance_world(cached_app)
  anonymous = make_client(cached_app)
  assert ">Carried region</option>" in anonymous.get("/incident").text
  create_incident(cached_app, headers, scope, "Listed again")
  with recorded_statements(app_state(cached_app.registry).db_engine) as statements:
    page = anonymous.get("/incident").text
  assert "Listed again" in page and ">Carried region</option>" in page
  assert not [
    s for s in statements if " ".join(s.split()).startswith("SELECT scope.id, scope.name FROM scope")
  ]
  make_client(cached_app).patch_json(f"/api/scope/{scope}", {"name": "Chosen region"}, headers=headers)
  assert ">Chosen region</option>" in anonymous.get("/incident").text


def test_the_summary_keeps_its_maintenances_across_an_incident_and_reads_them_again_after_theirs(cached_app):
  """summary.json: an incident created reads the incidents again, not the maintenances (their rows,
  events and newest date are kept); a maintenance written is read again, and the summary still
  expires when an upcoming one's window ends."""
  headers, scope, maintenance = maintenance_world(cached_app)
  client = make_client(cached_app)
  end = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=10)
  body = {
    "name": "Soon over", "scope": scope, "service": 1, "service_status": "degraded",
    "scheduled_start_date": (end - dt.timedelta(hours=2)).isoformat(), "scheduled_end_date": end.isoformat(),
  }  # fmt: skip
  client.post_json("/api/maintenance", body, headers=headers, status=201)
  engine = app_state(cached_app.registry).db_engine
  anonymous = make_client(cached_app)
  first = anonymous.get("/api/v2/summary.json").json
  assert [item["name"] for item in first["scheduled_maintenances"]] == ["Soon over", "Carried works"]
  create_incident(cached_app, headers, scope, "Beside the works")
  with recorded_statements(engine) as statements:
    summary = anonymous.get("/api/v2/summary.json").json
  assert [item["name"] for item in summary["incidents"]] == ["Beside the works"]
  assert summary["scheduled_maintenances"] == first["scheduled_maintenances"]
  assert summary["page"]["updated_at"] >= first["page"]["updated_at"]
  assert statements and not [statement for statement in statements if "maintenance" in statement]
  # Kept parts or not, the summary still expires when "Soon over" ends (overdue, no longer upcoming).
  entries = app_state(cached_app.registry).cache.store.local.entries.values()
  assert min(entry.expires for entry in entries) == pytest.approx(end.timestamp())
  # A maintenance written is read again at once.
  client.patch_json(f"/api/maintenance/{maintenance}", {"name": "Renamed works"}, headers=headers, status=200)
  renamed = anonymous.get("/api/v2/summary.json").json
  assert [item["name"] for item in renamed["scheduled_maintenances"]] == ["Soon over", "Renamed works"]
  assert renamed["page"]["updated_at"] >= summary["page"]["updated_at"]


def incident_pages(app, headers: dict, scope: int) -> tuple[int, int]:
  """Two incidents of ``scope`` whose ids fall in different row shards (prodmanager.derived.ROW_SHARDS)."""
  from prodmanager.derived import ROW_SHARDS

  client = make_client(app)
  first = client.post_json(
    "/api/incident",
    {"name": "Watched outage", "scope": scope, "service": 1, "severity": "high"},
    headers=headers,
  ).json["id"]
  second = first
  while second % ROW_SHARDS == first % ROW_SHARDS:
    second = client.post_json(
      "/api/incident",
      {"name": "Other outage", "scope": scope, "service": 1, "severity": "minor"},
      headers=headers,
    ).json["id"]
  return first, second


def test_an_incident_page_is_carried_over_across_the_writes_of_other_incidents(cached_app):
  """An incident's page reads its own rows only (its id, its events): another incident created,
  changed or commented leaves it as it was; its own change, comment or removal renders it again."""
  headers, scope, _maintenance = maintenance_world(cached_app)
  watched, other = incident_pages(cached_app, headers, scope)
  engine = app_state(cached_app.registry).db_engine
  anonymous = make_client(cached_app)
  client = make_client(cached_app)
  first = anonymous.get(f"/incident/{watched}")
  assert "Watched outage" in first.text
  create_incident(cached_app, headers, scope, "Created beside")
  client.patch_json(f"/api/incident/{other}", {"name": "Other outage, renamed"}, headers=headers, status=200)
  client.post_json(f"/api/incident/{other}/comment", {"comment": "Elsewhere"}, headers=headers, status=200)
  with recorded_statements(engine) as statements:
    again = anonymous.get(f"/incident/{watched}")
  assert statements == [] and again.body == first.body and again.headers["ETag"] == first.headers["ETag"]
  # Its own comment (an event of its timeline) and its own change are seen at once.
  client.post_json(
    f"/api/incident/{watched}/comment", {"comment": "Root cause found"}, headers=headers, status=200
  )
  commented = anonymous.get(f"/incident/{watched}")
  assert "Root cause found" in commented.text and commented.headers["ETag"] != first.headers["ETag"]
  client.patch_json(
    f"/api/incident/{watched}", {"name": "Watched outage, renamed"}, headers=headers, status=200
  )
  assert "Watched outage, renamed" in anonymous.get(f"/incident/{watched}").text
  # Its scope renamed (read with it, as a whole table) renders it again too.
  client.patch_json(f"/api/scope/{scope}", {"name": "Renamed around"}, headers=headers, status=200)
  assert "Renamed around" in anonymous.get(f"/incident/{watched}").text
  client.delete(f"/api/incident/{watched}", headers=headers, status=204)
  assert anonymous.get(f"/incident/{watched}", expect_errors=True).status_int == 404


def test_a_write_whose_rows_are_not_known_renders_every_incident_page_again(cached_app):
  """A statement's update (no rows known to the session) and an event moved to another incident
  (both incidents' shards) never leave an incident's page stale."""
  from sqlalchemy import update

  from prodmanager_incident.models import Incident, IncidentEvent

  headers, scope, _maintenance = maintenance_world(cached_app)
  watched, other = incident_pages(cached_app, headers, scope)
  anonymous = make_client(cached_app)
  assert "Watched outage" in anonymous.get(f"/incident/{watched}").text
  with CommandContext(cached_app.registry).session() as session:
    session.execute(update(Incident).where(Incident.id == watched).values(name="Renamed by a statement"))
  assert "Renamed by a statement" in anonymous.get(f"/incident/{watched}").text
  make_client(cached_app).post_json(
    f"/api/incident/{other}/comment", {"comment": "Posted on the wrong one"}, headers=headers, status=200
  )
  assert "Posted on the wrong one" not in anonymous.get(f"/incident/{watched}").text
  assert "Posted on the wrong one" in anonymous.get(f"/incident/{other}").text
  with CommandContext(cached_app.registry).session() as session:
    event = session.query(IncidentEvent).filter_by(parent_id=other, content="Posted on the wrong one").one()
    event.parent_id = watched
  assert "Posted on the wrong one" in anonymous.get(f"/incident/{watched}").text
  assert "Posted on the wrong one" not in anonymous.get(f"/incident/{other}").text


def test_the_api_list_serializes_again_only_the_incidents_a_write_changed(cached_app):
  """The anonymous list keeps each incident's object under the versions of its rows (its shard),
  of its parents' tables and of the events': after a write, only the changed incidents are read
  and serialized again, and every change is in the answer."""
  from sqlalchemy import update

  from prodmanager.derived import ROW_SHARDS
  from prodmanager.fragments import fragments
  from prodmanager_incident.models import Incident

  headers, scope, _maintenance = maintenance_world(cached_app)
  watched, other = incident_pages(cached_app, headers, scope)
  anonymous, client = make_client(cached_app), make_client(cached_app)
  kept = fragments(cached_app.registry)

  def listed() -> dict:
    return {item["id"]: item for item in anonymous.get("/api/incident?per_page=50").json["items"]}

  def made(action) -> int:
    """How many objects the next list makes after ``action`` (a write)."""
    action()
    misses = kept.misses
    items = listed()
    made.items = items
    return kept.misses - misses

  first = listed()
  ids = sorted(first)
  assert watched in first and other in first

  def sharing(ident):  # the listed incidents whose rows share the shard of ``ident``
    return sum(1 for listed_id in made.items if listed_id % ROW_SHARDS == ident % ROW_SHARDS)

  created = made(lambda: create_incident(cached_app, headers, scope, "Created beside"))
  new = max(made.items)
  assert new not in ids and made.items[watched] == first[watched]
  assert created == sharing(new)
  comment = {"comment": "Root cause found"}
  path = f"/api/incident/{watched}/comment"
  assert made(lambda: client.post_json(path, comment, headers=headers, status=200)) == sharing(watched)
  assert "Root cause found" in [event["content"] for event in made.items[watched]["events"]]
  assert made.items[other] == first[other]
  renamed = {"name": "Other outage, renamed", "severity": "critical"}
  patch = lambda: client.patch_json(f"/api/incident/{other}", renamed, headers=headers, status=200)  # noqa: E731
  assert made(patch) == sharing(other)
  assert (made.items[other]["name"], made.items[other]["severity"]) == ("Other outage, renamed", "critical")

  def statement():
    with CommandContext(cached_app.registry).session() as session:
      session.execute(update(Incident).where(Incident.id == watched).values(name="Renamed by a statement"))

  # A statement's rows are not known: every incident is serialized again.
  assert made(statement) == len(made.items)
  assert made.items[watched]["name"] == "Renamed by a statement"
  client.delete(f"/api/incident/{other}", headers=headers, status=204)
  assert other not in listed()


def test_the_summary_serializes_again_only_the_incidents_a_write_changed(cached_app):
  """The Statuspage summary keeps each open incident's object under the versions of its rows: a
  comment shows at once in its updates and makes that object only (and those of its shard)."""
  from prodmanager.derived import ROW_SHARDS
  from prodmanager.fragments import fragments

  headers, scope, _maintenance = maintenance_world(cached_app)
  watched, other = incident_pages(cached_app, headers, scope)
  anonymous, client = make_client(cached_app), make_client(cached_app)
  kept = fragments(cached_app.registry)

  def incidents() -> dict:
    body = anonymous.get("/api/v2/summary.json").json
    return {int(item["id"].rpartition("-")[2]): item for item in body["incidents"]}

  first = incidents()
  assert {watched, other} <= set(first)
  misses = kept.misses
  comment = {"comment": "Root cause found"}
  client.post_json(f"/api/incident/{watched}/comment", comment, headers=headers, status=200)
  second = incidents()
  assert second[watched]["incident_updates"][0]["body"] == "Root cause found"
  assert second[other] == first[other]
  assert kept.misses - misses == sum(1 for ident in second if ident % ROW_SHARDS == watched % ROW_SHARDS)
  client.patch_json(f"/api/incident/{other}", {"status": "resolved"}, headers=headers, status=200)
  assert other not in incidents()
  client.patch_json(f"/api/incident/{watched}", {"name": "Watched, renamed"}, headers=headers, status=200)
  assert incidents()[watched]["name"] == "Watched, renamed"


def test_a_summary_after_a_write_whose_tables_are_not_known_makes_every_incident_again(cached_app):
  """A change announced without its tables (``ResponseCache.bump()``: a command's own SQL) replaces
  the version every kept incident of the summary holds: none is shown as it was before it."""
  headers, scope, _maintenance = maintenance_world(cached_app)
  watched, _other = incident_pages(cached_app, headers, scope)
  anonymous = make_client(cached_app)

  def names() -> dict:
    body = anonymous.get("/api/v2/summary.json").json
    return {item["id"]: item["name"] for item in body["incidents"]}

  assert names()[f"incident-{watched}"] == "Watched outage"
  with app_state(cached_app.registry).db_engine.begin() as connection:
    connection.execute(text("UPDATE incident SET name = 'Renamed by text' WHERE id = :id"), {"id": watched})
  app_state(cached_app.registry).cache.bump()
  assert names()[f"incident-{watched}"] == "Renamed by text"


def test_a_summary_whose_incident_is_removed_while_it_is_read_reads_its_list_again(cached_app, monkeypatch):
  """The summary reads the ids of its open incidents, then the rows not kept whole: one removed in
  between (PostgreSQL reads each statement anew) has the list read again, whole."""
  from prodmanager_statuspage.payload import Statuspage

  headers, scope, _maintenance = maintenance_world(cached_app)
  watched, other = incident_pages(cached_app, headers, scope)
  rows_of = Statuspage.rows_of
  removed = []

  def removing_one(self, model, statement):
    rows = rows_of(self, model, statement)
    if not removed:  # the first read of whole rows: as if the watched one had just been removed
      removed.append(watched)
      return [row for row in rows if row.id != watched]
    return rows

  monkeypatch.setattr(Statuspage, "rows_of", removing_one)
  body = make_client(cached_app).get("/api/v2/summary.json").json
  assert removed == [watched]
  listed = {item["id"] for item in body["incidents"]}
  assert {f"incident-{other}"} <= listed  # read again whole: the watched one is still there
  assert f"incident-{watched}" in listed


@pytest.mark.parametrize("dialect_name", ["sqlite", "postgresql"])
def test_the_rows_a_statement_reads_are_known_only_when_its_where_restricts_them(dialect_name):
  from sqlalchemy import or_, select
  from sqlalchemy.dialects import postgresql, sqlite
  from sqlalchemy.orm import aliased, joinedload

  from prodmanager.cache import compiled_rows
  from prodmanager_incident.models import Incident, IncidentEvent

  dialect = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}[dialect_name]

  def rows(statement):
    return compiled_rows(statement.compile(dialect=dialect))

  by_id = select(Incident).options(joinedload(Incident.scope)).where(Incident.id == 7)
  assert {table: bound[0] for table, bound in rows(by_id).items()} == {"incident": "incident"}
  events = select(IncidentEvent).where(IncidentEvent.parent_id.in_([7, 8]), IncidentEvent.internal.is_(False))
  assert rows(events)["incident_event"][0] == "incident" and rows(events)["incident_event"][2] is True
  # Not restricted: a condition that is not a top-level AND, another column, a subquery, an alias.
  assert rows(select(Incident).where(or_(Incident.id == 7, Incident.name == "x"))) == {}
  assert rows(select(Incident).where(Incident.scope_id == 7)) == {}
  newest = select(Incident.id).order_by(Incident.id.desc()).limit(1).scalar_subquery()
  assert rows(select(Incident).where(Incident.id == 7, Incident.id != newest)) == {}
  other = aliased(Incident)
  assert rows(select(Incident, other).join(other, other.id != Incident.id).where(Incident.id == 7)) == {}
  assert rows(select(Incident)) == {}
