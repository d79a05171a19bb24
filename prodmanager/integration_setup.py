"""The integrations' wiring: the directives, the runner's tables, the runs page and their metrics.

Apart from prodmanager.integrations so that the runner (prodmanager.runs) and its metrics, which
build on the integration contract, are imported by this module and never by the contract's.
"""

from . import runs  # noqa: F401  (the runner's tables are part of the schema whenever the core is)
from .integrations import Integrations, add_integration, add_integration_target
from .run_metrics import IntegrationRunCollector
from .state import app_state


def includeme(config):
  app_state(config.registry).integrations = Integrations()
  config.add_directive("add_integration", add_integration)
  config.add_directive("add_integration_target", add_integration_target)
  app_state(config.registry).metrics.registry.register(IntegrationRunCollector(config.registry))
  config.include("prodmanager.views.integrations")
