"""Demo monitors: one per (scope, service) pair, with a mostly green but reproducible status."""

import random

from .models import Monitor, MonitorStatus, MonitorStatusChange

# Weights of the statuses; the generator is seeded so that the demo is the same every time.
STATUS_WEIGHTS = {MonitorStatus.OK: 100, MonitorStatus.WARNING: 10, MonitorStatus.ALERT: 5}
SEED = 22


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
  context.session.add_all(monitors)
  context.session.flush()
  # The initial status is part of the history, as for monitors created through the API.
  context.session.add_all(
    MonitorStatusChange(monitor_id=monitor.id, old_status=None, new_status=monitor.status)
    for monitor in monitors
  )
  context.objects["monitor"] = monitors
  return len(monitors)
