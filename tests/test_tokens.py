"""API tokens: creation (form and JSON), defaults computed per request, validation, claims, refusals."""

import base64
import datetime as dt
import json
import time
import uuid

import pytest

from prodmanager.security import TokenService
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET

CLAIMS = {"iss", "aud", "sub", "nbf", "exp", "iat", "jti", "version", "permissions"}
VALID = {"secret": TEST_SECRET, "name": "ci-runner", "description": "token for the CI"}


def claims_of(token: str) -> dict:
  """The payload of a JWT, read without verifying it (to look at what the server signed)."""
  payload = token.split(".")[1]
  return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def bearer(token: str) -> dict:
  return {"Authorization": f"Bearer {token}"}


def whoami(webapp, token: str, status=200):
  return webapp.get("/api/token/whoami", headers=bearer(token), status=status)


def scope_count(dbsession) -> int:
  from prodmanager_scope.models import Scope

  return dbsession.query(Scope).count()


def test_create_with_a_form(webapp):
  response = webapp.post("/api/token/create", {**VALID, "permissions": ["scope_api", "service_api"]})
  assert response.content_type == "application/json"
  token = response.json
  assert isinstance(token, str)
  assert token.count(".") == 2
  payload = whoami(webapp, token).json["payload"]
  assert payload["aud"] == "ci-runner"
  assert payload["sub"] == "token for the CI"
  assert payload["permissions"] == ["scope_api", "service_api"]


def test_create_with_json(webapp):
  token = webapp.post_json("/api/token/create", {**VALID, "permissions": ["monitor_api"]}).json
  assert whoami(webapp, token).json["payload"]["permissions"] == ["monitor_api"]


def test_json_permission_may_be_a_single_string(webapp):
  token = webapp.post_json("/api/token/create", {**VALID, "permissions": "scope_api"}).json
  assert claims_of(token)["permissions"] == ["scope_api"]


def test_form_accepts_the_singular_permission_field(webapp):
  token = webapp.post("/api/token/create", {**VALID, "permission": "service_api"}).json
  assert claims_of(token)["permissions"] == ["service_api"]


def test_without_permissions_the_token_has_none(webapp):
  token = webapp.post("/api/token/create", VALID).json
  assert claims_of(token)["permissions"] == []


def test_default_dates_are_computed_at_request_time(webapp):
  for _ in range(2):  # twice: the defaults are not frozen at the first request (0.22 froze them at start)
    before = int(time.time())
    token = webapp.post("/api/token/create", VALID).json
    after = int(time.time())
    claims = claims_of(token)
    # Valid from now (rounded down to the minute) for one hour.
    assert before - 60 <= claims["nbf"] <= after
    assert claims["exp"] == claims["nbf"] + 3600
    assert before <= claims["iat"] <= after
    whoami(webapp, token)  # usable at once


def minute(delta: dt.timedelta) -> dt.datetime:
  """Now plus ``delta``, to the minute (explicit dates stay within the maximum lifetime of 720 hours)."""
  return (dt.datetime.now(dt.UTC) + delta).replace(second=0, microsecond=0)


def test_explicit_dates(webapp):
  start, end = minute(dt.timedelta(days=-2)), minute(dt.timedelta(days=20))
  token = webapp.post(
    "/api/token/create",
    {
      **VALID,
      "not_before_date": start.strftime("%Y-%m-%dT%H:%M"),
      "expiration_date": end.strftime("%Y-%m-%dT%H:%M"),
    },
  ).json
  claims = claims_of(token)
  assert claims["nbf"] == int(start.timestamp())
  assert claims["exp"] == int(end.timestamp())
  assert whoami(webapp, token).json["payload"]["exp"] == claims["exp"]


