"""How every ProdManager directive registers: one deferred ``config.action`` with a discriminator
and an introspectable (the way Substance D's ``add_content_type`` does).

* Deferred: nothing is written to the application's state (:mod:`prodmanager.state`) until the
  configuration commits, so a plugin may call directives in any order.
* Discriminator: two plugins claiming the same thing (a resource type, a navigation entry, a
  setting...) stop startup with Pyramid's ``ConfigurationConflictError``, which names both
  calls' files and lines. The core commits its configuration before the plugins are included,
  and Pyramid only compares the actions of one commit: :class:`Claims` keeps who claimed each
  discriminator, so that a plugin claiming what the core already registered fails the same way.
* Introspectable: every registration is listed by Pyramid's introspector (category
  ``prodmanager <what>``), which the tests and debugging tools read.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from pyramid.config.actions import ActionInfo
from pyramid.exceptions import ConfigurationError
from pyramid.interfaces import PHASE1_CONFIG

from .state import app_state

# Resource types and setting declarations are registered before the directives that refer to
# them by name (the standard pages, the API, badges...), which run at Pyramid's default order 0.
ORDER_DECLARE = PHASE1_CONFIG
# After every directive of the default order and the actions they add (such as the OpenAPI
# fragments of add_crud_api): for what completes their work, like documenting an aggregate.
ORDER_COMPLETE = 10


def origin_text(info: Any) -> str:
  """``file:line`` of a directive call, from Pyramid's ActionInfo."""
  file = getattr(info, "file", None)
  return f"{file}:{info.line}" if file else str(info or "unknown place")


def callable_name(func: Callable) -> str:
  """``module.qualname`` of a callable: the default name of contributors, sources and subscribers."""
  return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


class Claims:
  """Discriminators already registered by a commit, with the place that registered them."""

  def __init__(self):
    self.places: dict[tuple, str] = {}

  def claim(self, discriminator: tuple, place: str) -> None:
    first = self.places.get(discriminator)
    if first is not None:
      raise ConfigurationError(
        f"conflicting configuration {discriminator!r}: registered at {first} and again at {place}"
      )
    self.places[discriminator] = place


def claims_of(registry) -> Claims:
  state = app_state(registry)
  if not hasattr(state, "claims"):
    # A test may include one directive's module without the whole core.
    state.claims = Claims()
  return state.claims


def register(
  config,
  discriminator: tuple,
  apply: Callable[[], None] | None,
  *,
  what: str,
  title: str,
  order: int = 0,
  exclusive: bool = True,
  **details: Any,
) -> None:
  """Register a directive's effect: ``apply()`` runs when the configuration commits.

  ``discriminator`` names what is claimed, such as ``("prodmanager.navigation", "incident")``;
  ``what`` names the introspection category (``prodmanager <what>``) and ``details`` become the
  introspectable's values. ``exclusive=False`` claims nothing (the discriminator then only names
  the introspectable): for a directive whose parts claim what they need with :func:`claim`.
  """
  info = config.action_info
  place = origin_text(info)
  introspectable = config.introspectable(f"prodmanager {what}", discriminator, title, f"prodmanager {what}")
  for key, value in details.items():
    introspectable[key] = value
  introspectable["origin"] = place

  def run():
    if exclusive:
      claims_of(config.registry).claim(discriminator, place)
    if apply is not None:
      apply()

  config.action(discriminator if exclusive else None, run, order=order, introspectables=(introspectable,))


def claim(config, discriminator: tuple) -> None:
  """Claim ``discriminator`` without registering anything (one directive claiming several things,
  such as the paths and components of an OpenAPI fragment)."""
  place = origin_text(config.action_info)
  config.action(discriminator, lambda: claims_of(config.registry).claim(discriminator, place))


def deferred_config(config, info: Any):
  """A configurator for directives called while an action runs, reporting ``info`` (the plugin's
  call) as their origin instead of the core's module that made the call."""
  nested = config.with_package(config.package)
  nested.info = info
  return nested


def caller_config(config):
  """For a core helper that calls directives on a plugin's behalf (``register_group``,
  ``Membership.register``): a configurator whose registrations report the helper's caller (the
  plugin's line) as their origin, so that a conflict names the plugin's file and line, not the
  core's. Call it from the helper itself. When ``config`` already reports a place (the helper runs
  inside another directive's action), that place is kept."""
  if config.info:
    return config
  # The frames, oldest first: the helper's caller, the helper, this function.
  caller = traceback.extract_stack(limit=3)[0]
  return deferred_config(config, ActionInfo(caller.filename, caller.lineno, caller.name, caller.line or ""))


def resource_type_named(config, type_name: str, directive: str):
  """The registered resource type ``type_name``, for directives that extend one (read when their
  action runs, after every ``add_resource_type``); an unknown name is a configuration error."""
  types = app_state(config.registry).resource_types
  if type_name not in types:
    known = ", ".join(sorted(types)) or "none"
    raise ConfigurationError(f"{directive}: no resource type {type_name!r} (registered: {known})")
  return types[type_name]


def includeme(config):
  claims_of(config.registry)
