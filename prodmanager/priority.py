"""Writes before page renders within one process (docs/performance.md, "Writes first").

The threads of a process share one core (the GIL): while two renders run, a write that needs 10 ms
of CPU gets a third of it and answers after 40 ms or more — and under load right after a write,
renders are what every process is doing. A thread serving a write marks it urgent (:func:`urgent`,
the cache tween does it for every method but GET, HEAD and OPTIONS); the render of a cacheable
answer (:func:`giving_way`, the cache tween's renders) gives way at its checkpoints while one is
running: before each SQL statement and each derived value or fragment it asks for
(:func:`give_way`). It waits there until no write runs, for at most :data:`GIVE_WAY_BUDGET` seconds
per render in all: a long write (an import) delays a page by that much at most, and the write never
waits for a render (renders only read; writers and readers do not block each other on PostgreSQL
nor on SQLite in WAL mode).
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Seconds a render may spend giving way to writes, in all.
GIVE_WAY_BUDGET = 0.1

_condition = threading.Condition()
_urgent = 0  # threads of this process serving a write
# What the render on this thread may still spend giving way (None: this thread does not give way).
_budget: ContextVar[float | None] = ContextVar("prodmanager_priority_budget", default=None)


@contextmanager
def urgent() -> Iterator[None]:
  """Mark the work of the block (a write) urgent: renders give way to it until it ends."""
  global _urgent
  with _condition:
    _urgent += 1
  try:
    yield
  finally:
    with _condition:
      _urgent -= 1
      if not _urgent:
        _condition.notify_all()


@contextmanager
def giving_way(budget: float = GIVE_WAY_BUDGET) -> Iterator[None]:
  """The block (a render) gives way to urgent work at its checkpoints, ``budget`` seconds at most."""
  token = _budget.set(budget)
  try:
    yield
  finally:
    _budget.reset(token)


def give_way() -> None:
  """A checkpoint: inside :func:`giving_way` while urgent work runs, wait until it ends (or the
  budget is spent). Anywhere else, nothing."""
  if not _urgent:
    return
  budget = _budget.get()
  if not budget:
    return
  started = time.monotonic()
  with _condition:
    _condition.wait_for(lambda: not _urgent, budget)
  _budget.set(max(0.0, budget - (time.monotonic() - started)))


def urgent_now() -> int:
  """How many threads of this process are doing urgent work."""
  return _urgent


def gives_way() -> bool:
  """Whether the work on this thread gives way to urgent work (inside :func:`giving_way`, budget left)."""
  return bool(_budget.get())
