"""Rate limits on /api (optional) and on POST /login (always on), counted in a real Redis.

Redis is expected at 127.0.0.1:6379 (``PM_TEST_REDIS`` to change it); the tests use database 15 and
a key prefix of their own, and delete their keys afterwards. Without Redis, the tests that need it
are skipped with the reason; those of the in-process backend still run.
"""

import logging
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from sqlalchemy import select

from prodmanager.ratelimit import RateLimiter, RedisBackend
from prodmanager.settings import ConfigurationError, read_settings
from prodmanager.state import app_state
from prodmanager.testing import REDIS_TEST_URI, TEST_SECRET, missing_service
from prodmanager.tokens import TokenRecord

REDIS_URI = REDIS_TEST_URI
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used")


@pytest.fixture(scope="session")
def redis_client():
  import redis

  client = redis.Redis.from_url(REDIS_URI, socket_timeout=2, socket_connect_timeout=2)
  try:
    client.ping()
  except redis.RedisError as error:
    missing_service(
      f"REDIS UNAVAILABLE: Redis is not reachable at {REDIS_URI} ({error}); rate limit tests skipped"
    )
  return client


@pytest.fixture
def key_prefix(redis_client):
  """A key prefix of this test's own; its keys are deleted afterwards."""
  prefix = f"pmtest:{uuid.uuid4().hex}:"
  yield prefix
  keys = list(redis_client.scan_iter(match=f"{prefix}*"))
  if keys:
    redis_client.delete(*keys)


@pytest.fixture
def limited_app(build_app, connection):
  """``limited_app(**settings)``: a client of an application with these settings, whose database
  session is the test's (rolled back), so that tokens minted by ``make_token`` are known to it."""

  def build(**overrides):
    return build_app(**overrides)

  return build


@pytest.fixture
def redis_app(limited_app, key_prefix):
  def build(**overrides):
    return limited_app(redis_uri=REDIS_URI, ratelimit_key_prefix=key_prefix, **overrides)

  return build


def closed_port() -> int:
  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    return sock.getsockname()[1]  # free once the socket is closed: nothing listens there


def rate_headers(response) -> dict[str, int]:
  return {name: int(response.headers[name]) for name in HEADERS}


def login(client, secret: str, status: int, **kwargs):
  """Submit the login form (with its CSRF token) and check the answer's status."""
  csrf = client.get("/login", **kwargs).forms["login-form"]["csrf_token"].value
  return client.post("/login", {"secret": secret, "csrf_token": csrf}, status=status, **kwargs)


# -- API limit -------------------------------------------------------------------------------------


def test_anonymous_clients_get_the_default_limit_then_429(redis_app, redis_client, key_prefix):
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_default="3", api_ratelimit_logged="50")
  for used in (1, 2, 3):
    response = client.get("/api/scope")
    headers = rate_headers(response)
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Used"]) == (3, used)
    assert headers["X-RateLimit-Remaining"] == 3 - used
    assert 0 < headers["X-RateLimit-Reset"] <= 3600  # seconds until the window ends
    assert response.json == {"items": []}
  refused = client.get("/api/scope", status=429)
  assert refused.content_type == "application/json"
  assert refused.json["message"] == "Rate limit exceeded"
  assert refused.json["reasons"]["rate_limit"] == [
    f"at most 3 requests per hour for an anonymous client; retry in {refused.headers['Retry-After']} seconds"
  ]
  headers = rate_headers(refused)
  assert headers["X-RateLimit-Remaining"] == 0
  assert headers["X-RateLimit-Used"] == 4
  assert int(refused.headers["Retry-After"]) == headers["X-RateLimit-Reset"] > 0
  assert refused.headers["X-Content-Type-Options"] == "nosniff"  # the security headers are there too
  # The counter is in Redis, with the window as its lifetime.
  key = f"{key_prefix}api:ip:unknown"
  assert int(redis_client.get(key)) == 4
  assert 0 < redis_client.ttl(key) <= 3600


def test_every_api_answer_counts_and_pages_do_not(redis_app):
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_default="2")
  assert rate_headers(client.get("/api/openapi.json"))["X-RateLimit-Used"] == 1
  assert rate_headers(client.get("/api/scope/999999", status=404))["X-RateLimit-Used"] == 2
  for path in ("/", "/scope", "/about", "/health"):  # outside /api: never limited
    response = client.get(path)
    assert "X-RateLimit-Limit" not in response.headers
  client.get("/api/scope/999999", status=429)


