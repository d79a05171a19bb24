"""What the core and the plugins registered, as typed objects reached through one accessor.

``app_state(registry)`` (or ``app_state(request.registry)``) returns the application's
:class:`AppState`; each attribute is the registry object of one concern, created by the module that
owns it (its ``includeme``) and filled by that module's directives when the configuration commits::

  app_state(request.registry).resource_types["scope"].service
  app_state(request.registry).navigation  # NavEntry objects, in order

Nothing else is kept under loose string keys of the Pyramid registry, so that a reader finds the type
of every registered thing, and a typo is an AttributeError instead of a silent ``KeyError`` default.
"""

from typing import Any

# The one key of the Pyramid registry (a dict) that ProdManager uses.
KEY = "prodmanager.state"


class AppState:
  """One application's registered state; see the module docstring. (The attributes' types are
  named in comments: this module imports nothing of the core, which every module imports.)

  An attribute that its owning module did not set (that module is not included) raises
  AttributeError when read.
  """

  claims: Any  # Claims (prodmanager.actions: who claimed each discriminator (file:line))
  db_engine: Any  # Engine (prodmanager.db)
  db_session_factory: Any  # sessionmaker (prodmanager.db)
  subscribers: Any  # Subscribers (prodmanager.domain_events: add_domain_event_subscriber)
  tokens: Any  # TokenService (prodmanager.security)
  session_record_key: bytes  # the HMAC key of the login session records (prodmanager.security)
  token_permissions: Any  # dict[str, str] (prodmanager.tokens: add_token_permission, name -> description)
  catalogues: Any  # Catalogues (prodmanager.i18n: add_translations)
  settings: Any  # PluginSettings (prodmanager.settings: add_setting)
  resource_types: Any  # ResourceTypes (prodmanager.directives: add_resource_type)
  aggregates: Any  # Aggregates (prodmanager.directives: add_aggregate)
  dependents: Any  # Dependents (prodmanager.directives: add_dependent)
  navigation: Any  # Navigation (prodmanager.directives: add_navigation)
  dashboard_panels: Any  # DashboardPanels (prodmanager.directives: add_dashboard_panel)
  footer_links: Any  # FooterLinks (prodmanager.directives: add_footer_link)
  detail_panels: Any  # DetailPanels (prodmanager.directives: add_detail_panel)
  status_contributors: Any  # StatusContributors (prodmanager.status: add_status_contributor)
  demo_loaders: Any  # DemoLoaders (prodmanager.demo: add_demo_data)
  cli_commands: Any  # CliCommands (prodmanager.commands: add_cli_command)
  jobs: Any  # Jobs (prodmanager.jobs: add_job)
  integrations: Any  # Integrations (prodmanager.integrations: add_integration, add_integration_target)
  metrics: Any  # Metrics (prodmanager.metrics)
  ratelimit: Any  # RateLimiter (prodmanager.ratelimit)
  history_sources: Any  # HistorySources (prodmanager.history: add_history_source)
  badge_tones: Any  # dict[str, dict[str, str]] (prodmanager.tones: add_badge_tones, kind -> {value: tone})
  openapi: (
    Any  # OpenApi (prodmanager.api: add_openapi_fragment, add_api_view, add_crud_api, the served document)
  )
  query_parameters: (
    Any  # dict[(pattern, method), frozenset[str]] (prodmanager.api.pagination: a Link's parameters)
  )
  fragments: Any  # Fragments (prodmanager.fragments: rendered pieces kept by content, made on first use)
  validated_reads: Any  # ValidatedReads (prodmanager.api.request_body, made on first use)
  derived: Any  # Derived (prodmanager.derived: values kept by their tables' versions, made on first use)
  plugins: Any  # list[Plugin] (prodmanager.make_config: the enabled plugins, in load order)

  def __repr__(self) -> str:
    return f"<AppState {sorted(vars(self))}>"


def app_state(registry: Any) -> AppState:
  """The :class:`AppState` of the application whose Pyramid registry is ``registry``."""
  state = registry.get(KEY) if hasattr(registry, "get") else None
  if state is None:
    state = AppState()
    registry[KEY] = state
  return state


def made_on_first_use(registry: Any, name: str, make: Any) -> Any:
  """The :class:`AppState` attribute ``name``, set to ``make()`` the first time it is asked for
  (what a module keeps per application only once it is used: fragments, derived data...)."""
  state = app_state(registry)
  value = getattr(state, name, None)
  if value is None:
    value = make()
    setattr(state, name, value)
  return value
