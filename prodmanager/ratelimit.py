"""Rate limits: the API (``PM_API_RATELIMIT_*``, optional) and failed logins (always on).

A fixed-window counter per client: the first counted request of a client opens a window of the
configured length; every request in it adds one; when the window expires the count starts again.

* Clients: an API token is counted by its ``jti``; a logged-in session by its identity
  (``session:<name>``); anyone else by address (``REMOTE_ADDR``, taken from
  ``X-Forwarded-For`` N hops from the application when ``PM_PROXY_CHAIN_COUNT`` is N > 0). Tokens and sessions get
  ``PM_API_RATELIMIT_LOGGED`` requests per period, anonymous clients ``PM_API_RATELIMIT_DEFAULT``. A
  request with an invalid token is anonymous (and answered 401 further down).
* Backends: Redis when ``PM_REDIS_URI`` is set, shared by every process and replica, one round trip
  per request (``MULTI; SET key 0 EX period NX; INCRBY key n; PTTL key; EXEC``: commands of Redis
  2.6, so Redis 6 and 7 both work). Without Redis, an in-process counter: **per process**, so N
  processes allow N times the limit.
* Redis unreachable (refused, 0.2 s timeout): an API request is allowed, counted in
  ``prodmanager_ratelimit_backend_errors_total`` and a warning is logged at most once a minute. After
  a failure Redis is left alone for a second, so an outage does not add a timeout to every request.
* Failed attempts at the administrator secret (the login form, ``POST /api/token/create``, the
  ``X-ProdManager-Secret`` header) are counted by :func:`prodmanager.security.check_secret`, in the
  view that reads the secret, whatever path led there: ``PM_LOGIN_RATELIMIT`` per client and per 15
  minutes, one counter for every place. Each check takes one attempt first (exact under concurrent
  guesses) and gives it back when the secret was right. This throttle never fails open: while Redis
  is unavailable, it counts in this process instead.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from .paths import is_api_path
from .state import app_state
from .views.errors import html_error, json_error

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "prodmanager:ratelimit:"
LOGIN_PERIOD_SECONDS = 15 * 60
SOCKET_TIMEOUT_SECONDS = 0.2
BACKEND_PAUSE_SECONDS = 1.0
WARNING_INTERVAL_SECONDS = 60.0
MEMORY_PURGE_SECONDS = 60.0


class BackendUnavailable(Exception):
  """The counter could not be read or written."""


class MemoryBackend:
  """Counters in this process's memory: each process (and replica) counts on its own."""

  name = "memory (per process)"

  def __init__(self):
    self.lock = threading.Lock()
    self.counters: dict[str, list] = {}  # key -> [count, expires at (monotonic)]
    self.next_purge = time.monotonic() + MEMORY_PURGE_SECONDS

  def hit(self, key: str, amount: int, period: int) -> tuple[int, float]:
    """Add ``amount`` to the window of ``key``; returns the count and the seconds left in the window."""
    now = time.monotonic()
    with self.lock:
      if now >= self.next_purge:
        self.counters = {k: entry for k, entry in self.counters.items() if entry[1] > now}
        self.next_purge = now + MEMORY_PURGE_SECONDS
      entry = self.counters.get(key)
      if entry is None or entry[1] <= now:
        entry = self.counters[key] = [0, now + period]
      entry[0] += amount
      return entry[0], entry[1] - now

  def clear(self) -> None:
    with self.lock:
      self.counters.clear()


class RedisBackend:
  """Counters in Redis, shared by every process using the same server and database."""

  def __init__(self, uri: str):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    self.errors = (redis.RedisError, OSError)
    # No retry and short timeouts: a rate limit check must never hold a request for long.
    self.client = redis.Redis.from_url(
      uri,
      socket_timeout=SOCKET_TIMEOUT_SECONDS,
      socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
      retry=Retry(NoBackoff(), 0),
      retry_on_timeout=False,
    )
    parsed = urlparse(uri)
    where = (
      parsed.path if parsed.scheme == "unix" else f"{parsed.hostname}:{parsed.port or 6379}{parsed.path}"
    )
    self.name = f"Redis at {where}"  # never the password

  def hit(self, key: str, amount: int, period: int) -> tuple[int, float]:
    try:
      pipe = self.client.pipeline(transaction=True)
      pipe.set(key, 0, ex=period, nx=True)
      pipe.incrby(key, amount)
      pipe.pttl(key)
      _created, count, milliseconds = pipe.execute()
      if milliseconds < 0:
        # The key expired between SET and INCRBY and came back without a TTL: give it one, or the
        # client would stay limited for ever.
        self.client.expire(key, period)
        milliseconds = period * 1000
    except self.errors as error:
      raise BackendUnavailable(f"{error.__class__.__name__}: {error}") from error
    return int(count), milliseconds / 1000

  def ping(self) -> bool:
    try:
      return bool(self.client.ping())
    except self.errors:
      return False