def test_a_refused_write_writes_nothing(redis_app, make_token, dbsession, registry):
  scope_model = app_state(registry).resource_types["scope"].service.model
  headers = make_token(["scope_api"])
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_logged="1")
  client.post_json("/api/scope", {"name": "Within the limit"}, headers=headers, status=201)
  refused = client.post_json("/api/scope", {"name": "Over the limit"}, headers=headers, status=429)
  assert rate_headers(refused)["X-RateLimit-Used"] == 2
  names = set(dbsession.scalars(select(scope_model.name)))
  assert "Within the limit" in names
  assert "Over the limit" not in names


def test_token_clients_get_the_logged_limit_each_their_own(redis_app, make_token, redis_client, key_prefix):
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_default="1", api_ratelimit_logged="3")
  client.get("/api/scope")
  client.get("/api/scope", status=429)  # the anonymous client is done...
  first, second = make_token([], name="firsttoken"), make_token([], name="secondtoken")
  for used in (1, 2, 3):  # ...but a token has its own, larger allowance
    headers = rate_headers(client.get("/api/scope", headers=first))
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Used"]) == (3, used)
  refused = client.get("/api/scope", headers=first, status=429)
  assert "for a token or a logged-in session" in refused.json["reasons"]["rate_limit"][0]
  # Another token is another client.
  assert rate_headers(client.get("/api/scope", headers=second))["X-RateLimit-Used"] == 1
  # Counted by the token's jti.
  jti = client.get("/api/token/whoami", headers=second).json["payload"]["jti"]
  assert int(redis_client.get(f"{key_prefix}api:token:{jti}")) == 2


def test_the_old_private_token_header_counts_as_the_same_token(redis_app, make_token):
  token = make_token([])["Authorization"].split(" ", 1)[1]
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_logged="5")
  assert (
    rate_headers(client.get("/api/scope", headers={"Authorization": f"Bearer {token}"}))["X-RateLimit-Used"]
    == 1
  )
  headers = rate_headers(client.get("/api/scope", headers={"X-PRIVATE-TOKEN": token}))
  assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Used"]) == (5, 2)


def test_session_clients_get_the_logged_limit(redis_app, redis_client, key_prefix):
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_default="1", api_ratelimit_logged="4")
  login(client, TEST_SECRET, 303)
  for used in (1, 2, 3, 4):
    headers = rate_headers(client.get("/api/scope"))
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Used"]) == (4, used)
  client.get("/api/scope", status=429)
  assert int(redis_client.get(f"{key_prefix}api:session:admin")) == 5
  assert redis_client.get(f"{key_prefix}api:ip:unknown") is None  # nothing counted as anonymous


def test_an_invalid_token_is_401_and_counted_as_anonymous(redis_app, redis_client, key_prefix):
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_default="2", api_ratelimit_logged="100")
  response = client.get("/api/scope", headers={"Authorization": "Bearer not.a.token"}, status=401)
  assert set(response.json) == {"message", "reasons"}
  assert response.json["reasons"]["token"]
  headers = rate_headers(response)
  assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Used"]) == (2, 1)  # not the logged limit
  client.get("/api/scope", headers={"Authorization": "Bearer garbage"}, status=401)
  refused = client.get("/api/scope", headers={"Authorization": "Bearer garbage"}, status=429)
  assert refused.json["reasons"]["rate_limit"]
  assert int(redis_client.get(f"{key_prefix}api:ip:unknown")) == 3
  assert not list(redis_client.scan_iter(match=f"{key_prefix}api:token:*"))


def test_clients_are_told_apart_by_address(redis_app):
  client = redis_app(api_ratelimit_enabled="true", api_ratelimit_default="1")
  client.get("/api/scope", extra_environ={"REMOTE_ADDR": "192.0.2.1"})
  client.get("/api/scope", extra_environ={"REMOTE_ADDR": "192.0.2.1"}, status=429)
  other = client.get("/api/scope", extra_environ={"REMOTE_ADDR": "192.0.2.2"})
  assert rate_headers(other)["X-RateLimit-Used"] == 1


