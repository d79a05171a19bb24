"""The overall status of the page, a scope, a service or a (scope, service) pair (docs/user-guide.md#the-status-banner).

Several plugins know part of the answer (status lights, ongoing problems, planned work in progress).
Each registers a contributor with ``config.add_status_contributor(func, name="lights")``;
``func(request, scope=None, service=None)`` returns the levels it sees (a set of ``ok``,
``warning``, ``alert`` and the "under maintenance" level ``UNDER_WORK``) in one query or two. The
roll-up is the worst of ok < warning < alert; "under maintenance" is shown only when nothing is
worse than ok, so planned work never hides an outage.

A contributor may also answer for every (scope, service) pair at once: ``pairs(request)`` returns
``{(scope_id, service_id): {Level, ...}}`` for the pairs it sees anything on, in a fixed number of
queries whatever the number of pairs (:func:`pair_levels` merges them); when it also takes
``scopes=None, services=None`` (collections of ids) it reads the pairs of those only. A :class:`Level` is finer
than a level word: ``partial`` says only part of what the contributor watches on the pair is at that
level (some monitors in alert, not all), and ``detail`` carries the contributor's own word for the
cause (an incident's severity), for consumers that know that plugin's vocabulary (``add_status_contributor``
in docs/directives.md).

A contributor that names the ``tables`` it reads has its answers kept while none of them is written
(:func:`prodmanager.derived.derived`): after an incident is created, the monitors' levels of the
dashboard, the summary and the badges are not read again.
"""

import inspect
import operator
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from pyramid.renderers import render

from .actions import callable_name, register
from .derived import derived
from .state import app_state, made_on_first_use

SEVERITY = ("ok", "warning", "alert")
# The level of planned work in progress; its public value (badges, banner, JSON) is "maintenance",
# a word of the status vocabulary (docs/user-guide.md#the-status-banner), whichever plugin contributes it.
UNDER_WORK = "maintenance"
LEVELS = (*SEVERITY, UNDER_WORK)
# The banner's word when no contributor sees anything (no monitor, no incident, no work).
NOTHING_OBSERVED = "none"


def roll_up(levels: set[str]) -> str:
  """``alert`` > ``warning`` > under maintenance > ``ok``."""
  for level in ("alert", "warning"):
    if level in levels:
      return level
  return UNDER_WORK if UNDER_WORK in levels else "ok"


@dataclass(frozen=True)
class Level:
  """One level a contributor sees on a (scope, service) pair (the batched answer)."""

  level: str  # one of LEVELS
  partial: bool = False  # only part of what the contributor watches on the pair is at this level
  detail: str = ""  # the contributor's own word for the cause; the core never reads it

  def __post_init__(self):
    if self.level not in LEVELS:
      raise ValueError(f"unknown status level {self.level!r}: expected one of {', '.join(LEVELS)}")


Pair = tuple[int, int]


@dataclass(frozen=True)
class StatusContributor:
  name: str
  contributor: Callable[..., set[str]]
  pairs: Callable[..., dict[Pair, set[Level]]] | None = None


class StatusContributors:
  """The sources of the overall status, in registration order."""

  def __init__(self):
    self.entries: list[StatusContributor] = []

  def add(self, entry: StatusContributor) -> None:
    self.entries.append(entry)

  def __iter__(self) -> Iterator[StatusContributor]:
    return iter(self.entries)

  def __len__(self) -> int:
    return len(self.entries)


def observed_levels(request, scope=None, service=None) -> set[str]:
  """Every level the contributors see (empty: nothing is watched and nothing is happening)."""
  levels: set[str] = set()
  for entry in app_state(request.registry).status_contributors:
    levels |= set(entry.contributor(request, scope=scope, service=service))
  return levels


def overall_status(request, scope=None, service=None) -> str:
  return roll_up(observed_levels(request, scope, service))


def restricts(pairs: Callable) -> bool:
  """Whether a ``pairs`` callable takes the ``scopes``/``services`` restriction (computed once each)."""
  known = _RESTRICTING.get(pairs)
  if known is None:
    try:
      parameters = inspect.signature(pairs).parameters
    except (TypeError, ValueError):
      parameters = {}
    known = _RESTRICTING[pairs] = "scopes" in parameters and "services" in parameters
  return known


