"""Periodic jobs: ``config.add_job`` registers a callable and its interval; the worker runs them
(``prodmanager worker``, docs/directives.md).

::

  def refresh_rollups(context):
    with context.session() as session:
      ...

  config.add_job("refresh-rollups", refresh_rollups, every=300)

A :class:`JobRunner` runs every job once when it starts, then again each time its interval has
passed since it last started (a run that lasts longer than the interval is followed at once by the
next, never overlapped: one runner runs one job at a time). ``run(context)`` receives a
:class:`~prodmanager.commands.CommandContext` (registry, settings, sessions in a transaction of
their own). A job that raises is logged with its traceback and runs again at its next time; it
never stops the worker nor the other jobs.

Each worker process runs its own schedule: run one worker per installation (the jobs of several
workers would each run at their interval).
"""

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pyramid.exceptions import ConfigurationError

from .actions import register
from .commands import CommandContext
from .state import app_state

log = logging.getLogger(__name__)

# The longest a worker sleeps between two looks at the clock, so that it stops promptly.
MAX_SLEEP_SECONDS = 1.0


@dataclass(frozen=True)
class Job:
  name: str
  run: Callable[[CommandContext], None]
  interval: float  # seconds
  description: str


class Jobs:
  """The registered jobs by name, in registration order."""

  def __init__(self):
    self.by_name: dict[str, Job] = {}

  def add(self, job: Job) -> None:
    self.by_name[job.name] = job

  def __iter__(self) -> Iterator[Job]:
    return iter(self.by_name.values())

  def __len__(self) -> int:
    return len(self.by_name)

  def __getitem__(self, name: str) -> Job:
    return self.by_name[name]


def add_job(
  config,
  name: str,
  run: Callable[[CommandContext], None],
  *,
  every: float | dt.timedelta,
  description: str = "",
) -> None:
  """Run ``run(context)`` in the worker every ``every`` (seconds, or a timedelta; at least 1 second)."""
  seconds = every.total_seconds() if isinstance(every, dt.timedelta) else float(every)
  if not seconds >= 1:
    raise ConfigurationError(f"add_job {name!r}: every={every!r}, expected at least 1 second")
  job = Job(name, run, seconds, description)
  register(
    config,
    ("prodmanager.job", name),
    lambda: app_state(config.registry).jobs.add(job),
    what="jobs",
    title=name,
    run=run,
    every=seconds,
    description=description,
  )


@dataclass(frozen=True)
class JobRun:
  """What one run of a job did: ``error`` is the exception's text when it failed."""

  name: str
  started: float
  seconds: float
  error: str | None = None

  @property
  def ok(self) -> bool:
    return self.error is None


class JobRunner:
  """Runs the registered jobs that are due; ``clock`` (monotonic seconds) is replaceable in tests."""

  def __init__(self, registry, clock: Callable[[], float] = time.monotonic):
    self.registry = registry
    self.clock = clock
    self.jobs = list(app_state(registry).jobs)
    start = clock()
    self.next_at = {job.name: start for job in self.jobs}

  def due(self) -> list[Job]:
    now = self.clock()
    return [job for job in self.jobs if self.next_at[job.name] <= now]

  def run_due(self) -> list[JobRun]:
    """Run every due job once, in registration order; returns what each run did."""
    return [self.run(job) for job in self.due()]

  def run(self, job: Job) -> JobRun:
    started = self.clock()
    self.next_at[job.name] = started + job.interval
    error = None
    try:
      job.run(CommandContext(self.registry))
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker or the other jobs
      error = f"{exc.__class__.__name__}: {exc}"
      log.exception("job %s failed", job.name)
    seconds = self.clock() - started
    if error is None:
      log.info("job %s done in %.3f s", job.name, seconds)
    return JobRun(job.name, started, seconds, error)

  def seconds_to_next(self) -> float | None:
    """Seconds until the next job is due (0 when one is due now), None without jobs."""
    if not self.jobs:
      return None
    return max(0.0, min(self.next_at.values()) - self.clock())


def run_worker(registry, stop: threading.Event, *, once: bool = False) -> int:
  """Run due jobs until ``stop`` is set (``once``: run the due jobs once and return).

  Returns how many job runs failed; ``prodmanager worker`` calls it.
  """
  runner = JobRunner(registry)
  failures = 0
  while not stop.is_set():
    failures += sum(1 for outcome in runner.run_due() if not outcome.ok)
    if once:
      break
    wait = runner.seconds_to_next()
    stop.wait(MAX_SLEEP_SECONDS if wait is None else min(wait, MAX_SLEEP_SECONDS))
  return failures


def includeme(config):
  app_state(config.registry).jobs = Jobs()
  config.add_directive("add_job", add_job)