@pytest.mark.parametrize("backend", ["redis", "memory"])
def test_the_window_resets(backend, redis_app, limited_app):
  settings = {
    "api_ratelimit_enabled": "true",
    "api_ratelimit_default": "1",
    "api_ratelimit_period_seconds": "2",  # internal: the window in seconds, instead of the hours
  }
  client = redis_app(**settings) if backend == "redis" else limited_app(**settings)
  first = rate_headers(client.get("/api/scope"))
  assert first["X-RateLimit-Used"] == 1
  assert first["X-RateLimit-Reset"] <= 2
  refused = client.get("/api/scope", status=429)
  assert refused.json["reasons"]["rate_limit"][0].startswith("at most 1 requests per 2 seconds")
  time.sleep(int(refused.headers["Retry-After"]) + 0.2)
  again = rate_headers(client.get("/api/scope"))
  assert (again["X-RateLimit-Used"], again["X-RateLimit-Remaining"]) == (1, 0)


def test_the_in_process_backend_limits_too(limited_app):
  client = limited_app(api_ratelimit_enabled="true", api_ratelimit_default="2")
  assert [rate_headers(client.get("/api/scope"))["X-RateLimit-Used"] for _ in range(2)] == [1, 2]
  assert client.get("/api/scope", status=429).json["message"] == "Rate limit exceeded"


def test_disabled_by_default(limited_app):
  client = limited_app()
  for _ in range(70):  # more than the anonymous default (60)
    response = client.get("/api/scope/999999", status=404)
  assert not [name for name in response.headers if name.lower().startswith("x-ratelimit")]


def test_redis_down_api_requests_are_allowed_logged_once_and_counted(limited_app, caplog):
  client = limited_app(
    redis_uri=f"redis://127.0.0.1:{closed_port()}/0",
    api_ratelimit_enabled="true",
    api_ratelimit_default="1",
    login_ratelimit="2",
  )
  with caplog.at_level(logging.WARNING, logger="prodmanager.ratelimit"):
    for _ in range(4):
      response = client.get("/api/scope")
      assert response.json == {"items": []}
      assert "X-RateLimit-Limit" not in response.headers  # no count, so no figures to show
    # Failed logins never fail open: they are counted in this process meanwhile.
    login(client, "wrong secret", 401)
    login(client, "wrong secret", 401)
    refused = login(client, "wrong secret", 429)
  assert (rate_headers(refused)["X-RateLimit-Limit"], rate_headers(refused)["X-RateLimit-Used"]) == (2, 3)
  warnings = [record for record in caplog.records if record.name == "prodmanager.ratelimit"]
  assert len(warnings) == 1  # rate-limited logging: not one line per request
  assert "unavailable" in warnings[0].getMessage()
  assert "API requests are allowed" in warnings[0].getMessage()
  assert "failed secret attempts are counted in this process" in warnings[0].getMessage()
  metrics = client.get("/metrics").text
  assert "prodmanager_ratelimit_backend_errors_total 7.0" in metrics


@pytest.fixture
def private_redis(tmp_path):
  """A redis-server of this test's own on a free port, that the test may stop: ``(uri, stop)``."""
  executable = shutil.which("redis-server")
  if executable is None:
    missing_service("REDIS UNAVAILABLE: redis-server is not installed; Redis outage tests skipped")
  port = closed_port()
  server = subprocess.Popen(
    [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    cwd=tmp_path,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
  )
  import redis

  client = redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1)
  for _ in range(100):  # until it answers (at most 10 s)
    try:
      client.ping()
      break
    except redis.RedisError:
      time.sleep(0.1)
  else:
    server.kill()
    pytest.fail("the private redis-server did not start")

  def stop():
    server.terminate()
    server.wait(timeout=10)

  yield f"redis://127.0.0.1:{port}/0", client, stop
  if server.poll() is None:
    stop()


def test_a_redis_outage_keeps_the_secret_throttle_and_readiness(limited_app, private_redis, caplog):
  uri, redis_client, stop = private_redis
  client = limited_app(redis_uri=uri, login_ratelimit="3")
  assert client.get("/health/ready").json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
  login(client, "wrong secret", 401)
  assert int(redis_client.get("prodmanager:ratelimit:login:ip:unknown")) == 1  # counted in Redis
  stop()
  with caplog.at_level(logging.WARNING, logger="prodmanager.ratelimit"):
    # Redis is gone: every request is still served, so the replica stays ready...
    ready = client.get("/health/ready", status=200)
    assert ready.json == {"status": "ok", "checks": {"database": "ok", "redis": "unavailable"}}
    assert client.get("/api/scope").json == {"items": []}
    # ...and wrong secrets are counted in this process, wherever they are sent.
    failed = [login(client, "wrong secret", 401)]
    failed.append(client.get("/api/token", headers={"X-ProdManager-Secret": "wrong"}, status=401))
    failed.append(login(client, "wrong secret", 401))
    assert [rate_headers(failed[0])["X-RateLimit-Used"], rate_headers(failed[2])["X-RateLimit-Used"]] == [
      1,
      3,
    ]
    refused = login(client, TEST_SECRET, 429)  # the allowance is spent: even the right secret waits
    assert "Too many attempts" in refused.text
    client.reset()  # no session cookie: a script, not a browser
    guess = {"secret": "wrong", "name": "guessing", "description": "guessing the secret"}
    api = client.post("/api/token/create", guess, status=429)
    assert api.json["reasons"]["secret"][0].startswith("too many failed attempts at the administrator secret")
  assert any("unavailable" in record.getMessage() for record in caplog.records)