_RESTRICTING: dict[Callable, bool] = {}


class PairLevels(dict):
  """:func:`pair_levels`'s answer: each pair's levels (frozen sets), and its :func:`levels_key`
  once asked for. Shared by the renders that get it: read it, never change it."""

  key: frozenset | None = None


# Merged answers kept per application, by restriction, beside the contributors' answers they were
# merged from: while every contributor hands back the very same (kept) object, the merge of 1,000
# pairs (5 ms on medium data, three times per dashboard) is not done again.
_MERGED_MAX = 256


def pair_levels(
  request, scopes: Collection[int] | None = None, services: Collection[int] | None = None
) -> PairLevels:
  """The levels of every (scope, service) pair, from the contributors that answer for pairs
  (one batched call each: a fixed number of queries whatever the number of pairs).

  ``scopes`` and ``services`` (ids), when given, keep the pairs of those scopes and services only:
  a scope's page needs its own pairs, not every pair of the site. A contributor whose ``pairs``
  takes them reads those pairs only; the others' answers are filtered here. The answer is shared:
  read it, never change it.
  """
  # (answer, whether it holds the restriction's pairs only), for each contributor answering for pairs.
  found: list[tuple[dict, bool]] = []
  unrestricted = scopes is None and services is None
  for entry in app_state(request.registry).status_contributors:
    if entry.pairs is None:
      continue
    if restricts(entry.pairs):
      found.append((entry.pairs(request, scopes=scopes, services=services), True))
    else:
      found.append((entry.pairs(request), unrestricted))
  answers = [answer for answer, _only in found]
  restriction = (
    None if scopes is None else frozenset(scopes),
    None if services is None else frozenset(services),
  )
  merged_before = made_on_first_use(request.registry, "merged_pair_levels", dict)
  before = merged_before.get(restriction)
  if before is not None and len(before[0]) == len(answers) and all(map(operator.is_, before[0], answers)):
    return before[1]
  result = merge_pair_levels(found, *restriction)
  if len(merged_before) >= _MERGED_MAX:
    merged_before.clear()
  merged_before[restriction] = (tuple(answers), result)
  return result


class FrozenPairs(dict):
  """A contributor's kept answer (:func:`kept_pairs`): each pair's levels a frozen set."""


def merge_pair_levels(answers: list[tuple[dict, bool]], scope_ids=None, service_ids=None) -> PairLevels:
  """The union of the contributors' levels, pair by pair, on the pairs of ``scope_ids`` and
  ``service_ids`` (None: all). ``answers`` are (answer, whether it holds those pairs only).

  The largest answer (the status lights: every monitored pair) is copied in one piece when it is a
  kept one (:class:`FrozenPairs`) of those pairs only, and the others (the pairs with an ongoing
  incident or work) are added to it: after an incident is created, only those are gone through.
  """

  def kept(pair) -> bool:
    return (scope_ids is None or pair[0] in scope_ids) and (service_ids is None or pair[1] in service_ids)

  ordered = sorted(answers, key=lambda answer: len(answer[0]), reverse=True)
  result = PairLevels()
  if ordered and type(ordered[0][0]) is FrozenPairs and ordered[0][1]:
    result.update(ordered.pop(0)[0])
  for answer, _only in ordered:
    for pair, levels in answer.items():
      if kept(pair):
        before = result.get(pair)
        result[pair] = frozenset(levels) if before is None else before.union(levels)
  return result


def levels_key(levels: dict) -> frozenset:
  """:func:`pair_levels`'s answer as a hashable value: what is built from it alone can be kept by it
  (:func:`prodmanager.derived.derived`), and an incident created where one of the same severity
  is ongoing (the levels unchanged) builds nothing again. Made once per :class:`PairLevels`."""
  key = getattr(levels, "key", None)
  if key is None:
    if isinstance(levels, PairLevels):
      # Its sets are frozen already (merge_pair_levels): its items are the key as they are.
      key = levels.key = frozenset(levels.items())
    else:
      key = frozenset((pair, frozenset(found)) for pair, found in levels.items())
  return key


