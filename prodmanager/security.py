"""Authentication and authorisation: one Pyramid security policy for sessions and API tokens.

* The web uses a signed session cookie; logging in with the administrator secret grants ``ADMIN``.
* ``/api/*`` also accepts ``Authorization: Bearer <jwt>`` (and 0.22's ``X-PRIVATE-TOKEN``); HTML
  pages never read those headers, so a Basic-auth proxy in front cannot break them.
* Keys for sessions, CSRF and tokens are derived from the secret, one per purpose, so that the
  secret itself never signs anything (0.22 used it for everything). Tokens minted by 0.22, signed
  with the secret itself, are still accepted while ``PM_JWT_ACCEPT_LEGACY`` is on (the move from
  0.22), recorded the first time they are seen so that they can be listed and revoked.
* ``Authorization: Token <jwt>`` and ``JWT <jwt>`` are read like ``Bearer``: 0.22 took any scheme.
"""

import datetime as dt
import hashlib
import hmac
import logging
import uuid
import warnings
from dataclasses import dataclass, field

from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jwk import OctKey
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.tweens import EXCVIEW

from . import login_sessions
from .db import request_connection
from .errors import Message, NotAllowed, TooManyAttempts, Unauthorized
from .paths import is_api_path
from .ratelimit import address_client, limiter_of, login_period
from .sessions import REMEMBER_SECONDS, SessionFactories
from .settings import secret_warnings
from .state import app_state
from .tokens import CREATED_BY_SECRET, SECRET_HEADER, add_token_permission, check_record

log = logging.getLogger(__name__)

ADMIN = "role:admin"
TOKEN = "kind:token"
SESSION_IDLE_SECONDS = 12 * 3600
TOKEN_VERSION = 1
# The schemes of the Authorization header that carry a token: Bearer (documented), and the two
# that 0.22's clients and scripts send (0.22 took any word before the token).
TOKEN_SCHEMES = frozenset(("bearer", "token", "jwt"))


def token_permission_principal(permission: str) -> str:
  return f"perm:{permission}"


def derive_key(secret: str, purpose: str) -> bytes:
  """A key for one purpose (session, csrf, token), derived from the administrator secret."""
  return hmac.new(secret.encode(), f"prodmanager:{purpose}".encode(), hashlib.sha256).digest()


def secret_matches(settings, candidate) -> bool:
  """Compare a submitted value with the administrator secret in constant time (no throttling: use
  :func:`check_secret` for anything a client sends)."""
  if not isinstance(candidate, str) or not candidate:
    return False
  # surrogatepass: a lone surrogate gives bytes that no UTF-8 secret has, instead of an error.
  return hmac.compare_digest(
    candidate.encode("utf-8", "surrogatepass"), settings["prodmanager.secret_key"].encode()
  )


def check_secret(request, candidate, field: str = "secret") -> bool:
  """The one check of the administrator secret a client sends, wherever it is sent (login form,
  token creation, ``X-ProdManager-Secret``): True if it is right.

  Every check takes one attempt from the client's allowance (``PM_LOGIN_RATELIMIT`` per 15
  minutes, by address) before comparing, and gives it back if the secret was right; once the
  allowance is spent, :class:`TooManyAttempts` (429) is raised, even for the right secret.
  ``field`` names the secret in the 429's reasons. Never fails open: while Redis is unavailable
  the attempts are counted in this process.
  """
  registry = request.registry
  limiter = limiter_of(registry)
  limit = registry.settings["prodmanager.login_ratelimit"]
  period = login_period(registry.settings)
  client = address_client(request)
  outcome = limiter.hit("login", client, limit, period, strict=True)
  if not outcome.allowed:
    metrics = app_state(registry).metrics
    if metrics is not None:
      metrics.ratelimited.labels("login").inc()
    log.warning("secret attempts of %s refused: %d failed attempts", client, outcome.used - 1)
    raise TooManyAttempts(
      Message("api.errors.too_many_attempts"),
      {field: [Message("api.secret.too_many_attempts", seconds=outcome.reset)]},
      outcome,
    )
  matches = secret_matches(registry.settings, candidate)
  if matches:
    outcome = limiter.give_back("login", client, outcome, period)
  else:
    log.warning("wrong administrator secret (%s) from %s", field, client)
  if not is_api_path(request.path):
    # The login page shows where the client stands; on /api, the headers are the API limit's.
    request.add_response_callback(lambda _request, response: response.headers.update(outcome.headers()))
  return matches


