"""Tokens minted by ProdManager 0.22 keep working after the move, and become listed and revocable.

0.22 minted its tokens with PyJWT, signed with ``PM_SECRET_KEY`` itself and the algorithm of
``PM_JWT_ALGORITHM``, with the claims iss (``PM_JWT_ISSUER``), aud (name), sub (description), nbf and
exp (the form's naive UTC datetimes), iat (``datetime.utcnow()``), jti (a uuid4), version 1 and
permissions. :func:`mint_022` does exactly that. Such a token is accepted while
``PM_JWT_ACCEPT_LEGACY`` is on (the default), recorded the first time it is seen, counted in
``/metrics``; new tokens are still signed with the derived key.
"""

import datetime as dt
import warnings

import jwt as pyjwt
import pytest
from legacy_tokens import mint_022, naive_utc
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from prodmanager.testing import TEST_SECRET
from prodmanager.tokens import TokenRecord

ADMIN = {"X-ProdManager-Secret": TEST_SECRET}


def claims_of(token: str) -> dict:
  return pyjwt.decode(token, options={"verify_signature": False})


def record_of(dbsession, jti: str) -> TokenRecord | None:
  dbsession.expire_all()
  return dbsession.scalar(select(TokenRecord).where(TokenRecord.jti == jti))


def legacy_uses(client) -> float:
  for family in text_string_to_metric_families(client.get("/metrics").text):
    for sample in family.samples:
      if sample.name == "prodmanager_legacy_token_requests_total":
        return sample.value
  raise AssertionError("prodmanager_legacy_token_requests_total is not in /metrics")


def test_a_token_minted_by_022_works_and_is_then_listed_and_revocable(webapp, dbsession):
  token = mint_022(["scope_api"])
  jti = claims_of(token)["jti"]
  assert record_of(dbsession, jti) is None
  headers = {"Authorization": f"Bearer {token}"}

  created = webapp.post(
    "/api/scope/create", {"name": "Legacy", "description": "made by an old script"}, headers=headers
  )
  assert created.json["name"] == "Legacy"
  whoami = webapp.get("/api/token/whoami", headers=headers).json
  assert whoami["payload"]["jti"] == jti and whoami["playload"] == whoami["payload"]
  # Its permissions still gate the writes.
  webapp.post("/api/service/create", {"name": "Nope"}, headers=headers, status=403)

  record = record_of(dbsession, jti)
  claims = claims_of(token)
  assert record.created_by == "0.22"
  assert (record.name, record.description, record.permissions) == (
    "oldscript",
    "a script of the 0.22 days",
    ["scope_api"],
  )
  assert record.expires_at == dt.datetime.fromtimestamp(claims["exp"], dt.UTC)
  assert record.not_before == dt.datetime.fromtimestamp(claims["nbf"], dt.UTC)
  assert record.created_at == dt.datetime.fromtimestamp(claims["iat"], dt.UTC)
  assert record.last_used_at is not None

  listed = {item["jti"]: item for item in webapp.get("/api/token", headers=ADMIN).json["items"]}
  assert listed[jti]["created_by"] == "0.22" and listed[jti]["status"] == "active"
  # Seen again: still one record.
  webapp.get("/api/scope", headers=headers)
  assert (
    len([item for item in webapp.get("/api/token", headers=ADMIN).json["items"] if item["jti"] == jti]) == 1
  )

  revoked = webapp.post(f"/api/token/{jti}/revoke", headers=ADMIN).json
  assert revoked["status"] == "revoked"
  refused = webapp.get("/api/scope", headers=headers, status=401)
  assert "revoked" in refused.json["reasons"]["token"][0]
  webapp.post("/api/scope/create", {"name": "Again"}, headers=headers, status=401)


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "JWT", "token", "jwt"])
def test_every_scheme_0_22_clients_send_is_read(webapp, scheme):
  token = mint_022(["scope_api"])
  body = webapp.get("/api/token/whoami", headers={"Authorization": f"{scheme} {token}"}).json
  assert body["payload"]["aud"] == "oldscript"
  webapp.post("/api/scope/create", {"name": f"By {scheme}"}, headers={"Authorization": f"{scheme} {token}"})


def test_new_tokens_take_the_other_schemes_too(webapp):
  token = webapp.post(
    "/api/token/create",
    {
      "secret": TEST_SECRET,
      "name": "newtoken",
      "description": "minted after the move",
      "permissions": ["scope_api"],
    },
  ).json
  for scheme in ("Token", "JWT"):
    assert (
      webapp.get("/api/token/whoami", headers={"Authorization": f"{scheme} {token}"}).json["payload"]["aud"]
      == "newtoken"
    )
  # A Basic credential from a proxy is still not a token.
  webapp.get("/api/scope", headers={"Authorization": "Basic dXNlcjpwYXNz"})


def test_new_tokens_keep_the_derived_key(webapp):
  token = webapp.post(
    "/api/token/create", {"secret": TEST_SECRET, "name": "newtoken", "description": "minted after the move"}
  ).json
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    with pytest.raises(pyjwt.InvalidSignatureError):
      pyjwt.decode(token, TEST_SECRET, algorithms=["HS256"], options={"verify_aud": False})