def test_redis_backend_uses_short_timeouts_and_no_retry():
  backend = RedisBackend(f"redis://127.0.0.1:{closed_port()}/3")
  options = backend.client.connection_pool.connection_kwargs
  assert options["socket_timeout"] <= 0.5
  assert options["socket_connect_timeout"] <= 0.5
  assert backend.name == f"Redis at 127.0.0.1:{options['port']}/3"
  assert RateLimiter(backend).hit("api", "ip:x", 5, 60) is None  # unavailable: allowed


def test_password_never_appears_in_the_backend_name():
  backend = RedisBackend("redis://:s3cret-password@127.0.0.1:6390/2")
  assert "s3cret" not in backend.name


# -- login throttling -------------------------------------------------------------------------------


def test_login_is_throttled_even_with_the_api_limit_disabled(redis_app):
  client = redis_app()  # API limit disabled (the default); login throttling is always on, 10 attempts
  for used in range(1, 11):
    failed = login(client, "wrong secret", 401)
    headers = rate_headers(failed)
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Used"]) == (10, used)
  refused = login(client, "wrong secret", 429)
  assert refused.content_type == "text/html"
  assert "Too many attempts" in refused.text
  assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
  # Even the right secret is refused now, and the session is not logged in.
  login(client, TEST_SECRET, 429)
  assert client.get("/scope/create", status=303).location.startswith("http://localhost/login")
  # The API stays unlimited.
  assert "X-RateLimit-Limit" not in client.get("/api/scope").headers


def test_only_the_login_page_counts(redis_app):
  """/login/ is the login view too and shares the count; /scope/login is no login page (404) and
  costs no attempt."""
  client = redis_app(login_ratelimit="2")
  csrf = client.get("/login").forms["login-form"]["csrf_token"].value
  client.post("/scope/login", {"secret": "guess", "csrf_token": csrf}, status=404)
  client.post("/login/", {"secret": "guess", "csrf_token": csrf}, status=401)
  client.post("/login", {"secret": "guess", "csrf_token": csrf}, status=401)
  refused = client.post("/login", {"secret": TEST_SECRET, "csrf_token": csrf}, status=429)
  assert rate_headers(refused)["X-RateLimit-Used"] == 3


@pytest.mark.parametrize(
  "path", ["/login/x/..", "/login/.", "/login/x/%2e%2e", "/login/anything", "/scope/../login"]
)
def test_every_path_to_the_login_view_counts(limited_app, path):
  """Whatever path traversal leads to the login view (curl --path-as-is), its attempts count."""
  client = limited_app(login_ratelimit="2")
  csrf = client.get("/login").forms["login-form"]["csrf_token"].value
  for used in (1, 2):
    failed = client.post(path, {"secret": "guess", "csrf_token": csrf}, status=401)
    assert rate_headers(failed)["X-RateLimit-Used"] == used
  refused = client.post(path, {"secret": "guess", "csrf_token": csrf}, status=429)
  assert "Too many attempts" in refused.text
  client.post("/login", {"secret": TEST_SECRET, "csrf_token": csrf}, status=429)  # one count for all


TOKEN_GUESS = {"name": "guessing", "description": "guessing the secret"}


