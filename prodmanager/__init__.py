"""ProdManager: a self-hosted production status page on Pyramid."""

from pyramid.config import Configurator
from pyramid.tweens import EXCVIEW

from .state import app_state
from .version import __version__

__all__ = ["__version__", "main", "make_config", "make_wsgi_app"]

# The core's include chain, in order. Each step may rely on the ones above it; a test asserts this
# list so that a reordering is a conscious decision.
CORE_INCLUDES = (
  "prodmanager.actions",  # the claims behind every directive's conflict detection (see state.py)
  "prodmanager.settings",  # add_setting: settings declared by plugins, read with the core's
  "prodmanager.db",  # engine, request.dbsession, pyramid_tm
  "prodmanager.domain_events",  # facts delivered to subscribers after commit
  "prodmanager.security",  # sessions, CSRF, security policy, API tokens
  "prodmanager.i18n",  # catalogues, request._ and request.lang, add_translations
  "prodmanager.site",  # request.site_name (PM_SITE_NAME); PM_PUBLIC_URL's tween is added below
  "prodmanager.request_checks",  # request.json_body without lone surrogates; its tween is added below
  "prodmanager.compat",  # 0.22's URLs (/logged, GET /logout, /static/... redirects) and variables
  "prodmanager.rendering",  # Jinja2, template globals, static files
  "prodmanager.tones",  # add_badge_tones: the colours of the plugins' badges, served as /tones.css
  "prodmanager.directives",  # the plugin contract: resource types, navigation, panels...
  "prodmanager.status",  # overall status roll-up and the status banner panel
  "prodmanager.demo",  # add_demo_data: the plugins' demo data loaders (prodmanager demo)
  "prodmanager.api",  # OpenAPI composition, API routes and views, Swagger UI
  "prodmanager.views.errors",  # JSON errors on /api, error pages elsewhere
  "prodmanager.views.core",  # login/logout, tokens, health, about, robots.txt
  "prodmanager.metrics",  # /metrics (Prometheus) and the request metrics tween
  "prodmanager.ratelimit",  # API and login rate limits (Redis or in-process counters)
  "prodmanager.cache",  # cached anonymous answers under the content version (Redis, file or process)
  "prodmanager.views.html",  # the standard HTML pages of resource types, home page
  "prodmanager.timeline",  # event timelines of the types that have one: comment API and form
  "prodmanager.history",  # public Atom/RSS history feeds, fed by the plugins' sources
  "prodmanager.badges",  # status badges (SVG) and their shields.io JSON twins
  "prodmanager.commands",  # add_cli_command: the plugins' `prodmanager <name>` subcommands
  "prodmanager.jobs",  # add_job: periodic jobs run by `prodmanager worker`
  "prodmanager.integration_setup",  # add_integration: pull integrations, their runs page and metrics
)


def make_config(settings: dict, environ: dict[str, str] | None = None) -> Configurator:
  """Build the configuration: settings, the core, then the enabled plugins in dependency order.

  ``environ`` holds the ``PM_*`` variables that override the INI settings: ``os.environ`` when
  None (the tests pass a mapping of their own, so that the machine's variables never reach them).
  """
  # Imported when an application is built, not with the package: every submodule import (the
  # ``prodmanager.testing`` pytest plugin that each pytest run of this environment loads,
  # ``prodmanager.version``...) imports this package first, and must not import the application.
  from .compat import log_retired_notices
  from .plugins import include, resolve
  from .resources import root_factory
  from .settings import check_settings, read_settings

  ini = dict(settings)
  # A bad core value is reported with the plugins' bad values, once the plugins declared theirs;
  # its default stands in meanwhile.
  core_errors: list[str] = []
  settings = {**settings, **read_settings(settings, environ, errors=core_errors)}
  validation = settings["prodmanager.response_validation"]
  # Response validation is a development aid (a third of an API read's time): on in development and
  # tests, off in production unless PM_RESPONSE_VALIDATION says so. Requests are always validated.
  if validation is None:
    validation = settings["prodmanager.mode"] != "production"
  settings["pyramid_openapi3.enable_response_validation"] = validation
  config = Configurator(settings=settings, root_factory=root_factory)
  for name in CORE_INCLUDES:
    config.include(name)
  declared = app_state(config.registry).settings
  declared.ini, declared.core_errors = ini, core_errors
  # Under the exception view tween: its 400 is answered by the error views like any other.
  config.add_tween("prodmanager.tweens.query_text_tween_factory", under=EXCVIEW)
  # The others are added innermost first: tests/test_include_chain.py shows the chain and why.
  config.add_tween("prodmanager.tweens.etag_tween_factory")
  config.add_tween("prodmanager.cache.cache_tween_factory")  # above the session, security and validation
  config.add_tween("prodmanager.tweens.head_as_get_tween_factory")
  config.add_tween("prodmanager.request_checks.request_checks_tween_factory")
  config.add_tween("prodmanager.tweens.body_limit_tween_factory")
  config.add_tween("prodmanager.views.errors.failsafe_tween_factory")  # what escapes the exception views
  config.add_tween("prodmanager.tweens.security_headers_tween_factory")
  config.add_tween("prodmanager.site.public_url_tween_factory")  # before anything builds a URL
  config.add_tween("prodmanager.metrics.metrics_tween_factory")  # outermost: times and counts everything
  # Plugins are included after the core committed its directives (pyramid.includes would run too early).
  config.commit()
  plugins = resolve(settings["prodmanager.plugins"])
  app_state(config.registry).plugins = plugins
  for plugin in plugins:
    include(config, plugin)  # an includeme that raises stops startup with one line naming the plugin
  # The plugins' directives are deferred actions: commit them (conflicts between plugins are
  # detected here) before the API routes are generated from the composed OpenAPI document.
  config.commit()
  check_settings(config.registry, environ)
  log_retired_notices(environ)
  # (finalize_document is imported here for the reason given at the top of this function.)
  from .api import finalize_document

  finalize_document(config)
  config.commit()
  return config


def make_wsgi_app(settings: dict, environ: dict[str, str] | None = None):
  """The WSGI application of these INI settings and ``PM_*`` variables (see :func:`make_config`)."""
  # Imported here: see make_config.
  from .tweens import proxy_fix
  from .views.errors import failsafe_app

  config = make_config(settings, environ)
  app = failsafe_app(config.make_wsgi_app())
  return proxy_fix(app, config.registry.settings["prodmanager.proxy_chain_count"])


def main(global_config=None, **settings):
  """WSGI application factory (``paste.app_factory``): INI settings, ``PM_*`` variables from the process."""
  return make_wsgi_app(settings)
