"""Test data of the scope plugin: ``make.scope(...)`` and the two scopes of ``world``
(``prodmanager.testing`` collects them when the plugin is enabled)."""

from prodmanager.testing import factory

from .models import Scope

WORLD = {"paris": ("scope", {"name": "Paris DC"}), "lyon": ("scope", {"name": "Lyon DC"})}


@factory
def scope(make, name: str = "Scope", description: str = "", **values) -> Scope:
  """A scope added directly (no domain event is emitted this way)."""
  return make.add(Scope, name=name, description=description, **values)