@dataclass(frozen=True)
class Outcome:
  limit: int
  used: int
  reset: int  # seconds until the window ends
  backend: object = field(default=None, compare=False, repr=False)  # where it was counted

  @property
  def allowed(self) -> bool:
    return self.used <= self.limit

  @property
  def remaining(self) -> int:
    return max(0, self.limit - self.used)

  def headers(self) -> dict[str, str]:
    return {
      "X-RateLimit-Limit": str(self.limit),
      "X-RateLimit-Remaining": str(self.remaining),
      "X-RateLimit-Reset": str(self.reset),
      "X-RateLimit-Used": str(self.used),
    }


class RateLimiter:
  """Counts hits per (limit, client) in a backend; fails open when the backend is unavailable,
  unless asked to fall back on an in-process counter (``strict``)."""

  def __init__(self, backend, prefix: str = DEFAULT_PREFIX, metrics=None):
    self.backend = backend
    # For strict limits while the backend is unavailable: a count per process beats no count.
    self.fallback = backend if isinstance(backend, MemoryBackend) else MemoryBackend()
    self.prefix = prefix
    self.metrics = metrics
    self.lock = threading.Lock()
    self.paused_until = 0.0
    self.last_warning = -math.inf
    self.unchecked = 0  # requests allowed unchecked since the last warning
    self.failing = False

  def clear_local(self) -> None:
    """Forget the counts kept in this process (tests: each starts with a clean slate)."""
    self.fallback.clear()

  def key(self, scope: str, client: str) -> str:
    return f"{self.prefix}{scope}:{client}"

  def hit(
    self, scope: str, client: str, limit: int, period: int, amount: int = 1, strict: bool = False
  ) -> Outcome | None:
    """Count ``amount`` hits. When the backend is unavailable: None (the request is then allowed),
    or, if ``strict``, the count of the in-process fallback."""
    key = self.key(scope, client)
    backend = self.backend
    if time.monotonic() < self.paused_until:
      self._unavailable(None)
      backend = self.fallback if strict else None
    else:
      try:
        used, seconds_left = backend.hit(key, amount, period)
      except BackendUnavailable as error:
        self._unavailable(error)
        backend = self.fallback if strict else None
      else:
        if self.failing:
          with self.lock:
            self.failing = False
          log.warning("rate limit backend %s is available again", self.backend.name)
        return Outcome(limit, used, max(0, math.ceil(seconds_left)), backend)
    if backend is None:
      return None
    used, seconds_left = backend.hit(key, amount, period)
    return Outcome(limit, used, max(0, math.ceil(seconds_left)), backend)

  def give_back(self, scope: str, client: str, outcome: Outcome, period: int) -> Outcome:
    """Undo one hit of ``outcome``, in the backend that counted it."""
    key = self.key(scope, client)
    try:
      used, seconds_left = outcome.backend.hit(key, -1, period)
    except BackendUnavailable as error:
      self._unavailable(error)
      return outcome
    return Outcome(outcome.limit, used, max(0, math.ceil(seconds_left)), outcome.backend)

  def _unavailable(self, error: BackendUnavailable | None) -> None:
    if self.metrics is not None:
      self.metrics.ratelimit_backend_errors.inc()
    now = time.monotonic()
    with self.lock:
      self.unchecked += 1
      if error is not None:
        self.failing = True
        self.paused_until = now + BACKEND_PAUSE_SECONDS
      if error is None or now - self.last_warning < WARNING_INTERVAL_SECONDS:
        return
      self.last_warning, unchecked, self.unchecked = now, self.unchecked, 0
    log.warning(
      "rate limit backend %s unavailable (%s): API requests are allowed without a limit, failed "
      "secret attempts are counted in this process (%d checks without the backend since the last warning)",
      self.backend.name,
      error,
      unchecked,
    )


def describe_period(seconds: int) -> str:
  if seconds % 3600 == 0:
    hours = seconds // 3600
    return "hour" if hours == 1 else f"{hours} hours"
  if seconds % 60 == 0:
    minutes = seconds // 60
    return "minute" if minutes == 1 else f"{minutes} minutes"
  return "second" if seconds == 1 else f"{seconds} seconds"


def api_client(request) -> tuple[str, bool]:
  """The client of an API request and whether it is logged (token or session)."""
  try:
    identity = request.identity
  except Exception:  # noqa: BLE001 - the view will meet the same failure and answer it properly
    log.debug("rate limit: identity unavailable on %s", request.path, exc_info=True)
    identity = None
  if identity is not None and identity.kind == "token":
    return f"token:{identity.claims.get('jti') or identity.name}", True
  if identity is not None and identity.kind == "session":
    return f"session:{identity.name}", True
  return address_client(request), False