@dataclass
class Identity:
  kind: str  # "session" or "token"
  name: str
  permissions: list[str] = field(default_factory=list)
  claims: dict = field(default_factory=dict)

  @property
  def principals(self) -> list[str]:
    if self.kind == "session":
      return [Authenticated, ADMIN]
    return [Authenticated, TOKEN] + [token_permission_principal(p) for p in self.permissions]


class TokenService:
  """Mint and verify the API's HS256 JWTs (0.22 claims: iss, aud, sub, nbf, exp, iat, jti, version, permissions).

  New tokens are signed with a key derived from ``PM_SECRET_KEY``. Tokens that 0.22 minted, signed
  with ``PM_SECRET_KEY`` itself, are verified with that key while ``PM_JWT_ACCEPT_LEGACY`` is on
  (:meth:`verify_token` says so); when it is off they are refused with a reason saying so.
  """

  def __init__(self, settings, session_factory=None):
    self.key = OctKey.import_key(derive_key(settings["prodmanager.secret_key"], "token"))
    with warnings.catch_warnings():
      # joserfc warns about keys shorter than 112 bits; 0.22 signed with the secret as it is, and a
      # short secret is already reported at startup in production mode (secret_warnings).
      warnings.simplefilter("ignore", SecurityWarning)
      self.legacy_key = OctKey.import_key(settings["prodmanager.secret_key"].encode())
    self.accept_legacy = settings.get("prodmanager.jwt_accept_legacy", True)
    self.algorithm = settings["prodmanager.jwt_algorithm"]
    self.issuer = settings["prodmanager.jwt_issuer"]
    # With a session factory, verification also checks the token's record (prodmanager.tokens).
    self.session_factory = session_factory
    # The tokens whose record was checked lately (prodmanager.tokens.CheckedTokens), when the
    # response cache gives them a version (prodmanager.cache.includeme).
    self.checked = None

  def mint(
    self, name: str, description: str, not_before: dt.datetime, expires: dt.datetime, permissions: list[str]
  ) -> tuple[str, dict]:
    now = dt.datetime.now(dt.UTC)
    claims = {
      "iss": self.issuer,
      "aud": name,
      "sub": description,
      "nbf": int(not_before.timestamp()),
      "exp": int(expires.timestamp()),
      "iat": int(now.timestamp()),
      "jti": str(uuid.uuid4()),
      "version": TOKEN_VERSION,
      "permissions": permissions,
    }
    return jwt.encode(
      {"alg": self.algorithm, "typ": "JWT"}, claims, self.key, algorithms=[self.algorithm]
    ), claims

  def decode(self, encoded: str) -> tuple[dict, bool]:
    """The claims of a token whose signature is good, and whether it is a 0.22 (legacy) one."""
    unreadable = Unauthorized(Message("api.token.invalid"), {"token": [Message("api.token.unreadable")]})
    try:
      return jwt.decode(encoded, self.key, algorithms=[self.algorithm]).claims, False
    except BadSignatureError:
      pass
    except (JoseError, ValueError, TypeError):
      raise unreadable from None
    try:
      claims = jwt.decode(encoded, self.legacy_key, algorithms=[self.algorithm]).claims
    except (JoseError, ValueError, TypeError):
      raise unreadable from None
    if not self.accept_legacy:
      raise Unauthorized(Message("api.token.invalid"), {"token": [Message("api.token.legacy_refused")]})
    return claims, True

  def verify(self, encoded: str) -> dict:
    """Return the claims of a valid token, or raise :class:`Unauthorized` with the reasons."""
    return self.verify_token(encoded)[0]

  def verify_token(self, encoded: str) -> tuple[dict, bool]:
    """The claims of a valid token and whether 0.22 minted it, or raise :class:`Unauthorized`.

    The signature and the claims are checked first (no database access for a forged or expired
    token); then the token's record: unknown ``jti`` or revoked token are refused, except a 0.22
    token seen for the first time, which is recorded then (see :func:`prodmanager.tokens.check_record`).
    The reasons say what is wrong with the token, never which library refused it.
    """
    if not encoded:
      raise Unauthorized(Message("api.token.invalid"), {"token": [Message("api.token.empty")]})
    claims, legacy = self.decode(encoded)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    reasons = []
    if claims.get("iss") != self.issuer:
      reasons.append(Message("api.token.issuer"))
    if claims.get("version") != TOKEN_VERSION:
      reasons.append(Message("api.token.version"))
    if not is_timestamp(claims.get("exp")) or claims["exp"] <= now:
      reasons.append(Message("api.token.expired"))
    if not is_timestamp(claims.get("nbf")) or claims["nbf"] > now:
      reasons.append(Message("api.token.not_yet_valid"))
    permissions = claims.get("permissions")
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
      reasons.append(Message("api.token.permissions"))
    # What 0.22 minted, and what the rest of the application reads: one text each.
    for claim in ("aud", "sub", "jti"):
      if not isinstance(claims.get(claim), str):
        reasons.append(Message("api.token.claim", claim=claim))
    if reasons:
      raise Unauthorized(Message("api.token.invalid"), {"token": reasons})
    if self.session_factory is not None:
      # Not across the rolled-back transactions of the tests (prodmanager.db.request_connection).
      checked = self.checked if request_connection.get() is None else None
      check_record(self.session_factory, claims, legacy=legacy, checked=checked)
    return claims, legacy


