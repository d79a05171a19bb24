"""What the core and the plugins registered, as typed objects reached through one accessor.

``app_state(registry)`` (or ``app_state(request.registry)``) returns the application's
:class:`AppState`; each attribute is the registry object of one concern, created by the module that
owns it (its ``includeme``) and filled by that module's directives when the configuration commits::

  app_state(request.registry).resource_types["scope"].service
  app_state(request.registry).navigation  # NavEntry objects, in order

Nothing else is kept under loose string keys of the Pyramid registry, so that a reader finds the type
of every registered thing, and a typo is an AttributeError instead of a silent ``KeyError`` default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
  from sqlalchemy.engine import Engine
  from sqlalchemy.orm import sessionmaker

  from .actions import Claims
  from .api.document import OpenApi
  from .commands import CliCommands
  from .demo import DemoLoaders
  from .directives import Aggregates, DashboardPanels, Dependents, Navigation, ResourceTypes
  from .domain_events import Subscribers
  from .history import HistorySources
  from .i18n import Catalogues
  from .jobs import Jobs
  from .metrics import Metrics
  from .plugins import Plugin
  from .ratelimit import RateLimiter
  from .settings import PluginSettings
  from .status import StatusContributors
  from .tokens import TokenService

# The one key of the Pyramid registry (a dict) that ProdManager uses.
KEY = "prodmanager.state"


class AppState:
  """One application's registered state; see the module docstring.

  An attribute that its owning module did not set (that module is not included) raises
  AttributeError when read.
  """

  claims: Claims  # prodmanager.actions: who claimed each discriminator (file:line)
  db_engine: Engine  # prodmanager.db
  db_session_factory: sessionmaker  # prodmanager.db
  subscribers: Subscribers  # prodmanager.domain_events: add_domain_event_subscriber
  tokens: TokenService  # prodmanager.security
  catalogues: Catalogues  # prodmanager.i18n: add_translations
  settings: PluginSettings  # prodmanager.settings: add_setting
  resource_types: ResourceTypes  # prodmanager.directives: add_resource_type
  aggregates: Aggregates  # prodmanager.directives: add_aggregate
  dependents: Dependents  # prodmanager.directives: add_dependent
  navigation: Navigation  # prodmanager.directives: add_navigation
  dashboard_panels: DashboardPanels  # prodmanager.directives: add_dashboard_panel
  status_contributors: StatusContributors  # prodmanager.status: add_status_contributor
  demo_loaders: DemoLoaders  # prodmanager.demo: add_demo_data
  cli_commands: CliCommands  # prodmanager.commands: add_cli_command
  jobs: Jobs  # prodmanager.jobs: add_job
  metrics: Metrics  # prodmanager.metrics
  ratelimit: RateLimiter  # prodmanager.ratelimit
  history_sources: HistorySources  # prodmanager.history: add_history_source
  badge_tones: dict[str, dict[str, str]]  # prodmanager.tones: add_badge_tones, kind -> {value: tone}
  openapi: OpenApi  # prodmanager.api: add_openapi_fragment, add_api_view, add_crud_api, the served document
  plugins: list[Plugin]  # prodmanager.make_config: the enabled plugins, in load order

  def __repr__(self) -> str:
    return f"<AppState {sorted(vars(self))}>"


def app_state(registry: Any) -> AppState:
  """The :class:`AppState` of the application whose Pyramid registry is ``registry``."""
  state = registry.get(KEY) if hasattr(registry, "get") else None
  if state is None:
    state = AppState()
    registry[KEY] = state
  return state
