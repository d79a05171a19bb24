"""The component statuses come from the core's status contributors (``prodmanager.status.pair_levels``),
not from a roll-up of the Statuspage plugin's own: a contributor of another plugin changes them."""

from types import SimpleNamespace

import pytest

from prodmanager.state import app_state
from prodmanager.status import Level, StatusContributor, pair_levels
from prodmanager_statuspage.testing import at


@pytest.fixture
def extra_contributor(registry, monkeypatch):
  """``extra_contributor({pair: levels})``: one more batched contributor, for this test only."""

  def add(answer):
    contributors = app_state(registry).status_contributors
    entry = StatusContributor("tests.extra", lambda request, **kw: set(), lambda request: answer)
    monkeypatch.setattr(contributors, "entries", [*contributors.entries, entry])

  return add


@pytest.mark.parametrize(
  ("level", "component", "indicator"),
  [
    (Level("alert"), "major_outage", "major"),
    (Level("alert", partial=True), "partial_outage", "minor"),
    (Level("warning"), "degraded_performance", "minor"),
    (Level("maintenance"), "under_maintenance", "none"),
  ],
)
def test_another_plugins_contributor_sets_the_component_status(
  world, v2, extra_contributor, level, component, indicator
):
  world.monitor(status="ok", since=at())
  world.monitor(status="ok", scope=world.lyon, since=at())
  paris, lyon = world.paris.id, world.lyon.id
  compute = world.compute.id
  extra_contributor({(paris, compute): {level}})
  body = v2("summary.json")
  statuses = {item["id"]: item["status"] for item in body["components"]}
  assert statuses[f"scope-{paris}-service-{compute}"] == component
  assert statuses[f"scope-{paris}"] == component
  assert statuses[f"scope-{lyon}-service-{compute}"] == "operational"
  assert body["status"]["indicator"] == indicator


def test_the_first_party_contributors_answer_per_pair(world, registry, dbsession):
  """Monitors: ``partial`` unless all of the pair's monitors share the level; incidents: the
  severity as detail; maintenances: the pairs under maintenance."""
  nice = world.scope(name="Nice DC")
  world.monitor(status="ok", since=at())
  world.monitor(status="alert", since=at())
  world.monitor(status="warning", scope=world.lyon, since=at())
  world.incident(severity="high", status="investigating", scope=world.lyon, created=True)
  world.incident(severity="low", status="resolved", scope=world.lyon, created=True)  # past: no level
  world.maintenance(status="in-progress", start=at(days=-1), hours=48, scope=nice, created=True)
  paris, lyon, nice = world.paris.id, world.lyon.id, nice.id
  compute = world.compute.id
  levels = pair_levels(SimpleNamespace(registry=registry, dbsession=dbsession))
  assert levels == {
    (paris, compute): {Level("ok", partial=True), Level("alert", partial=True)},
    (lyon, compute): {Level("warning"), Level("alert", detail="high")},
    (nice, compute): {Level("maintenance")},
  }


def test_a_level_outside_the_vocabulary_is_refused():
  with pytest.raises(ValueError, match="unknown status level 'outage'"):
    Level("outage")