def address_client(request) -> str:
  # REMOTE_ADDR (the trusted proxies' answer, see prodmanager.tweens.proxy_fix), never WebOb's
  # client_addr: that one reads the first X-Forwarded-For entry, which the client writes itself.
  return f"ip:{request.remote_addr or 'unknown'}"


def too_many_requests(request, outcome: Outcome, message: str, reason: str):
  headers = {**outcome.headers(), "Retry-After": str(outcome.reset)}
  if is_api_path(request.path):
    return json_error(request, 429, message, {"rate_limit": [reason]}, headers)
  response = html_error(request, 429, request._("errors.too_many_requests_text", seconds=outcome.reset))
  response.headers.update(headers)
  return response


_creation = threading.Lock()


def limiter_of(registry) -> RateLimiter:
  """The application's rate limiter, created on first use: once the configuration is complete,
  every setting is parsed (the rate limiter's own are declared with add_setting)."""
  state = app_state(registry)
  with _creation:
    if getattr(state, "ratelimit", None) is None:
      settings = registry.settings
      uri = settings["prodmanager.redis_uri"]
      state.ratelimit = RateLimiter(
        RedisBackend(uri) if uri else MemoryBackend(),
        settings["prodmanager.ratelimit_key_prefix"] or DEFAULT_PREFIX,
        state.metrics,
      )
  return state.ratelimit


def api_period(settings) -> int:
  """Seconds of the API window: the internal INI key, else ``PM_API_RATELIMIT_PERIOD_HOURS``."""
  return (
    settings["prodmanager.api_ratelimit_period_seconds"]
    or settings["prodmanager.api_ratelimit_period_hours"] * 3600
  )


def login_period(settings) -> int:
  """Seconds of the failed-login window: the internal INI key, else 15 minutes."""
  return settings["prodmanager.login_ratelimit_period_seconds"] or LOGIN_PERIOD_SECONDS


def ratelimit_tween_factory(handler, registry):
  settings = registry.settings
  limiter = limiter_of(registry)
  metrics = app_state(registry).metrics
  api_enabled = settings["prodmanager.api_ratelimit_enabled"]
  api_window = api_period(settings)
  anonymous_limit = settings["prodmanager.api_ratelimit_default"]
  logged_limit = settings["prodmanager.api_ratelimit_logged"]

  def refused(limit_name: str):
    if metrics is not None:
      metrics.ratelimited.labels(limit_name).inc()

  def api(request):
    client, logged = api_client(request)
    limit = logged_limit if logged else anonymous_limit
    outcome = limiter.hit("api", client, limit, api_window)
    if outcome is None:
      return handler(request)
    if not outcome.allowed:
      refused("api")
      kind = "a token or a logged-in session" if logged else "an anonymous client"
      return too_many_requests(
        request,
        outcome,
        "Rate limit exceeded",
        f"at most {limit} requests per {describe_period(api_window)} for {kind}; "
        f"retry in {outcome.reset} seconds",
      )
    response = handler(request)
    response.headers.update(outcome.headers())
    return response

  def tween(request):
    if api_enabled and request.method != "OPTIONS" and is_api_path(request.path):
      return api(request)
    return handler(request)

  return tween


def positive_seconds(value: str) -> int | None:
  """Nothing (the default applies) or a positive number of seconds."""
  if value == "":
    return None
  try:
    seconds = int(value)
  except ValueError:
    raise ValueError("expected a positive number of seconds") from None
  if seconds < 1:
    raise ValueError("expected a positive number of seconds")
  return seconds


def includeme(config):
  # Internal INI-only settings (no environment variable): tests use short windows, and several
  # test applications share one Redis under their own prefix.
  config.add_setting(
    "prodmanager.api_ratelimit_period_seconds",
    type=positive_seconds,
    description="length of the API rate limit window in seconds, instead of PM_API_RATELIMIT_PERIOD_HOURS",
  )
  config.add_setting(
    "prodmanager.login_ratelimit_period_seconds",
    type=positive_seconds,
    description=f"length of the failed login window in seconds (default {LOGIN_PERIOD_SECONDS})",
  )
  config.add_setting(
    "prodmanager.ratelimit_key_prefix",
    default=DEFAULT_PREFIX,
    description="prefix of the rate limit counters' Redis keys",
  )
  # Inside the transaction (the identity of a token may be checked in the database) and above the
  # response validation and exception views, so that every answer, errors included, carries the headers.
  config.add_tween(
    "prodmanager.ratelimit.ratelimit_tween_factory",
    under="pyramid_tm.tm_tween_factory",
    over="pyramid_openapi3.tween.response_tween_factory",
  )
