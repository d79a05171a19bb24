"""Prometheus metrics: ``GET /metrics`` in the text exposition format (version 0.0.4).

Each application has its own :class:`prometheus_client.CollectorRegistry` (``app_state(registry).metrics``),
never the library's global one, so that several applications in one process (the tests build many)
count separately. The counters are those of this process: Prometheus scrapes every replica.

``PM_METRICS_TOKEN``, when set, protects the endpoint with ``Authorization: Bearer <token>``. HTML
pages never read ``Authorization``; ``/metrics`` is not a page, and this is its only reader outside
``/api``. Other parts of the application register their own collectors on ``app_state(registry).metrics.registry``.
"""

import hmac
import logging
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from pyramid.interfaces import IRoutesMapper
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from .state import app_state

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "(unmatched)"
# Every label takes a bounded set of values: one time series per odd method or URL would let any
# client grow the registry (and the scrape) without limit.
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
OTHER_METHOD = "other"

log = logging.getLogger(__name__)
# A tween that answers before routing may name the route itself (the login throttling: "/login").
ROUTE_ENVIRON_KEY = "prodmanager.metrics.route"


class Metrics:
  """The application's registry and the core's metrics."""

  def __init__(self):
    self.registry = CollectorRegistry(auto_describe=True)
    self.requests = Counter(
      "prodmanager_http_requests",
      "HTTP requests answered, by method, route template and status",
      ["method", "route", "status"],
      registry=self.registry,
    )
    self.latency = Histogram(
      "prodmanager_http_request_duration_seconds",
      "Time to answer an HTTP request, by method and route template",
      ["method", "route"],
      buckets=LATENCY_BUCKETS,
      registry=self.registry,
    )
    self.ratelimit_backend_errors = Counter(
      "prodmanager_ratelimit_backend_errors",
      "Rate limit checks that could not reach the backend (Redis); those requests were allowed",
      registry=self.registry,
    )
    self.legacy_tokens = Counter(
      "prodmanager_legacy_token_requests",
      "Requests authenticated by a token minted by ProdManager 0.22 (signed with PM_SECRET_KEY itself, "
      "accepted while PM_JWT_ACCEPT_LEGACY is on)",
      registry=self.registry,
    )
    self.ratelimited = Counter(
      "prodmanager_ratelimited_requests",
      "Requests refused with 429 because a rate limit was reached, by limit (api or login)",
      ["limit"],
      registry=self.registry,
    )

  def expose(self) -> bytes:
    return generate_latest(self.registry)


def method_label(request) -> str:
  """The request's method when it is a standard one, else ``other``."""
  method = request.method
  return method if method in METHODS else OTHER_METHOD


def route_template(request, status: int) -> str:
  """A bounded label for the request: the route pattern, or the traversal path with ``{id}``.

  Never the raw path: ids and unknown paths would make one time series per URL.
  """
  try:
    return _route_template(request, status)
  except UnicodeDecodeError:  # a path that is not UTF-8 (answered 400) matches no route
    return UNMATCHED


def _route_template(request, status: int) -> str:
  named = request.environ.get(ROUTE_ENVIRON_KEY)
  if named:
    return named
  route = getattr(request, "matched_route", None)
  if route is None and not hasattr(request, "context"):
    # Answered before routing (a 429 of the rate limit, a 413): find the route it was meant for.
    mapper = request.registry.queryUtility(IRoutesMapper)
    route = mapper(request)["route"] if mapper is not None else None
  if route is not None:
    pattern = route.pattern
    return pattern if pattern.startswith("/") else f"/{pattern}"
  context = getattr(request, "context", None)
  if context is None or status == 404:
    return UNMATCHED
  segments = []
  node = context
  while node is not None and getattr(node, "__parent__", None) is not None:
    row = getattr(node, "row", None)
    segments.append("{id}" if row is not None else str(getattr(node, "__name__", "")))
    node = node.__parent__
  segments.reverse()
  view_name = getattr(request, "view_name", "")
  if view_name:
    segments.append(view_name)
  return "/" + "/".join(segments)


def metrics_tween_factory(handler, registry):
  """Outermost: counts every request and its latency, errors that escape the other tweens included."""
  metrics: Metrics = app_state(registry).metrics

  def tween(request):
    start = time.perf_counter()
    status = 500
    try:
      response = handler(request)
      status = response.status_int
      return response
    finally:
      route, method = route_template(request, status), method_label(request)
      metrics.requests.labels(method, route, str(status)).inc()
      metrics.latency.labels(method, route).observe(time.perf_counter() - start)

  return tween


def metrics_view(request):
  token = request.registry.settings["prodmanager.metrics_token"]
  if token:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
      return Response(
        "Authentication required: Authorization: Bearer <PM_METRICS_TOKEN>\n",
        status=401,
        content_type="text/plain",
        charset="utf-8",
        headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
      )
  response = Response(body=app_state(request.registry).metrics.expose())
  response.headers["Content-Type"] = CONTENT_TYPE
  response.cache_control = "no-store"
  return response


def includeme(config):
  settings = config.get_settings()
  if settings["prodmanager.mode"] == "production" and not settings["prodmanager.metrics_token"]:
    log.warning(
      "PM_METRICS_TOKEN is not set: /metrics is open to anyone who can reach this server; "
      "set a token (and the scrape job's credentials) or keep /metrics unreachable from outside"
    )
  app_state(config.registry).metrics = Metrics()
  config.add_route("metrics", "/metrics")
  config.add_view(metrics_view, route_name="metrics", request_method="GET", permission=NO_PERMISSION_REQUIRED)
  # The tween is added by prodmanager.make_config after the core's own, so that it is the outermost.