def test_wrong_secrets_through_the_api_share_the_login_throttle(limited_app, dbsession):
  """POST /api/token/create and X-ProdManager-Secret are throttled like the login form, with the API
  limit off (the default), in one count per client."""
  client = limited_app(login_ratelimit="3")
  created = client.post("/api/token/create", {**TOKEN_GUESS, "secret": TEST_SECRET})  # right: costs nothing
  assert "X-RateLimit-Used" not in created.headers  # the API's figures are the API limit's only
  wrong = client.post("/api/token/create", {**TOKEN_GUESS, "secret": "guess"}, status=400)
  assert wrong.json == {
    "message": "Token creation failed",
    "reasons": {"secret": ["the application secret is invalid"]},
  }
  wrong = client.get("/api/token", headers={"X-ProdManager-Secret": "guess"}, status=401)
  assert wrong.json == {
    "message": "Invalid secret",
    "reasons": {"secret": ["the administrator secret in X-ProdManager-Secret is invalid"]},
  }
  login(client, "guess", 401)
  client.reset()
  for method, path, kwargs in (
    ("post", "/api/token/create", {"params": {**TOKEN_GUESS, "secret": TEST_SECRET}}),
    ("get", "/api/token", {"headers": {"X-ProdManager-Secret": TEST_SECRET}}),
    ("post", "/api/token/create", {"params": {**TOKEN_GUESS, "secret": "another guess"}}),
  ):
    refused = getattr(client, method)(path, status=429, **kwargs)
    assert refused.json["message"] == "Too many failed attempts"
    seconds = int(refused.headers["Retry-After"])
    assert 0 < seconds <= 15 * 60
    assert refused.json["reasons"] == {
      "secret": [
        f"too many failed attempts at the administrator secret from your address; retry in {seconds} seconds"
      ]
    }
  french = client.get(
    "/api/token", headers={"X-ProdManager-Secret": "x", "Accept-Language": "fr"}, status=429
  )
  assert french.json["message"] == "Trop de tentatives échouées"
  login(client, TEST_SECRET, 429)
  records = dbsession.scalars(select(TokenRecord.name)).all()
  assert records == ["guessing"]  # the first one only


def test_login_throttling_is_per_client_behind_a_proxy(redis_app):
  client = redis_app(proxy_chain_count="1", login_ratelimit="3")
  attacker = {"headers": {"X-Forwarded-For": "198.51.100.7"}}
  operator = {"headers": {"X-Forwarded-For": "198.51.100.8"}}
  for _ in range(3):
    login(client, "guess", 401, **attacker)
  login(client, "guess", 429, **attacker)
  # Another client behind the same proxy is not throttled.
  assert rate_headers(login(client, "typo", 401, **operator))["X-RateLimit-Used"] == 1
  login(client, TEST_SECRET, 303, **operator)


def test_only_failed_logins_count(redis_app, redis_client, key_prefix):
  client = redis_app(login_ratelimit="2")
  for _ in range(3):
    success = login(client, TEST_SECRET, 303)
    assert rate_headers(success)["X-RateLimit-Used"] == 0
  client.post("/login", {"secret": TEST_SECRET}, status=400)  # no CSRF token: the secret is not even read
  login(client, "wrong", 401)
  login(client, "wrong", 401)
  login(client, TEST_SECRET, 429)
  assert int(redis_client.get(f"{key_prefix}login:ip:unknown")) == 3


def test_login_throttling_in_process(limited_app):
  client = limited_app(login_ratelimit="1")
  login(client, "wrong", 401)
  french = login(client, "wrong", 429, headers={"Accept-Language": "fr"})
  assert "Trop de tentatives" in french.text


# -- settings and the document -----------------------------------------------------------------------


def test_rate_limit_settings_defaults():
  settings = read_settings({}, environ={})
  assert settings["prodmanager.redis_uri"] == ""
  assert settings["prodmanager.api_ratelimit_enabled"] is False
  assert settings["prodmanager.api_ratelimit_default"] == 60
  assert settings["prodmanager.api_ratelimit_logged"] == 1500
  assert settings["prodmanager.api_ratelimit_period_hours"] == 1
  assert settings["prodmanager.login_ratelimit"] == 10
  assert settings["prodmanager.metrics_token"] == ""


@pytest.mark.parametrize(
  "uri",
  ["redis://127.0.0.1:6379/0", "redis://:pw@redis", "rediss://cache.internal:6380/2", "unix:///run/r.sock"],
)
def test_valid_redis_uris(uri):
  assert read_settings({}, environ={"PM_REDIS_URI": uri})["prodmanager.redis_uri"] == uri


