"""Badge tones: the colour of each value a plugin shows as a badge, declared by that plugin.

The stylesheet (``static/css/app.css``) defines the tones, hue variables that every coloured
component reads; which badge takes which tone is data of the plugin that owns the values::

  config.add_badge_tones("runbook_state", {"fresh": "green", "stale": "orange"})

colours ``badge('runbook_state', value)`` (the ``badge-runbook_state-<value>`` class); the value
``""`` names the bare class (``add_badge_tones("overdue", {"": "orange"})`` colours ``badge-overdue``).
Values left out stay grey. The core serves the rules of the enabled plugins as one stylesheet,
``/tones.css``, linked by the layout after ``app.css``: a disabled plugin leaves no rule behind.
"""

import re

from pyramid.exceptions import ConfigurationError
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from .actions import register
from .resources import Root
from .state import app_state

TONES = ("purple", "red", "orange", "yellow", "blue", "green")  # grey is everyone's default
NAME = re.compile(r"^[a-z0-9_-]*$")


def add_badge_tones(config, kind: str, tones: dict[str, str]) -> None:
  """Colour the badges of ``kind``: ``tones`` maps each value to one of :data:`TONES`."""
  wrong = {value: tone for value, tone in tones.items() if tone not in TONES or not NAME.match(value)}
  if not kind or not NAME.match(kind) or wrong:
    raise ConfigurationError(
      f"add_badge_tones {kind!r}: values are [a-z0-9_-] and tones one of {', '.join(TONES)} (got {wrong})"
    )

  declared = dict(tones)
  register(
    config,
    ("prodmanager.badge_tones", kind),
    lambda: app_state(config.registry).badge_tones.__setitem__(kind, declared),
    what="badge tones",
    title=kind,
    tones=declared,
  )


def tones_css(declared: dict[str, dict[str, str]]) -> str:
  """The CSS rules of the declared tones, one rule per tone, in a stable order."""
  selectors = {tone: [] for tone in TONES}
  for kind in sorted(declared):
    for value, tone in declared[kind].items():
      selectors[tone].append(f".badge-{kind}-{value}" if value else f".badge-{kind}")
  rules = []
  for tone, names in selectors.items():
    if names:
      variables = " ".join(f"--tone-{part}: var(--{tone}-{part});" for part in ("bg", "fg", "bd", "dot"))
      rules.append(f"{', '.join(names)} {{ {variables} }}")
  return "\n".join(rules) + "\n"


def tones_view(request):
  return Response(
    tones_css(app_state(request.registry).badge_tones), content_type="text/css", charset="utf-8"
  )


def includeme(config):
  app_state(config.registry).badge_tones = {}
  config.add_directive("add_badge_tones", add_badge_tones)
  config.add_view(
    tones_view,
    context=Root,
    name="tones.css",
    request_method=("GET", "HEAD"),
    permission=NO_PERMISSION_REQUIRED,
  )
