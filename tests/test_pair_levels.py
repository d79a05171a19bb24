"""``pair_levels`` restricted to some scopes or services (a scope's page, a list of incidents): a
contributor whose ``pairs`` takes the restriction reads those pairs only, the others' answers are
filtered (``add_status_contributor`` in docs/directives.md)."""

from types import SimpleNamespace

from prodmanager.state import app_state
from prodmanager.status import Level, StatusContributor, StatusContributors, pair_levels

EVERY_PAIR = {(1, 1): {Level("alert")}, (1, 2): {Level("warning")}, (2, 1): {Level("ok")}}


def request_with(*pairs_callables):
  registry = {}
  contributors = StatusContributors()
  for number, pairs in enumerate(pairs_callables):
    contributors.add(StatusContributor(f"c{number}", lambda request, **kw: set(), pairs))
  app_state(registry).status_contributors = contributors
  return SimpleNamespace(registry=registry)


def test_a_contributor_without_the_restriction_is_filtered():
  request = request_with(lambda request: EVERY_PAIR)
  assert pair_levels(request) == EVERY_PAIR
  assert pair_levels(request, scopes={1}) == {(1, 1): {Level("alert")}, (1, 2): {Level("warning")}}
  assert pair_levels(request, services={1}) == {(1, 1): {Level("alert")}, (2, 1): {Level("ok")}}
  assert pair_levels(request, scopes={1}, services={2}) == {(1, 2): {Level("warning")}}


def test_a_contributor_taking_the_restriction_receives_it():
  asked = []

  def pairs(request, scopes=None, services=None):
    asked.append((scopes, services))
    return {pair: levels for pair, levels in EVERY_PAIR.items() if scopes is None or pair[0] in scopes}

  request = request_with(pairs, lambda request: {(2, 2): {Level("maintenance")}})
  assert pair_levels(request, scopes={2}) == {(2, 1): {Level("ok")}, (2, 2): {Level("maintenance")}}
  assert pair_levels(request) == {**EVERY_PAIR, (2, 2): {Level("maintenance")}}
  assert asked == [({2}, None), (None, None)]