@pytest.mark.parametrize(
  ("variable", "raw"),
  [
    ("PM_REDIS_URI", "localhost:6379"),
    ("PM_REDIS_URI", "http://127.0.0.1:6379"),
    ("PM_REDIS_URI", "redis://127.0.0.1:port/0"),
    ("PM_REDIS_URI", "redis://127.0.0.1:6379/zero"),
    ("PM_API_RATELIMIT_ENABLED", "sometimes"),
    ("PM_API_RATELIMIT_DEFAULT", "0"),
    ("PM_API_RATELIMIT_DEFAULT", "sixty"),
    ("PM_API_RATELIMIT_LOGGED", "-5"),
    ("PM_API_RATELIMIT_PERIOD_HOURS", "0"),
    ("PM_API_RATELIMIT_PERIOD_HOURS", "1.5"),
    ("PM_LOGIN_RATELIMIT", "0"),
    ("PM_METRICS_TOKEN", "short"),
    ("PM_METRICS_TOKEN", "with a space"),
  ],
)
def test_bad_values_stop_startup(variable, raw):
  with pytest.raises(ConfigurationError) as info:
    read_settings({}, environ={variable: raw})
  message = str(info.value)
  assert f"{variable}={raw!r}" in message
  assert "expected" in message


def test_bad_internal_window_stops_startup(build_app):
  with pytest.raises(ConfigurationError, match="api_ratelimit_period_seconds='soon'"):
    build_app(api_ratelimit_period_seconds="soon")


def test_every_operation_documents_429_with_the_rate_limit_headers(webapp):
  document = webapp.get("/api/openapi.json").json
  e429 = document["components"]["responses"]["E429"]
  assert set(e429["headers"]) == {"Retry-After", *HEADERS}
  for name in e429["headers"]:
    assert document["components"]["headers"][name]["schema"] == {"type": "string", "pattern": "^[0-9]+$"}
  missing = [
    f"{method.upper()} {path}"
    for path, item in document["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict)
    and "responses" in operation
    and operation["responses"].get("429") != {"$ref": "#/components/responses/E429"}
  ]
  assert not missing, f"operations without the 429 response: {missing}"


# -- several server processes ------------------------------------------------------------------------


def call(url: str, headers: dict | None = None, data: bytes | None = None):
  request = urllib.request.Request(url, headers=headers or {}, data=data)
  try:
    with urllib.request.urlopen(request, timeout=30) as response:
      return response.status, response.headers, response.read()
  except urllib.error.HTTPError as error:
    return error.code, error.headers, error.read()


@pytest.mark.slow
def test_two_server_processes_share_one_limit(tmp_path, enabled_plugins, redis_client, key_prefix):
  """Two ``prodmanager serve`` processes on one Redis: one count, whichever server answers."""
  from prodmanager.testing import running_server

  # The key prefix is an INI-only setting: give it through the folder's development.ini.
  (tmp_path / "development.ini").write_text(
    f"[app:main]\nuse = egg:prodmanager\nprodmanager.ratelimit_key_prefix = {key_prefix}\n"
  )
  env = {
    "PM_INSTANCE_PATH": str(tmp_path / "instance"),  # one SQLite database for both
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_PLUGINS": " ".join(enabled_plugins),
    "PM_REDIS_URI": REDIS_URI,
    "PM_API_RATELIMIT_ENABLED": "true",
    "PM_API_RATELIMIT_DEFAULT": "10",
    "PM_API_RATELIMIT_LOGGED": "4",
  }
  # One after the other: the first one migrates the database, the second finds it ready.
  with running_server(tmp_path, env) as first, running_server(tmp_path, env) as second:
    servers = [first, second]
    body = urllib.parse.urlencode(
      {"secret": TEST_SECRET, "name": "twoservers", "description": "a token for two servers"}
    ).encode()
    status, headers, token = call(f"{first}/api/token/create", data=body)
    assert status == 200, token
    assert headers["X-RateLimit-Used"] == "1"
    token = token.decode().strip('"')
    for used in range(2, 11):  # anonymous: alternately on each server, one count
      status, headers, _ = call(f"{servers[used % 2]}/api/scope")
      assert status == 200
      assert (headers["X-RateLimit-Used"], headers["X-RateLimit-Remaining"]) == (str(used), str(10 - used))
    for server in servers:  # the 11th (and 12th) overall is refused, by either server
      status, headers, body = call(f"{server}/api/scope")
      assert status == 429, body
      assert int(headers["Retry-After"]) > 0
    # A token is one client on both servers too.
    bearer = {"Authorization": f"Bearer {token}"}
    for used in range(1, 5):
      status, headers, _ = call(f"{servers[used % 2]}/api/scope", bearer)
      assert (status, headers["X-RateLimit-Limit"], headers["X-RateLimit-Used"]) == (200, "4", str(used))
    assert call(f"{second}/api/scope", bearer)[0] == 429
    assert call(f"{first}/api/scope", bearer)[0] == 429
  assert int(redis_client.get(f"{key_prefix}api:ip:127.0.0.1")) == 12