def is_timestamp(value) -> bool:
  return isinstance(value, int) and not isinstance(value, bool)


def bearer_token(request) -> str | None:
  """The API token of a request: only on ``/api/``, from ``Authorization: Bearer`` (or ``Token``,
  ``JWT``: 0.22's clients send those) or ``X-PRIVATE-TOKEN``.

  None when no token header is sent. A token header that is present but blank gives ``""``, which
  is refused (401) like any invalid token: never a fall back to the session cookie, whose CSRF
  check is skipped for requests that carry a token. An ``Authorization`` header of another scheme
  (``Basic``, from a proxy) is not a token.
  """
  if not is_api_path(request.path):
    return None
  header = request.headers.get("Authorization")
  if header is not None:
    parts = header.split(None, 1)
    if not parts:
      return ""
    if parts[0].lower() in TOKEN_SCHEMES:
      return parts[1].strip() if len(parts) == 2 else ""
  private = request.headers.get("X-PRIVATE-TOKEN")
  return None if private is None else private.strip()


def token_claims(request, token: str) -> tuple[dict | None, Unauthorized | None]:
  """The verified claims of the request's token, or the reason it was refused (verified once per request).

  The identity never raises: pyramid_tm, error views and templates all read it. The refusal is
  raised by :func:`token_check_tween_factory`, under the exception view tween, as a JSON 401.
  """
  cached = request.__dict__.get("_prodmanager_token")
  if cached is None or cached[0] != token:
    state = app_state(request.registry)
    try:
      claims, legacy = state.tokens.verify_token(token)
    except Unauthorized as error:
      cached = (token, None, error)
    else:
      cached = (token, claims, None)
      if legacy and state.metrics is not None:
        state.metrics.legacy_tokens.inc()
    request.__dict__["_prodmanager_token"] = cached
  return cached[1], cached[2]


