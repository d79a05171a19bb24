"""The core's include chain and tween chain: their order is a decision, asserted here."""

import pytest
from pyramid.interfaces import ITweens

import prodmanager

# The chains do not depend on the database.
pytestmark = pytest.mark.one_backend


def test_core_include_chain():
  assert prodmanager.CORE_INCLUDES == (
    "prodmanager.actions",
    "prodmanager.settings",
    "prodmanager.db",
    "prodmanager.domain_events",
    "prodmanager.security",
    "prodmanager.i18n",
    "prodmanager.site",
    "prodmanager.request_checks",
    "prodmanager.compat",
    "prodmanager.rendering",
    "prodmanager.tones",
    "prodmanager.directives",
    "prodmanager.status",
    "prodmanager.demo",
    "prodmanager.api",
    "prodmanager.views.errors",
    "prodmanager.views.core",
    "prodmanager.metrics",
    "prodmanager.ratelimit",
    "prodmanager.cache",
    "prodmanager.views.html",
    "prodmanager.timeline",
    "prodmanager.history",
    "prodmanager.badges",
    "prodmanager.commands",
    "prodmanager.jobs",
    "prodmanager.integration_setup",
  )


def test_every_core_include_has_an_includeme():
  import importlib

  for name in prodmanager.CORE_INCLUDES:
    assert callable(importlib.import_module(name).includeme), name


def test_tween_chain(registry):
  """Outermost first: request metrics (every answer timed and counted), the public address (before
  anything builds a URL), headers on every response (errors included), the failsafe that answers
  through the error views what escapes them, the size limit before any work, the checks of the
  path, query and form (UTF-8, parameter counts), HEAD handled as GET, the cache of anonymous answers (above the transaction, session,
  security policy and validation: a hit costs none of them), the ETag of the final body, the transaction, the
  rate limits (inside it: a token's identity may be read from the database; above the rest: errors
  get the X-RateLimit headers too), response validation, exception views, and the
  query text check and the token check under them so that their refusals become JSON 400 and 401."""
  names = [name for name, _factory in registry.queryUtility(ITweens).implicit()]
  assert names == [
    "prodmanager.metrics.metrics_tween_factory",
    "prodmanager.site.public_url_tween_factory",
    "prodmanager.tweens.security_headers_tween_factory",
    "prodmanager.views.errors.failsafe_tween_factory",
    "prodmanager.tweens.body_limit_tween_factory",
    "prodmanager.request_checks.request_checks_tween_factory",
    "prodmanager.tweens.head_as_get_tween_factory",
    "prodmanager.cache.cache_tween_factory",
    "prodmanager.tweens.etag_tween_factory",
    "pyramid_tm.tm_tween_factory",
    "prodmanager.ratelimit.ratelimit_tween_factory",
    "pyramid_openapi3.tween.response_tween_factory",
    "pyramid.tweens.excview_tween_factory",
    "prodmanager.tweens.query_text_tween_factory",
    "prodmanager.security.token_check_tween_factory",
  ]