def test_a_year_long_0_22_token_and_one_without_expiry_in_sight(webapp, dbsession):
  token = mint_022(expiration=naive_utc(dt.timedelta(days=3650)))
  webapp.get("/api/scope", headers={"Authorization": f"Bearer {token}"})
  assert record_of(dbsession, claims_of(token)["jti"]).expires_at.year >= dt.datetime.now(dt.UTC).year + 9


@pytest.mark.parametrize(
  "kind, changes, reason",
  [
    ("another secret", {"secret": "not-the-secret-of-this-site"}, "signature"),
    ("another issuer", {"issuer": "SomeoneElse"}, "issuer"),
    (
      "expired",
      {"not_before": naive_utc(-dt.timedelta(days=2)), "expiration": naive_utc(-dt.timedelta(days=1))},
      "expired",
    ),
  ],
)
def test_bad_0_22_tokens_are_refused_and_not_recorded(webapp, dbsession, kind, changes, reason):
  token = mint_022(**changes)
  response = webapp.get("/api/scope", headers={"Authorization": f"Bearer {token}"}, status=401)
  assert any(reason in text for text in response.json["reasons"]["token"]), response.json
  assert record_of(dbsession, claims_of(token)["jti"]) is None


def test_0_22_tokens_are_refused_when_the_transition_is_over(build_app, connection, dbsession):
  app = build_app(jwt_accept_legacy="false")
  token = mint_022()
  response = app.get("/api/token/whoami", headers={"Authorization": f"Bearer {token}"}, status=401)
  assert "PM_JWT_ACCEPT_LEGACY" in response.json["reasons"]["token"][0]
  assert record_of(dbsession, claims_of(token)["jti"]) is None
  # Tokens minted since the move are not concerned.
  new = app.post(
    "/api/token/create", {"secret": TEST_SECRET, "name": "newtoken", "description": "minted after the move"}
  ).json
  app.get("/api/token/whoami", headers={"Authorization": f"Bearer {new}"})


def test_0_22_tokens_follow_the_configured_algorithm_and_issuer(build_app, connection):
  app = build_app(jwt_algorithm="HS512", jwt_issuer="OurStatusPage")
  good = mint_022(algorithm="HS512", issuer="OurStatusPage")
  assert (
    app.get("/api/token/whoami", headers={"Authorization": f"Bearer {good}"}).json["payload"]["iss"]
    == "OurStatusPage"
  )
  app.get(
    "/api/token/whoami", headers={"Authorization": f"Bearer {mint_022(issuer='OurStatusPage')}"}, status=401
  )


def test_their_use_is_counted_in_metrics(build_app, connection):
  app = build_app()
  assert legacy_uses(app) == 0
  token = mint_022()
  app.get("/api/scope", headers={"Authorization": f"Bearer {token}"})
  app.get("/api/scope", headers={"Authorization": f"JWT {token}"})
  new = app.post(
    "/api/token/create", {"secret": TEST_SECRET, "name": "newtoken", "description": "minted after the move"}
  ).json
  app.get("/api/scope", headers={"Authorization": f"Bearer {new}"})
  assert legacy_uses(app) == 2


def test_whoami_without_a_token_answers_as_0_22(webapp, operator):
  """0.22 answered 200 with a null payload to anyone without a token (clients test for it)."""
  anonymous = webapp.get("/api/token/whoami", headers={})
  assert anonymous.status_int == 200 and anonymous.json == {"payload": None, "playload": None}
  operator()
  assert webapp.get("/api/token/whoami").json == {"payload": None, "playload": None}
  # A bad token is still refused, never taken for no token.
  webapp.get("/api/token/whoami", headers={"Authorization": "Bearer garbage"}, status=401)


def test_no_maximum_lifetime_by_default(webapp, dbsession):
  """0.22 had none, and its users mint year-long tokens."""
  start = naive_utc().replace(second=0)
  token = webapp.post_json(
    "/api/token/create",
    {
      "secret": TEST_SECRET,
      "name": "yearlong",
      "description": "a token for a whole year",
      "not_before_date": start.strftime("%Y-%m-%dT%H:%M"),
      "expiration_date": (start + dt.timedelta(days=366)).strftime("%Y-%m-%dT%H:%M"),
    },
  ).json
  assert record_of(dbsession, claims_of(token)["jti"]).expires_at == (start + dt.timedelta(days=366)).replace(
    tzinfo=dt.UTC
  )


def test_two_replicas_seeing_a_0_22_token_first_record_it_once(registry, connection, dbsession):
  """Both find no record and insert one: the unique jti keeps the first, the second reads it."""
  from prodmanager.state import app_state
  from prodmanager.tokens import record_legacy

  claims = claims_of(mint_022(["scope_api"]))
  factory = app_state(registry).db_session_factory
  first, second = factory(), factory()
  try:
    one = record_legacy(first, claims)
    other = record_legacy(second, claims)
  finally:
    first.close()
    second.close()
  assert one.id == other.id
  assert record_of(dbsession, claims["jti"]).created_by == "0.22"
