"""Recorded, revocable API tokens: the record written on creation, listing and revoking them (API and
CLI), refusal of revoked and unknown tokens, last use, maximum lifetime, internal events per permission."""

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyramid.request import Request
from sqlalchemy import func, select

from prodmanager.db import get_engine
from prodmanager.security import TokenService
from prodmanager.state import app_state
from prodmanager.testing import (
  TEST_SECRET,
  _backends,
  _postgres_database,
  _postgres_unavailable,
  make_app,
  make_client,
)
from prodmanager.tokens import TokenRecord

VALID = {"secret": TEST_SECRET, "name": "ci-runner", "description": "token for the CI"}
ADMIN = {"X-ProdManager-Secret": TEST_SECRET}
RECORD_KEYS = {
  "jti",
  "name",
  "description",
  "permissions",
  "not_before_date",
  "expiration_date",
  "creation_date",
  "created_by",
  "last_used_date",
  "revocation_date",
  "revoked_by",
  "status",
}


def claims_of(token: str) -> dict:
  payload = token.split(".")[1]
  return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def bearer(token: str) -> dict:
  return {"Authorization": f"Bearer {token}"}


def create(webapp, headers=None, **changes) -> str:
  return webapp.post_json("/api/token/create", {**VALID, **changes}, headers=headers).json


def record_of(dbsession, jti: str) -> TokenRecord:
  dbsession.expire_all()
  return dbsession.scalar(select(TokenRecord).where(TokenRecord.jti == jti))


def token_count(dbsession) -> int:
  return dbsession.scalar(select(func.count()).select_from(TokenRecord))


def scope_count(dbsession) -> int:
  from prodmanager_scope.models import Scope

  return dbsession.query(Scope).count()


