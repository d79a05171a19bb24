"""Demo monitors: one per (scope, service) pair, with a mostly green but reproducible status, and
one fed by the http integration: this server's own /health."""

import random

from .models import Monitor, MonitorStatus, MonitorStatusChange

# Weights of the statuses; the generator is seeded so that the demo is the same every time.
STATUS_WEIGHTS = {MonitorStatus.OK: 100, MonitorStatus.WARNING: 10, MonitorStatus.ALERT: 5}
SEED = 22
# Where `make run` serves by default. PM_PUBLIC_URL, when set, says where the server really is;
# otherwise `prodmanager serve` says where it is about to listen (`make run PORT=9000`).
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
HEALTH_MONITOR = "ProdManager health"


def health_monitor(context, scope, service) -> Monitor:
  """A monitor of this server's /health that the http integration (when enabled) sets."""
  base = context.settings.get("prodmanager.public_url") or context.served_url or DEFAULT_BASE_URL
  base = base.rstrip("/")
  return Monitor(
    name=HEALTH_MONITOR,
    description="This server's liveness probe, checked by the http integration at each of its runs.",
    status=MonitorStatus.OK,
    integration="http",
    external_link=f"{base}/health",
    external_reference="status=200&keyword=OK",
    scope_id=scope.id,
    service_id=service.id,
  )


def load(context) -> int:
  """Needs the scopes and services created by their loaders (``context.objects``)."""
  generator = random.Random(SEED)
  statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
  monitors = []
  for scope in context.objects.get("scope", []):
    for service in context.objects.get("service", []):
      status = generator.choices(statuses, weights)[0]
      monitors.append(
        Monitor(
          name=f"[{scope.name}][{service.name}] Service status",
          description=f"Status of {service.name} in {scope.name}",
          status=status,
          scope_id=scope.id,
          service_id=service.id,
        )
      )
  scopes, services = context.objects.get("scope", []), context.objects.get("service", [])
  if scopes and services:
    monitors.append(health_monitor(context, scopes[0], services[0]))
  context.session.add_all(monitors)
  context.session.flush()
  # The initial status is part of the history, as for monitors created through the API.
  context.session.add_all(
    MonitorStatusChange(monitor_id=monitor.id, old_status=None, new_status=monitor.status)
    for monitor in monitors
  )
  context.objects["monitor"] = monitors
  return len(monitors)
