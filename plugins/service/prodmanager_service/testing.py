"""Test data of the service plugin: ``make.service(...)`` and the two services of ``world``
(``prodmanager.testing`` collects them when the plugin is enabled)."""

from prodmanager.testing import factory

from .models import Service

WORLD = {"compute": ("service", {"name": "Compute"}), "network": ("service", {"name": "Network"})}


@factory
def service(make, name: str = "Service", description: str = "", **values) -> Service:
  """A service added directly (no domain event is emitted this way)."""
  return make.add(Service, name=name, description=description, **values)