def minute(delta: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
  return (dt.datetime.now(dt.UTC) + delta).replace(second=0, microsecond=0)


def text(value: dt.datetime) -> str:
  return value.strftime("%Y-%m-%dT%H:%M")


# -- the record ------------------------------------------------------------------------------------


def test_create_records_the_token(webapp, dbsession):
  start, end = minute(dt.timedelta(hours=-1)), minute(dt.timedelta(days=3))
  before = dt.datetime.now(dt.UTC).replace(microsecond=0)
  token = create(
    webapp,
    permissions=["service_api", "scope_api"],
    not_before_date=text(start),
    expiration_date=text(end),
  )
  claims = claims_of(token)
  record = record_of(dbsession, claims["jti"])
  assert record is not None
  assert record.name == "ci-runner"
  assert record.description == "token for the CI"
  assert record.permissions == ["scope_api", "service_api"]
  assert record.not_before == start
  assert record.expires_at == end
  assert before <= record.created_at <= dt.datetime.now(dt.UTC)
  assert int(record.created_at.timestamp()) == claims["iat"]
  assert record.created_by == "secret"
  assert record.revoked_at is None and record.revoked_by is None
  assert record.last_used_at is None  # not used yet
  assert token_count(dbsession) == 1


@pytest.mark.parametrize(
  "changes",
  [{"secret": "wrong"}, {"name": "short"}, {"permissions": ["nope_api"]}, {"expiration_date": "garbage"}],
)
def test_refused_creation_records_nothing(webapp, dbsession, changes):
  webapp.post_json("/api/token/create", {**VALID, **changes}, status=400)
  assert token_count(dbsession) == 0


def test_a_session_creating_a_token_is_recorded_as_its_creator(webapp, dbsession, operator):
  token = webapp.post_json("/api/token/create", VALID, headers={"X-CSRF-Token": operator()}).json
  assert record_of(dbsession, claims_of(token)["jti"]).created_by == "admin"


# -- listing ---------------------------------------------------------------------------------------


def test_list_with_the_secret_header(webapp):
  first = create(webapp, name="first-token", permissions=["scope_api"])
  second = create(webapp, name="second-token")
  response = webapp.get("/api/token", headers=ADMIN)
  items = response.json["items"]
  assert [item["name"] for item in items] == ["second-token", "first-token"]  # newest first
  assert all(set(item) == RECORD_KEYS for item in items)
  listed = items[1]
  claims = claims_of(first)
  assert listed["jti"] == claims["jti"]
  assert listed["description"] == "token for the CI"
  assert listed["permissions"] == ["scope_api"]
  assert listed["not_before_date"] == dt.datetime.fromtimestamp(claims["nbf"], dt.UTC).strftime(
    "%Y-%m-%dT%H:%M:%S"
  )
  assert listed["expiration_date"] == dt.datetime.fromtimestamp(claims["exp"], dt.UTC).strftime(
    "%Y-%m-%dT%H:%M:%S"
  )
  assert listed["creation_date"] == dt.datetime.fromtimestamp(claims["iat"], dt.UTC).strftime(
    "%Y-%m-%dT%H:%M:%S"
  )
  assert listed["created_by"] == "secret"
  assert listed["status"] == "active"
  assert listed["last_used_date"] is None
  assert listed["revocation_date"] is None and listed["revoked_by"] is None
  # The token strings are never given back, nor their signatures.
  for token in (first, second):
    assert token not in response.text
    assert token.split(".")[2] not in response.text
  assert response.headers["x-total"] == "2"
  assert response.headers["x-page"] == "1"


def test_list_is_paginated_like_other_lists(webapp):
  for index in range(3):
    create(webapp, name=f"paged-token-{index}")
  response = webapp.get("/api/token", {"per_page": "2", "page": "2"}, headers=ADMIN)
  assert [item["name"] for item in response.json["items"]] == ["paged-token-0"]
  headers = response.headers
  assert (headers["x-total"], headers["x-total-pages"], headers["x-page"], headers["x-per-page"]) == (
    "3",
    "2",
    "2",
    "2",
  )
  assert (headers["x-prev-page"], headers["x-next-page"]) == ("1", "None")
  assert 'rel="first"' in headers["Link"] and 'rel="prev"' in headers["Link"]
  count = webapp.get("/api/token", {"per_page": "0"}, headers=ADMIN)
  assert count.json == {"items": []}
  assert count.headers["x-total"] == "3"
  assert "page" in webapp.get("/api/token", {"page": "0"}, headers=ADMIN, status=400).json["reasons"]


def test_list_as_a_logged_in_operator(webapp, operator):
  create(webapp, headers={"X-CSRF-Token": operator()})
  items = webapp.get("/api/token").json["items"]
  assert [item["name"] for item in items] == ["ci-runner"]


def test_list_with_a_wrong_secret_header(webapp):
  response = webapp.get("/api/token", headers={"X-ProdManager-Secret": "not-the-secret"}, status=401)
  assert response.json["reasons"] == {
    "secret": ["the administrator secret in X-ProdManager-Secret is invalid"]
  }


def test_anonymous_cannot_list_or_revoke(webapp, dbsession):
  jti = claims_of(create(webapp))["jti"]
  for method, path in (
    ("get", "/api/token"),
    ("post", f"/api/token/{jti}/revoke"),
    ("delete", f"/api/token/{jti}"),
  ):
    response = getattr(webapp, method)(path, status=401)
    assert set(response.json) == {"message", "reasons"}
    assert "X-ProdManager-Secret" in response.json["reasons"]["authentication"][0]
  assert record_of(dbsession, jti).revoked_at is None


def test_tokens_cannot_list_or_revoke_tokens(webapp, dbsession, token_headers):
  jti = claims_of(create(webapp))["jti"]
  for method, path in (
    ("get", "/api/token"),
    ("post", f"/api/token/{jti}/revoke"),
    ("delete", f"/api/token/{jti}"),
  ):
    response = getattr(webapp, method)(path, headers=token_headers, status=403)
    assert "permission" in response.json["reasons"]
  assert record_of(dbsession, jti).revoked_at is None


# -- revoking --------------------------------------------------------------------------------------


def test_revoke_with_the_secret_header(webapp, dbsession):
  token = create(webapp, permissions=["scope_api"])
  jti = claims_of(token)["jti"]
  body = webapp.post(f"/api/token/{jti}/revoke", headers=ADMIN).json
  assert set(body) == RECORD_KEYS
  assert body["jti"] == jti
  assert body["status"] == "revoked"
  assert body["revoked_by"] == "secret"
  assert body["revocation_date"]
  record = record_of(dbsession, jti)
  assert record.revoked_by == "secret"
  first_revocation = record.revoked_at
  assert first_revocation is not None
  # Revoking again (either way) changes nothing.
  assert (
    webapp.post(f"/api/token/{jti}/revoke", headers=ADMIN).json["revocation_date"] == body["revocation_date"]
  )
  webapp.delete(f"/api/token/{jti}", headers=ADMIN, status=204)
  assert record_of(dbsession, jti).revoked_at == first_revocation


def test_delete_revokes_and_keeps_the_record(webapp, dbsession):
  jti = claims_of(create(webapp))["jti"]
  response = webapp.delete(f"/api/token/{jti}", headers=ADMIN, status=204)
  assert response.body == b""
  record = record_of(dbsession, jti)
  assert record.revoked_at is not None and record.revoked_by == "secret"
  assert [item["status"] for item in webapp.get("/api/token", headers=ADMIN).json["items"]] == ["revoked"]


def test_revoke_as_a_session_needs_the_csrf_token(webapp, dbsession, operator):
  jti = claims_of(create(webapp, headers={"X-CSRF-Token": operator()}))["jti"]
  response = webapp.post(f"/api/token/{jti}/revoke", status=400)
  assert "csrf_token" in response.json["reasons"]
  webapp.delete(f"/api/token/{jti}", status=400)
  assert record_of(dbsession, jti).revoked_at is None
  body = webapp.post(f"/api/token/{jti}/revoke", headers={"X-CSRF-Token": operator()}).json
  assert (body["status"], body["revoked_by"]) == ("revoked", "admin")
  assert record_of(dbsession, jti).revoked_by == "admin"


def test_delete_as_a_session(webapp, dbsession, operator):
  jti = claims_of(create(webapp, headers={"X-CSRF-Token": operator()}))["jti"]
  webapp.delete(f"/api/token/{jti}", headers={"X-CSRF-Token": operator()}, status=204)
  assert record_of(dbsession, jti).revoked_by == "admin"


def test_revoke_an_unknown_token(webapp):
  for method, path in (("post", "/api/token/no-such-jti/revoke"), ("delete", "/api/token/no-such-jti")):
    response = getattr(webapp, method)(path, headers=ADMIN, status=404)
    assert "jti" in response.json["reasons"]


def test_a_revoked_token_is_refused_with_the_reason(webapp, dbsession):
  token = create(webapp, permissions=["scope_api"])
  webapp.post("/api/scope/create", {"name": "Before revocation"}, headers=bearer(token))
  webapp.delete(f"/api/token/{claims_of(token)['jti']}", headers=ADMIN, status=204)
  for method, path in (("get", "/api/scope"), ("get", "/api/token/whoami"), ("post", "/api/scope/create")):
    kwargs = {"params": {"name": "After revocation"}} if method == "post" else {}
    response = getattr(webapp, method)(path, headers=bearer(token), status=401, **kwargs)
    assert response.json["reasons"] == {"token": ["the token was revoked"]}
    assert response.headers["WWW-Authenticate"] == "Bearer"
  assert webapp.get("/api/scope", headers={"X-PRIVATE-TOKEN": token}, status=401).json["reasons"] == {
    "token": ["the token was revoked"]
  }
  assert scope_count(dbsession) == 1  # only the one written before


def test_other_tokens_keep_working_after_a_revocation(webapp):
  revoked, kept = create(webapp, name="revoked-one"), create(webapp, name="kept-token")
  webapp.delete(f"/api/token/{claims_of(revoked)['jti']}", headers=ADMIN, status=204)
  assert webapp.get("/api/token/whoami", headers=bearer(kept)).json["payload"]["aud"] == "kept-token"


def test_a_token_without_a_record_is_unknown(webapp, registry, dbsession):
  """Signed with the right key, but not minted by this installation's API or CLI (or before records)."""
  service = TokenService(registry.settings)  # no session factory: mints without recording
  now = dt.datetime.now(dt.UTC)
  token, _claims = service.mint(
    "unrecorded",
    "minted elsewhere",
    now - dt.timedelta(minutes=1),
    now + dt.timedelta(hours=1),
    ["scope_api"],
  )
  for method, path in (("get", "/api/scope"), ("post", "/api/scope/create")):
    kwargs = {"params": {"name": "Not written"}} if method == "post" else {}
    response = getattr(webapp, method)(path, headers=bearer(token), status=401, **kwargs)
    assert response.json["reasons"] == {"token": ["unknown token"]}
  assert scope_count(dbsession) == 0
  assert token_count(dbsession) == 0


def test_an_expired_token_gives_its_reason_before_the_record_is_read(webapp, count_queries):
  token = create(webapp, not_before_date="2020-01-01T00:00", expiration_date="2020-01-01T01:00")
  with count_queries() as queries:
    response = webapp.get("/api/scope", headers=bearer(token), status=401)
  assert response.json["reasons"] == {"token": ["the token has expired"]}
  assert not [statement for statement in queries if "token" in statement.lower()]


# -- last use --------------------------------------------------------------------------------------


def test_last_use_is_recorded(webapp, dbsession):
  token = create(webapp)
  jti = claims_of(token)["jti"]
  before = dt.datetime.now(dt.UTC).replace(microsecond=0)
  webapp.get("/api/scope", headers=bearer(token))
  used = record_of(dbsession, jti).last_used_at
  assert used is not None and before <= used <= dt.datetime.now(dt.UTC)
  listed = webapp.get("/api/token", headers=ADMIN).json["items"][0]
  assert listed["last_used_date"] == used.strftime("%Y-%m-%dT%H:%M:%S")


def test_last_use_is_written_at_most_once_a_minute(webapp, dbsession, count_queries):
  token = create(webapp)
  jti = claims_of(token)["jti"]
  record = record_of(dbsession, jti)
  recent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
  record.last_used_at = recent
  dbsession.flush()
  with count_queries() as queries:
    webapp.get("/api/scope", headers=bearer(token))
  token_statements = [statement for statement in queries if "token" in statement.lower()]
  # One indexed SELECT on the jti, no write: the last use is less than a minute old.
  assert len(token_statements) == 1
  assert token_statements[0].lstrip().upper().startswith("SELECT")
  assert record_of(dbsession, jti).last_used_at == recent
  # A minute later, the next request writes it once.
  old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
  record = record_of(dbsession, jti)
  record.last_used_at = old
  dbsession.flush()
  with count_queries() as queries:
    webapp.get("/api/scope", headers=bearer(token))
  token_statements = [statement for statement in queries if "token" in statement.lower()]
  assert [statement.lstrip().split()[0].upper() for statement in token_statements] == ["SELECT", "UPDATE"]
  assert record_of(dbsession, jti).last_used_at > old + dt.timedelta(minutes=1)


def test_a_failed_request_still_counts_as_a_use(webapp, dbsession):
  token = create(webapp, permissions=["scope_api"])
  webapp.post("/api/scope/create", {"name": "x"}, headers=bearer(token), status=400)
  assert record_of(dbsession, claims_of(token)["jti"]).last_used_at is not None
  assert scope_count(dbsession) == 0


# -- maximum lifetime ------------------------------------------------------------------------------


def test_maximum_lifetime(build_app, dbsession):
  webapp = build_app(jwt_max_lifetime_hours="720")
  start = minute()
  response = webapp.post_json(
    "/api/token/create",
    {**VALID, "not_before_date": text(start), "expiration_date": text(start + dt.timedelta(hours=721))},
    status=400,
  )
  assert set(response.json["reasons"]) == {"expiration_date"}
  assert "720 hours" in response.json["reasons"]["expiration_date"][0]
  assert token_count(dbsession) == 0
  # Exactly the maximum (720 hours = 30 days) is accepted, and the form encoding is checked alike.
  webapp.post(
    "/api/token/create",
    {**VALID, "not_before_date": text(start), "expiration_date": text(start + dt.timedelta(hours=720))},
  )
  webapp.post(
    "/api/token/create",
    {**VALID, "not_before_date": text(start), "expiration_date": text(start + dt.timedelta(days=365))},
    status=400,
  )
  assert token_count(dbsession) == 1


def test_maximum_lifetime_is_configurable(build_app, connection):
  app = build_app(jwt_max_lifetime_hours="2")
  start = minute()
  body = {**VALID, "not_before_date": text(start)}
  app.post_json("/api/token/create", {**body, "expiration_date": text(start + dt.timedelta(hours=2))})
  response = app.post_json(
    "/api/token/create", {**body, "expiration_date": text(start + dt.timedelta(hours=3))}, status=400
  )
  assert "2 hours" in response.json["reasons"]["expiration_date"][0]


# -- internal events -------------------------------------------------------------------------------


def internal_allowed(registry, headers: dict, type_name: str) -> bool:
  """Whether a request with ``headers`` may see the internal events of ``type_name`` (the ACL)."""
  from prodmanager.resources import Root

  request = Request.blank(f"/api/{type_name}", headers=headers)
  request.registry = registry
  return bool(request.has_permission("view_internal", Root(request)[type_name]))


def test_only_the_types_permission_grants_internal_events(webapp, registry, make_token):
  for type_name in app_state(registry).resource_types:
    permission = app_state(registry).resource_types[type_name].permission
    others = [rt.permission for name, rt in app_state(registry).resource_types.items() if name != type_name]
    assert internal_allowed(registry, make_token([permission]), type_name)
    assert not internal_allowed(registry, make_token(others), type_name)
    assert not internal_allowed(registry, make_token([]), type_name)
    assert not internal_allowed(registry, {}, type_name)


def test_a_token_without_the_incident_permission_sees_no_internal_events(
  webapp, registry, make_token, token_headers
):
  if "incident" not in app_state(registry).resource_types:
    pytest.skip("no timeline-bearing plugin (incident) is enabled")
  scope = webapp.post("/api/scope/create", {"name": "Timeline scope"}, headers=token_headers).json
  service = webapp.post("/api/service/create", {"name": "Timeline service"}, headers=token_headers).json
  incident = webapp.post_json(
    "/api/incident/create",
    {"name": "Timeline incident", "severity": "high", "scope": scope["id"], "service": service["id"]},
    headers=token_headers,
  ).json
  url = f"/api/incident/{incident['id']}"
  webapp.post_json(f"{url}/comment", {"comment": "public note"}, headers=token_headers)
  webapp.post_json(f"{url}/comment", {"comment": "internal note", "internal": "true"}, headers=token_headers)

  def comments(headers):
    events = webapp.get(url, headers=headers).json["events"]
    return sorted(event["content"] for event in events if event["type"] == "comment")

  assert comments(make_token(["incident_api"])) == ["internal note", "public note"]
  assert comments(make_token(["scope_api", "service_api", "monitor_api"])) == ["public note"]
  assert comments(make_token([])) == ["public note"]
  assert comments({}) == ["public note"]


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture(params=_backends())
def cli_database(request, tmp_path):
  """A migrated database of its own and the environment that points ``prodmanager`` at it."""
  from prodmanager.migrate import upgrade

  environ = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
  environ.update({"PM_SECRET_KEY": TEST_SECRET, "PM_INSTANCE_PATH": str(tmp_path / "instance")})
  if request.param == "postgresql":
    reason = _postgres_unavailable()
    if reason:
      pytest.skip(reason)
    with _postgres_database("cli") as uri:
      upgrade(uri)
      environ["PM_DATABASE_URI"] = uri
      yield uri, environ
  else:
    uri = f"sqlite:///{tmp_path / 'instance' / 'prodmanager.sqlite'}"
    upgrade(uri)
    yield uri, environ


def prodmanager_cli(environ: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
  executable = Path(sys.executable).with_name("prodmanager")
  return subprocess.run(
    [str(executable), *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120
  )


@pytest.fixture
def app_on(tmp_path, enabled_plugins):
  """``app_on(uri)``: a webtest client of an application on another database than the shared one."""
  apps = []

  def build(uri: str):
    settings = {
      "database_uri": uri,
      "secret_key": TEST_SECRET,
      # The CLI's (cli_database), as on a host: the application sees the CLI's writes at once (a
      # revocation included: token records checked lately are kept under the shared token version).
      "instance_path": str(tmp_path / "instance"),
    }
    app = make_app(enabled_plugins, settings)
    apps.append(app)
    return make_client(app)

  yield build
  for app in apps:
    app_state(app.registry).db_engine.dispose()


def test_cli_create_list_revoke(cli_database, tmp_path, app_on):
  uri, environ = cli_database
  created = prodmanager_cli(
    environ,
    tmp_path,
    "token",
    "create",
    "--name",
    "cli-token",
    "--description",
    "made on the command line",
    "--permission",
    "scope_api",
    "--hours",
    "48",
  )
  assert created.returncode == 0, created.stderr
  token = created.stdout.strip()
  assert created.stdout == token + "\n"  # the token and nothing else, for TOKEN=$(...)
  claims = claims_of(token)
  assert (claims["aud"], claims["sub"], claims["permissions"]) == (
    "cli-token",
    "made on the command line",
    ["scope_api"],
  )
  assert claims["exp"] - claims["nbf"] == 48 * 3600

  # The token works against an application on that database, and is recorded as made by the CLI.
  app = app_on(uri)
  assert app.get("/api/token/whoami", headers=bearer(token)).json["payload"]["jti"] == claims["jti"]
  app.post("/api/scope/create", {"name": "Made with a CLI token"}, headers=bearer(token))
  items = app.get("/api/token", headers=ADMIN).json["items"]
  assert [(item["jti"], item["created_by"], item["status"]) for item in items] == [
    (claims["jti"], "cli", "active")
  ]
  assert items[0]["last_used_date"] is not None

  listed = prodmanager_cli(environ, tmp_path, "token", "list")
  assert listed.returncode == 0, listed.stderr
  lines = listed.stdout.splitlines()
  assert lines[0].split()[:4] == ["jti", "name", "description", "permissions"]
  assert claims["jti"] in lines[1] and "cli-token" in lines[1] and "scope_api" in lines[1]
  assert lines[1].rstrip().endswith("active")

  revoked = prodmanager_cli(environ, tmp_path, "token", "revoke", claims["jti"])
  assert revoked.returncode == 0, revoked.stderr
  assert f"token {claims['jti']} (cli-token) revoked" in revoked.stdout
  response = app.get("/api/scope", headers=bearer(token), status=401)
  assert response.json["reasons"] == {"token": ["the token was revoked"]}
  item = app.get("/api/token", headers=ADMIN).json["items"][0]
  assert (item["status"], item["revoked_by"]) == ("revoked", "cli")

  unknown = prodmanager_cli(environ, tmp_path, "token", "revoke", "no-such-jti")
  assert unknown.returncode == 1
  assert unknown.stderr.startswith("error: ") and "no-such-jti" in unknown.stderr


def test_cli_refuses_bad_input_and_records_nothing(cli_database, tmp_path):
  uri, environ = cli_database
  environ = {**environ, "PM_JWT_MAX_LIFETIME_HOURS": "720"}
  result = prodmanager_cli(
    environ,
    tmp_path,
    "token",
    "create",
    "--name",
    "short",
    "--description",
    "made on the command line",
    "--permission",
    "nope_api",
    "--hours",
    "721",
  )
  assert result.returncode == 2
  assert result.stdout == ""
  assert result.stderr.startswith("error: ")
  for fragment in ("--name", "--permission", "--hours", "720 hours"):
    assert fragment in result.stderr
  assert "Traceback" not in result.stderr
  engine = get_engine(uri)
  try:
    with engine.connect() as connection:
      assert connection.scalar(select(func.count()).select_from(TokenRecord)) == 0
  finally:
    engine.dispose()


@pytest.mark.parametrize(
  "not_before, hours",
  [("9999-12-30T23:00", "48"), ("2024-01-01T00:00", "100000000000000")],
)
def test_cli_refuses_an_expiry_past_year_9999(cli_database, tmp_path, not_before, hours):
  """Adding the hours overflowed (issue 8 item 14): a traceback instead of the option's message."""
  _uri, environ = cli_database
  result = prodmanager_cli(
    environ,
    tmp_path,
    "token",
    "create",
    "--name",
    "edgetoken",
    "--description",
    "made on the command line",
    "--not-before",
    not_before,
    "--hours",
    hours,
  )
  assert result.returncode == 2, result.stderr
  assert "--hours: must be between 1970-01-01T00:00 and 9999-12-30T23:59 (UTC)" in result.stderr
  assert "Traceback" not in result.stderr


def test_cli_on_a_database_never_migrated(tmp_path):
  environ = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
  environ.update({"PM_SECRET_KEY": TEST_SECRET, "PM_INSTANCE_PATH": str(tmp_path / "instance")})
  result = prodmanager_cli(environ, tmp_path, "token", "list")
  assert result.returncode == 2
  assert "prodmanager migrate" in result.stderr
  assert "Traceback" not in result.stderr


def test_token_administration_refusals_follow_the_language(webapp, token_headers):
  anonymous = webapp.get("/api/token", headers={"Accept-Language": "fr"}, status=401)
  assert anonymous.json == {
    "message": "Authentification requise",
    "reasons": {
      "authentication": [
        "connectez-vous en tant qu'opérateur, ou envoyez le secret administrateur dans X-ProdManager-Secret"
      ]
    },
  }
  by_token = webapp.get("/api/token", headers=token_headers, status=403)
  assert by_token.json == {
    "message": "Not allowed",
    "reasons": {
      "permission": ["API tokens cannot list or revoke tokens: use a session or the administrator secret"]
    },
  }
