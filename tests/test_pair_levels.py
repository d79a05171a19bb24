"""``pair_levels`` restricted to some scopes or services (a scope's page, a list of incidents): a
contributor whose ``pairs`` takes the restriction reads those pairs only, the others' answers are
filtered (``add_status_contributor`` in docs/directives.md)."""

from types import SimpleNamespace

from prodmanager.state import app_state
from prodmanager.status import (
  FrozenPairs,
  Level,
  StatusContributor,
  StatusContributors,
  kept_pairs,
  levels_key,
  merge_pair_levels,
  pair_levels,
)

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


def test_a_kept_answer_is_merged_with_the_others_pair_by_pair():
  lights = FrozenPairs({(1, 1): frozenset({Level("ok")}), (1, 2): frozenset({Level("alert", partial=True)})})
  incidents = {(1, 1): {Level("warning", detail="minor")}, (3, 1): [Level("alert", detail="major")]}
  merged = merge_pair_levels([(incidents, True), (lights, True)])
  assert merged == {
    (1, 1): {Level("ok"), Level("warning", detail="minor")},
    (1, 2): {Level("alert", partial=True)},
    (3, 1): {Level("alert", detail="major")},
  }
  assert all(isinstance(levels, frozenset) for levels in merged.values())
  assert merged[(1, 2)] is lights[(1, 2)]  # copied as it is, not rebuilt
  # Its key (what derived data is kept by) is that of the same levels in a plain dict of sets.
  assert levels_key(merged) == levels_key({pair: set(levels) for pair, levels in merged.items()})
  assert levels_key(merged) is levels_key(merged)  # made once
  assert lights[(1, 1)] == {Level("ok")}  # the kept answer is never changed
  # An answer that may hold other pairs than those asked for is filtered, kept or not.
  assert merge_pair_levels([(lights, False), (incidents, False)], scope_ids={3}) == {
    (3, 1): {Level("alert", detail="major")}
  }
  assert merge_pair_levels([(lights, False)], scope_ids={1}, service_ids={2}) == {
    (1, 2): {Level("alert", partial=True)}
  }
  assert merge_pair_levels([]) == {}


def test_an_answer_with_the_same_levels_is_the_answer_before():
  # An incident created where one of the same severity is ongoing: the contributor's new answer is
  # the object before, so the merge and the key made of it are not made again.
  answers = [{(1, 1): {Level("warning", detail="minor")}}]
  kept = kept_pairs("incidents", ("incident",), lambda request: answers[-1])
  request = request_with(kept)
  request.environ = {}  # no versions read: the answer is computed at every call
  first = kept(request)
  merged = pair_levels(request)
  answers.append({(1, 1): {Level("warning", detail="minor")}})
  assert kept(request) is first
  assert pair_levels(request) is merged and levels_key(pair_levels(request)) is levels_key(merged)
  answers.append({(1, 1): {Level("alert", detail="major")}})
  changed = kept(request)
  assert changed is not first and changed == {(1, 1): frozenset({Level("alert", detail="major")})}
  assert pair_levels(request) == {(1, 1): {Level("alert", detail="major")}}