class SecurityPolicy:
  """Session identity for the web, bearer tokens for ``/api``, ACL permissions everywhere."""

  def __init__(self, sessions: SessionFactories):
    self.acl = ACLHelper()
    self.sessions = sessions

  def identity(self, request) -> Identity | None:
    token = bearer_token(request)
    if token is not None:
      claims, _error = token_claims(request, token)
      if claims is None:
        return None  # and token_check_tween_factory answers 401
      return Identity("token", claims["aud"], list(claims["permissions"]), claims)
    auth = request.session.get("auth")
    if (
      auth
      and auth.get("until", 0) > dt.datetime.now(dt.UTC).timestamp()
      # The server's record of the session: gone after a logout, whatever cookie is replayed.
      and login_sessions.is_open(request, auth.get("sid"))
    ):
      return Identity("session", auth.get("name", "admin"))
    return None

  def authenticated_userid(self, request):
    identity = request.identity
    return identity.name if identity else None

  def permits(self, request, context, permission):
    identity = request.identity
    principals = [Everyone] + (identity.principals if identity else [])
    return self.acl.permits(context, principals, permission)

  def remember(self, request, userid, remember: bool = False, **kw):
    seconds = REMEMBER_SECONDS if remember else SESSION_IDLE_SECONDS
    # The previous session ends on the server too; then a new session (no fixation), whose cookie
    # persists only with "remember me".
    login_sessions.close_session(request, request.session.get("auth", {}).get("sid"))
    session = self.sessions.renew(request, remember)
    session["auth"] = {
      "name": userid,
      "remember": remember,
      "until": dt.datetime.now(dt.UTC).timestamp() + seconds,
      "sid": login_sessions.open_session(request, userid, seconds),
    }
    return []

  def forget(self, request, **kw):
    """End the session on the server too: a copy of the cookie is worth nothing afterwards."""
    login_sessions.close_session(request, request.session.get("auth", {}).get("sid"))
    request.session.invalidate()
    return []


def token_administrator(request) -> str:
  """Who administers tokens on this request, or raise 401/403.

  The administrator is a logged-in session (cookie + CSRF, checked before the view) or a request
  carrying the administrator secret in ``X-ProdManager-Secret`` (scripts; compared in constant
  time). API tokens themselves cannot list or revoke tokens.
  """
  secret = request.headers.get(SECRET_HEADER)
  if secret is not None:
    if check_secret(request, secret):
      return CREATED_BY_SECRET
    raise Unauthorized(
      Message("api.secret.invalid_title"),
      {"secret": [Message("api.secret.invalid_header", header=SECRET_HEADER)]},
    )
  identity = request.identity
  if identity is None:
    raise Unauthorized(
      Message("api.errors.authentication_required"),
      {"authentication": [Message("api.secret.log_in_or_send", header=SECRET_HEADER)]},
    )
  if identity.kind != "session":
    raise NotAllowed(
      Message("api.errors.not_allowed"), {"permission": [Message("api.token.cannot_administer")]}
    )
  return identity.name


def csrf_applies(request) -> bool:
  """CSRF protects cookie-authenticated writes.

  A bearer token is never sent by a browser on its own, and an API request without the session
  cookie carries no ambient authority, so neither needs a CSRF token. Every HTML form does.
  """
  if bearer_token(request) is not None:
    return False
  if is_api_path(request.path):
    return request.registry.settings["prodmanager.session_cookie_name"] in request.cookies
  return True


def token_check_tween_factory(handler, registry):
  """Refuse a bad API token with 401 even on public endpoints, instead of silently ignoring it."""

  def tween(request):
    token = bearer_token(request)
    if token is not None:
      _claims, error = token_claims(request, token)
      if error is not None:
        raise error
    return handler(request)

  return tween


def includeme(config):
  settings = config.get_settings()
  for warning in secret_warnings(settings):
    log.warning("WEAK SECRET: %s", warning)
  # The cookie is Secure whenever the site is served over HTTPS, and persists only with "remember me".
  sessions = SessionFactories(
    derive_key(settings["prodmanager.secret_key"], "session").hex(),
    settings["prodmanager.session_cookie_name"],
  )
  config.set_session_factory(sessions)
  app_state(config.registry).session_record_key = derive_key(
    settings["prodmanager.secret_key"], "login-session"
  )
  config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
  config.set_default_csrf_options(require_csrf=True, callback=csrf_applies)
  config.set_security_policy(SecurityPolicy(sessions))
  # prodmanager.db is included first: its session factory is there.
  app_state(config.registry).tokens = TokenService(settings, app_state(config.registry).db_session_factory)
  app_state(config.registry).token_permissions = {}
  config.add_directive("add_token_permission", add_token_permission)
  config.add_request_method(
    lambda request: request.identity is not None and request.identity.kind == "session",
    "is_operator",
    reify=True,
  )
  # Under the exception view tween, so that the Unauthorized it raises becomes a JSON 401.
  config.add_tween("prodmanager.security.token_check_tween_factory", under=EXCVIEW)
