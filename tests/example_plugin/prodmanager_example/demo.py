"""Demo runbooks: one per demo service (the service plugin's loader, which runs first, stores them)."""

from .models import Runbook


def load(context) -> int:
  runbooks = [
    Runbook(
      name=f"Restart {service.name}",
      description=f"1. Drain the traffic of **{service.name}**.\n2. Restart it.\n3. Check the monitors.",
      service_id=service.id,
    )
    for service in context.objects.get("service", [])
  ]
  context.session.add_all(runbooks)
  return len(runbooks)
