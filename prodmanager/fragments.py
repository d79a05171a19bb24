"""Rendered fragments kept by what they are made of (docs/performance.md, "Fragments").

A write replaces the content version of the response cache (:mod:`prodmanager.cache`), and every
page is rendered again for the next reader. Most of a long page did not change with that write: the
summary of 1,000 components lists them all and an incident changes the status of one. :func:`fragment` keeps a
rendered piece under a key made of everything it shows (the values, not ids of the rows), so the next
render reuses the pieces whose values are the same and renders only the others. A key names content,
never a version: a fragment is never stale, it is only not used again once its values changed, and
the least recently used go beyond the budget.

A fragment's render must depend on nothing but its key and the process (templates, translations,
settings): no request state (the language goes in the key), no side effect a cached copy would skip
(an icon added to the page's sprite, :func:`prodmanager.cache.changes_at`). With templates reloaded
on change (development), nothing is kept.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from .priority import give_way
from .state import made_on_first_use

# What the fragments of one process may hold (their text, counted in characters; the keys are about
# as large): the dashboard of 1,000 components is about 500 KB of fragments per language.
FRAGMENT_BUDGET = 2_000_000


class Fragments:
  """A bounded map of rendered fragments, least recently used first, shared by the threads."""

  def __init__(self, budget: int = FRAGMENT_BUDGET, enabled: bool = True):
    self.budget, self.enabled, self.used = budget, enabled, 0
    self.entries: OrderedDict[Hashable, str] = OrderedDict()
    self.lock = threading.Lock()
    self.hits = self.misses = 0

  def clear(self) -> None:
    """Forget every fragment (a test that counts renders starts from none)."""
    with self.lock:
      self.entries.clear()
      self.used = 0

  def get(self, key: Hashable, render: Callable[[], str]) -> str:
    """The fragment of ``key``: kept, or ``render()`` now (outside the lock) and kept."""
    give_way()  # a checkpoint of the render (prodmanager.priority)
    if not self.enabled:
      return render()
    with self.lock:
      text = self.entries.get(key)
      if text is not None:
        self.entries.move_to_end(key)
        self.hits += 1
        return text
      self.misses += 1
    text = render()
    if len(text) > self.budget // 4:
      return text  # one fragment must not push out all the others
    with self.lock:
      if key not in self.entries:
        self.entries[key] = text
        self.used += len(text)
        while self.used > self.budget and self.entries:
          _key, dropped = self.entries.popitem(last=False)
          self.used -= len(dropped)
    return text


def fragments(registry) -> Fragments:
  """The application's fragments (made on first use)."""
  reloading = str(registry.settings.get("pyramid.reload_templates", "")).lower() in ("true", "1", "yes", "on")
  return made_on_first_use(registry, "fragments", lambda: Fragments(enabled=not reloading))


def fragment(request, key: Hashable, render: Callable[[], str]) -> str:
  """``render()``'s text, reused while ``key`` (with the request's language) is the same.

  ``key`` must hold every value the fragment shows (see the module docstring); the language is
  added here. ``render`` returns str or Markup; Markup comes back as Markup.
  """
  return fragments(request.registry).get((request.lang, key), render)
