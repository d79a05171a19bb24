"""Badge tones: each plugin colours its own values (add_badge_tones), served as /tones.css."""

import re

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from prodmanager.tones import tones_css

# The colours of 0.22 (and of app.css before the plugins declared them), value by value, and the
# core's integration run outcomes (the operators' /integrations page).
EXPECTED = {
  "purple": {".badge-severity-critical"},
  "red": {
    ".badge-severity-high",
    ".badge-incident_status-active",
    ".badge-maintenance_status-failed",
    ".badge-service_status-down",
    ".badge-monitor_status-alert",
    ".badge-announcement_level-high",
    ".badge-component-alert",
    ".badge-component-partial",
    ".badge-run-failed",
    ".badge-run-timeout",
  },
  "orange": {
    ".badge-severity-moderate",
    ".badge-incident_status-investigating",
    ".badge-service_status-degraded",
    ".badge-monitor_status-warning",
    ".badge-overdue",
    ".badge-component-warning",
    ".badge-run-partial",
  },
  "yellow": {
    ".badge-severity-low",
    ".badge-incident_status-stable",
    ".badge-maintenance_status-in-progress",
    ".badge-announcement_level-medium",
  },
  "blue": {
    ".badge-severity-minor",
    ".badge-maintenance_status-scheduled",
    ".badge-announcement_level-low",
    ".badge-component-maintenance",
    ".badge-run-running",
  },
  "green": {
    ".badge-incident_status-resolved",
    ".badge-maintenance_status-succeed",
    ".badge-service_status-up",
    ".badge-monitor_status-ok",
    ".badge-announcement_state-ongoing",
    ".badge-component-ok",
    ".badge-run-ok",
  },
}


def served_tones(text: str) -> dict[str, set[str]]:
  """{tone: selectors} of a tones.css."""
  found = {}
  for selectors, tone in re.findall(r"^(.+?) \{ --tone-bg: var\(--(\w+)-bg\);", text, re.MULTILINE):
    found[tone] = set(selectors.split(", "))
  return found


def test_the_plugins_colour_their_badges_as_before(webapp):
  page = webapp.get("/")
  assert re.search(r'<link rel="stylesheet" href="http://localhost/tones.css">', page.text)
  response = webapp.get("/tones.css")
  assert response.content_type == "text/css"
  assert served_tones(response.text) == EXPECTED


def test_rules_follow_the_declarations():
  css = tones_css({"b_state": {"on": "green", "": "red"}, "a_level": {"x-1": "green"}})
  assert css == (
    ".badge-b_state { --tone-bg: var(--red-bg); --tone-fg: var(--red-fg); --tone-bd: var(--red-bd); --tone-dot: var(--red-dot); }\n"
    ".badge-a_level-x-1, .badge-b_state-on { --tone-bg: var(--green-bg); --tone-fg: var(--green-fg); "
    "--tone-bd: var(--green-bd); --tone-dot: var(--green-dot); }\n"
  )
  assert tones_css({}) == "\n"


@pytest.mark.parametrize(
  ("kind", "tones"),
  [
    ("state", {"on": "pink"}),
    ("state", {"on;}body{": "red"}),
    ("", {"on": "red"}),
    ("Bad Kind", {"on": "red"}),
  ],
)
def test_a_bad_declaration_stops_startup(kind, tones):
  config = Configurator()
  config.include("prodmanager.tones")
  with pytest.raises(ConfigurationError, match="add_badge_tones"):
    config.add_badge_tones(kind, tones)


def test_two_plugins_colouring_the_same_kind_conflict():
  config = Configurator()
  config.include("prodmanager.tones")
  config.commit()
  config.add_badge_tones("state", {"on": "red"})
  config.add_badge_tones("state", {"on": "green"})
  with pytest.raises(ConfigurationError):
    config.commit()