def restrict_pairs(statement, scope_column, service_column, scopes=None, services=None):
  """``statement`` restricted to the ``scopes`` and ``services`` of :func:`pair_levels` (None: all)."""
  if scopes is not None:
    statement = statement.where(scope_column.in_(list(scopes)))
  if services is not None:
    statement = statement.where(service_column.in_(list(services)))
  return statement


def banner_panel(request, scope=None, service=None) -> str:
  """The status banner, first on the dashboard and on scope/service pages. With nothing watched
  (no monitor) and nothing happening it says so, rather than "All systems operational"."""
  levels = observed_levels(request, scope, service)
  return render(
    "prodmanager:templates/panels/banner.jinja2",
    {"status": roll_up(levels) if levels else NOTHING_OBSERVED, "scope": scope, "service": service},
    request=request,
  )


def kept_levels(name: str, tables: tuple, contributor: Callable) -> Callable:
  """``contributor``'s answers kept while ``tables`` are not written (see the module docstring)."""

  def kept(request, scope=None, service=None):
    return derived(
      request,
      f"status:{name}",
      tables,
      lambda: frozenset(contributor(request, scope=scope, service=service)),
      getattr(scope, "id", None),
      getattr(service, "id", None),
    )

  return kept


def kept_pairs(name: str, tables: tuple, pairs: Callable) -> Callable:
  """``pairs``'s answers kept while ``tables`` are not written, with its restriction if it takes one."""

  def frozen(request, found: dict, restriction: tuple) -> FrozenPairs:
    answer = FrozenPairs((pair, frozenset(levels)) for pair, levels in found.items())
    # The same levels as the answer before (an incident created where one of the same severity is
    # ongoing): that very object, so that pair_levels's merge and the keys made of it still hold.
    last = made_on_first_use(request.registry, "last_pair_answers", dict)
    before = last.get((name, restriction))
    if before is not None and before == answer:
      return before
    if len(last) >= _MERGED_MAX:
      last.clear()
    last[(name, restriction)] = answer
    return answer

  if restricts(pairs):

    def kept(request, scopes=None, services=None):
      restriction = (
        None if scopes is None else frozenset(scopes),
        None if services is None else frozenset(services),
      )
      return derived(
        request,
        f"status-pairs:{name}",
        tables,
        lambda: frozen(request, pairs(request, scopes=scopes, services=services), restriction),
        *restriction,
      )

    return kept
  return lambda request: derived(
    request, f"status-pairs:{name}", tables, lambda: frozen(request, pairs(request), (None, None))
  )


def add_status_contributor(
  config, contributor: Callable, name: str = "", pairs: Callable | None = None, tables=()
) -> None:
  """Add a source of the overall status (see the module docstring).

  ``name`` (default: the callable's dotted name) identifies it: registering the same name twice
  is a configuration conflict. ``pairs(request)``, optional, answers for every (scope, service)
  pair at once with :class:`Level` sets (read through :func:`pair_levels`). ``tables``, optional,
  are the tables (mapped classes or names) that both read: their answers are kept while none of
  them is written; a contributor that also reads the clock or anything else must not name them.
  """
  name = name or callable_name(contributor)
  if tables:
    entry = StatusContributor(
      name, kept_levels(name, tuple(tables), contributor), pairs and kept_pairs(name, tuple(tables), pairs)
    )
  else:
    entry = StatusContributor(name, contributor, pairs)
  register(
    config,
    ("prodmanager.status_contributor", entry.name),
    lambda: app_state(config.registry).status_contributors.add(entry),
    what="status contributors",
    title=entry.name,
    contributor=contributor,
    pairs=pairs,
  )


def includeme(config):
  app_state(config.registry).status_contributors = StatusContributors()
  config.add_directive("add_status_contributor", add_status_contributor)
  config.add_dashboard_panel("banner", banner_panel, order=0)