def test_dates_with_an_offset(webapp):
  start = minute(dt.timedelta(days=-1))
  shifted = start.astimezone(dt.timezone(dt.timedelta(hours=2)))
  token = webapp.post_json(
    "/api/token/create",
    {
      **VALID,
      "not_before_date": shifted.strftime("%Y-%m-%dT%H:%M:%S+02:00"),
      "expiration_date": (start + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
    },
  ).json
  assert claims_of(token)["nbf"] == int(start.timestamp())


def test_whoami_returns_every_claim_twice(webapp):
  token = webapp.post_json("/api/token/create", {**VALID, "permissions": ["service_api", "scope_api"]}).json
  body = whoami(webapp, token).json
  assert set(body) == {"payload", "playload"}
  assert body["payload"] == body["playload"]  # 0.22's spelling kept for old clients
  payload = body["payload"]
  assert set(payload) == CLAIMS
  assert payload["iss"] == "ProdManager"
  assert payload["aud"] == VALID["name"]
  assert payload["sub"] == VALID["description"]
  assert payload["version"] == 1
  assert payload["permissions"] == ["scope_api", "service_api"]
  assert uuid.UUID(payload["jti"])
  assert payload == claims_of(token)


def test_every_token_has_its_own_jti(webapp):
  first = claims_of(webapp.post("/api/token/create", VALID).json)
  second = claims_of(webapp.post("/api/token/create", VALID).json)
  assert first["jti"] != second["jti"]


def test_token_uses_the_configured_algorithm(webapp):
  token = webapp.post("/api/token/create", VALID).json
  header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
  assert header["alg"] == "HS256"


@pytest.mark.parametrize(
  ("changes", "field"),
  [
    ({"name": "a" * 7}, "name"),
    ({"name": "a" * 17}, "name"),
    ({"name": "        "}, "name"),
    ({"description": "d" * 11}, "description"),
    ({"description": "d" * 33}, "description"),
    ({"secret": "not-the-secret"}, "secret"),
    ({"secret": ""}, "secret"),
    ({"permissions": ["nope_api"]}, "permissions"),
    ({"permissions": ["scope_api", "admin"]}, "permissions"),
    ({"not_before_date": "garbage"}, "not_before_date"),
    ({"not_before_date": "2024-02-30T10:00"}, "not_before_date"),
    ({"expiration_date": "2020-13-45T00:00"}, "expiration_date"),
    ({"not_before_date": "2030-01-02T00:00", "expiration_date": "2030-01-01T00:00"}, "expiration_date"),
    ({"not_before_date": "2030-01-01T00:00", "expiration_date": "2030-01-01T00:00"}, "expiration_date"),
  ],
)
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_invalid_input_is_refused_with_reasons(webapp, changes, field, encoding):
  body = {**VALID, **changes}
  if encoding == "json":
    response = webapp.post_json("/api/token/create", body, status=400)
  else:
    response = webapp.post("/api/token/create", body, status=400)
  assert response.content_type == "application/json"
  assert set(response.json) == {"message", "reasons"}
  assert field in response.json["reasons"]
  assert all(isinstance(reason, str) and reason for reason in response.json["reasons"][field])


def test_valid_boundaries_are_accepted(webapp):
  webapp.post("/api/token/create", {**VALID, "name": "a" * 8, "description": "d" * 12}, status=200)
  webapp.post("/api/token/create", {**VALID, "name": "a" * 16, "description": "d" * 32}, status=200)


@pytest.mark.parametrize("missing", ["secret", "name", "description"])
def test_required_fields(webapp, missing):
  body = {key: value for key, value in VALID.items() if key != missing}
  response = webapp.post_json("/api/token/create", body, status=400)
  assert missing in response.json["reasons"]
  response = webapp.post("/api/token/create", body, status=400)
  assert missing in response.json["reasons"]


def test_json_body_must_be_an_object(webapp):
  response = webapp.post_json("/api/token/create", ["not", "an", "object"], status=400)
  assert response.json["reasons"]


def test_bad_secret_does_not_reveal_other_problems(webapp):
  response = webapp.post("/api/token/create", {**VALID, "secret": "wrong", "name": "x"}, status=400)
  assert set(response.json["reasons"]) == {"secret"}


def test_whoami_of_a_session_alone_is_null(webapp, operator):
  """0.22 answered the claims of the request's token, null without one: a session is no token."""
  assert webapp.get("/api/token/whoami").json == {"payload": None, "playload": None}


def test_whoami_without_token(webapp):
  response = webapp.get("/api/token/whoami")
  assert response.json == {"payload": None, "playload": None}


def test_x_private_token_header_is_accepted(webapp):
  token = webapp.post("/api/token/create", VALID).json
  assert (
    webapp.get("/api/token/whoami", headers={"X-PRIVATE-TOKEN": token}).json["payload"]["aud"]
    == VALID["name"]
  )


def tamper(token: str) -> str:
  header, payload, signature = token.split(".")
  # Change a character in the middle of the signature (the last one may only hold padding bits).
  index = len(signature) // 2
  replacement = "A" if signature[index] != "A" else "B"
  return ".".join([header, payload, signature[:index] + replacement + signature[index + 1 :]])


def forge(payload: dict, secret: str = "another-secret-value", issuer: str = "ProdManager") -> str:
  service = TokenService(
    {"prodmanager.secret_key": secret, "prodmanager.jwt_algorithm": "HS256", "prodmanager.jwt_issuer": issuer}
  )
  now = dt.datetime.now(dt.UTC)
  token, _ = service.mint(
    "forgedtoken",
    "forged by a test",
    now - dt.timedelta(minutes=5),
    now + dt.timedelta(hours=1),
    payload.get("permissions", ["scope_api"]),
  )
  return token


def unsigned(claims: dict) -> str:
  def encode(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

  return f"{encode({'alg': 'none', 'typ': 'JWT'})}.{encode(claims)}."


def bad_tokens(webapp) -> dict[str, tuple[str, str]]:
  """Each bad token, with a word its 401 reason must contain."""
  good = webapp.post("/api/token/create", {**VALID, "permissions": ["scope_api"]}).json
  expired = webapp.post(
    "/api/token/create",
    {
      **VALID,
      "permissions": ["scope_api"],
      "not_before_date": "2020-01-01T00:00",
      "expiration_date": "2020-01-01T01:00",
    },
  ).json
  future = webapp.post(
    "/api/token/create",
    {
      **VALID,
      "permissions": ["scope_api"],
      "not_before_date": "2099-01-01T00:00",
      "expiration_date": "2099-01-02T00:00",
    },
  ).json
  header, payload, signature = good.split(".")
  claims = claims_of(good)
  swapped = base64.urlsafe_b64encode(
    json.dumps({**claims, "permissions": ["scope_api", "service_api"]}).encode()
  )
  return {
    "expired": (expired, "expired"),
    "not yet valid": (future, "not valid yet"),
    "tampered signature": (tamper(good), "signature"),
    "tampered payload": (f"{header}.{swapped.rstrip(b'=').decode()}.{signature}", "signature"),
    "other secret": (forge({}), "signature"),
    "alg none": (unsigned(claims), "signature"),
    "garbage": ("garbage", "signature"),
    "truncated": (good[:-10], "signature"),
  }


@pytest.mark.parametrize(
  "kind",
  [
    "expired",
    "not yet valid",
    "tampered signature",
    "tampered payload",
    "other secret",
    "alg none",
    "garbage",
    "truncated",
  ],
)
def test_bad_token_is_refused_with_a_reason_even_on_public_endpoints(webapp, dbsession, kind):
  token, reason = bad_tokens(webapp)[kind]
  for method, path in (
    ("get", "/api/scope"),
    ("get", "/api/token/whoami"),
    ("get", "/api/service"),
    ("post", "/api/scope/create"),
  ):
    kwargs = {"params": {"name": "Not written"}} if method == "post" else {}
    response = getattr(webapp, method)(path, headers=bearer(token), status=401, **kwargs)
    assert response.content_type == "application/json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    reasons = response.json["reasons"]["token"]
    assert any(reason in text for text in reasons), reasons
  assert webapp.get("/api/scope", headers={"X-PRIVATE-TOKEN": token}, status=401).json["reasons"]["token"]
  assert scope_count(dbsession) == 0


def test_token_of_another_issuer_is_refused(webapp):
  # Signed with the right key (derived from the same secret), but another issuer.
  token = forge({}, secret=TEST_SECRET, issuer="Someone")
  reasons = webapp.get("/api/scope", headers=bearer(token), status=401).json["reasons"]["token"]
  assert reasons == ["the token was issued by another issuer"]


BLANK_TOKEN_HEADERS = [
  {"X-PRIVATE-TOKEN": "\xa0"},
  {"X-PRIVATE-TOKEN": ""},
  {"X-PRIVATE-TOKEN": " "},
  {"Authorization": "Bearer "},
  {"Authorization": "Bearer \xa0"},
  {"Authorization": "Bearer"},
  {"Authorization": ""},
]


@pytest.mark.parametrize("headers", BLANK_TOKEN_HEADERS, ids=repr)
def test_a_blank_token_header_is_a_401_never_the_session_cookie(webapp, operator, dbsession, headers):
  """A token header skips the CSRF check: if a blank one fell back to the session cookie, any site
  could write with the operator's session."""
  body = {"message": "Invalid token", "reasons": {"token": ["the token header is empty"]}}
  response = webapp.post("/api/scope/create", {"name": "Cross-site"}, headers=headers, status=401)
  assert response.json == body
  assert response.headers["WWW-Authenticate"] == "Bearer"
  assert webapp.get("/api/scope", headers=headers, status=401).json == body
  assert scope_count(dbsession) == 0


def test_another_authorization_scheme_is_no_token_and_keeps_the_csrf_check(webapp, operator, dbsession):
  """A Basic-auth proxy in front may forward its Authorization header: the session still works on
  the API, with its CSRF check."""
  basic = {"Authorization": "Basic " + base64.b64encode(b"proxy:pass").decode()}
  refused = webapp.post("/api/scope/create", {"name": "No CSRF"}, headers=basic, status=400)
  assert list(refused.json["reasons"]) == ["csrf_token"]
  assert scope_count(dbsession) == 0
  created = webapp.post(
    "/api/scope/create", {"name": "With CSRF"}, headers={**basic, "X-CSRF-Token": operator()}
  )
  assert created.json["name"] == "With CSRF"


def signed(registry, **changes) -> str:
  """A token signed with the application's own key, its claims changed: only the claim checks
  stand between it and the API."""
  from joserfc import jwt

  service = app_state(registry).tokens
  now = int(time.time())
  claims = {
    "iss": service.issuer,
    "aud": "signedtoken",
    "sub": "signed by a test",
    "nbf": now - 60,
    "exp": now + 3600,
    "iat": now,
    "jti": str(uuid.uuid4()),
    "version": 1,
    "permissions": ["scope_api"],
  }
  claims.update(changes)
  claims = {key: value for key, value in claims.items() if value is not None}
  return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, service.key)


@pytest.mark.parametrize("version", [2, 0, "1", None], ids=["2", "0", "text", "missing"])
def test_a_token_of_another_version_is_refused(webapp, registry, dbsession, version):
  # A recorded token, signed again with only its version changed: nothing else would refuse it.
  recorded = claims_of(webapp.post("/api/token/create", {**VALID, "permissions": ["scope_api"]}).json)
  token = signed(registry, **{**recorded, "version": version})
  assert whoami(webapp, signed(registry, **recorded)).json["payload"]["jti"] == recorded["jti"]
  for method, path in (("get", "/api/token/whoami"), ("post", "/api/scope/create")):
    response = getattr(webapp, method)(
      path, {"name": "Not written"} if method == "post" else None, headers=bearer(token), status=401
    )
    assert response.json == {
      "message": "Invalid token",
      "reasons": {"token": ["the token version is not supported"]},
    }
  assert scope_count(dbsession) == 0


@pytest.mark.parametrize("claim", ["aud", "sub", "jti"])
def test_a_token_whose_claims_are_not_texts_is_refused(webapp, registry, claim):
  """RFC 7519 allows a list as ``aud``; ProdManager never mints one, and reads it as the token's name."""
  token = signed(registry, **{claim: ["a", "b"]})
  response = webapp.get("/api/token/whoami", headers=bearer(token), status=401)
  assert response.json == {
    "message": "Invalid token",
    "reasons": {"token": [f"the token claim {claim} is malformed: a text is expected"]},
  }


def test_token_reasons_never_name_a_library_and_follow_the_language(webapp):
  response = webapp.get("/api/scope", headers=bearer("abc.def.ghi"), status=401)
  assert response.json == {
    "message": "Invalid token",
    "reasons": {"token": ["the token cannot be read or its signature is wrong"]},
  }
  french = webapp.get("/api/scope", headers={**bearer("garbage"), "Accept-Language": "fr"}, status=401)
  assert french.json == {
    "message": "Jeton invalide",
    "reasons": {"token": ["le jeton est illisible ou sa signature est fausse"]},
  }


def test_permissions_gate_writes_per_type(webapp, make_token, dbsession):
  from prodmanager_service.models import Service

  scope_only = make_token(["scope_api"])
  created = webapp.post("/api/scope/create", {"name": "Allowed scope"}, headers=scope_only).json
  assert created["name"] == "Allowed scope"
  response = webapp.post("/api/service/create", {"name": "Refused service"}, headers=scope_only, status=403)
  assert set(response.json) == {"message", "reasons"}
  assert response.json["reasons"]
  assert dbsession.query(Service).count() == 0
  # Every write verb of the other type is refused, on rows that exist too.
  service = webapp.post("/api/service/create", {"name": "Existing"}, headers=make_token(["service_api"])).json
  webapp.post(f"/api/service/{service['id']}/update", {"name": "Renamed"}, headers=scope_only, status=403)
  webapp.patch_json(f"/api/service/{service['id']}", {"name": "Renamed"}, headers=scope_only, status=403)
  webapp.post(f"/api/service/{service['id']}/delete", headers=scope_only, status=403)
  webapp.delete(f"/api/service/{service['id']}", headers=scope_only, status=403)
  dbsession.expire_all()
  assert [row.name for row in dbsession.query(Service)] == ["Existing"]


def test_token_without_permission_can_only_read(webapp, make_token, dbsession):
  no_permission = make_token([])
  assert webapp.get("/api/scope", headers=no_permission).json == {"items": []}
  webapp.post("/api/scope/create", {"name": "Refused"}, headers=no_permission, status=403)
  assert scope_count(dbsession) == 0


def test_no_token_cannot_write(webapp, dbsession):
  response = webapp.post("/api/scope/create", {"name": "Anonymous"}, status=401)
  assert response.json["reasons"]
  assert scope_count(dbsession) == 0
