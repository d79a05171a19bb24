"""Periodic jobs: ``config.add_job`` registers a callable and its interval; the worker runs them
(``prodmanager worker``, docs/directives.md), with the pull integrations (``add_integration``).

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

Replicas cooperate: a job runs under a lock shared by the replicas (:mod:`prodmanager.locks`), and
only when its last start, by whichever replica, is at least its interval ago (``worker_schedule``,
:func:`prodmanager.runs.claim_slot`). Any number of workers run each job once per interval; a worker
that finds a job started elsewhere waits for that run's next time.
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
from .integrations import Integration, utc_now
from .locks import try_lock
from .runs import claim_slot, run_integration
from .state import app_state

log = logging.getLogger(__name__)

# The longest a worker sleeps between two looks at the clock, so that it stops promptly.
MAX_SLEEP_SECONDS = 1.0
# A job locked by another replica is looked at again this soon (at most its interval): that run's
# recorded start then tells when the next one is due.
LOCKED_RETRY_SECONDS = 5.0
# How long a job's Redis lock outlives a crashed holder, at least.
MIN_LOCK_SECONDS = 600


@dataclass(frozen=True)
class Job:
  name: str
  run: Callable[[CommandContext], None]
  interval: float  # seconds
  description: str
  # Set for the jobs that run a pull integration (they lock and record their runs themselves).
  integration: Integration | None = None

  @property
  def key(self) -> str:
    """Its name in the replicas' shared lock and schedule."""
    return f"integration:{self.integration.name}" if self.integration else f"job:{self.name}"


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
  # Why it did not run here (another replica runs it or ran it in this interval), or None.
  skipped: str | None = None

  @property
  def ok(self) -> bool:
    return self.error is None


class JobRunner:
  """Runs the registered jobs and scheduled integrations that are due; ``clock`` (monotonic
  seconds) is replaceable in tests."""

  def __init__(
    self,
    registry,
    clock: Callable[[], float] = time.monotonic,
    jobs: list[Job] | None = None,
    *,
    coordinate: bool = True,
  ):
    """``jobs``: these instead of every registered job and scheduled integration; ``coordinate=False``:
    without the replicas' locks and shared schedule (one process alone, a test's fake ``clock``)."""
    self.registry = registry
    self.clock = clock
    self.coordinate = coordinate
    self.jobs = list(app_state(registry).jobs) + integration_jobs(registry) if jobs is None else list(jobs)
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
    error = skipped = None
    try:
      skipped, last = self.run_coordinated(job)
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker or the other jobs
      error = f"{exc.__class__.__name__}: {exc}"
      log.exception("job %s failed", job.name)
    else:
      if skipped is not None:
        # Due again one interval after the run that took this one's place, wherever it ran.
        wait = LOCKED_RETRY_SECONDS if last is None else job.interval - (utc_now() - last).total_seconds()
        self.next_at[job.name] = self.clock() + min(job.interval, max(MAX_SLEEP_SECONDS, wait))
        log.debug("job %s skipped: %s", job.name, skipped)
    seconds = self.clock() - started
    if error is None and skipped is None:
      log.info("job %s done in %.3f s", job.name, seconds)
    return JobRun(job.name, started, seconds, error, skipped)

  def run_coordinated(self, job: Job) -> tuple[str | None, object]:
    """Run ``job`` if no replica runs it and none started it in this interval: returns ``(None,
    start)``, or ``(why it was skipped, the other run's start or None)``."""
    if job.integration is not None:
      outcome = run_integration(self.registry, job.integration, force=not self.coordinate)
      return (None if outcome.ran else outcome.reason), outcome.last_started_at
    if not self.coordinate:
      job.run(CommandContext(self.registry))
      return None, None
    ttl = max(MIN_LOCK_SECONDS, 2 * job.interval)
    with try_lock(self.registry, job.key, ttl) as held:
      if not held:
        return "running in another process", None
      claimed, last = claim_slot(self.registry, job.key, job.interval)
      if not claimed:
        return "started in this interval by another process", last
      job.run(CommandContext(self.registry))
      return None, last

  def seconds_to_next(self) -> float | None:
    """Seconds until the next job is due (0 when one is due now), None without jobs."""
    if not self.jobs:
      return None
    return max(0.0, min(self.next_at.values()) - self.clock())


def integration_jobs(registry) -> list[Job]:
  """A job per integration whose interval is not 0 (the integration's own runner does the work)."""
  jobs = []
  for integration in getattr(app_state(registry), "integrations", ()):
    interval = integration.interval(registry.settings)
    if interval:
      description = integration.description or f"the {integration.name} integration"
      jobs.append(Job(f"integration {integration.name}", _unused, float(interval), description, integration))
  return jobs


def _unused(context):  # an integration job runs through run_integration, never through Job.run
  raise RuntimeError("integration jobs run through prodmanager.runs.run_integration")


def run_worker(
  registry, stop: threading.Event, *, once: bool = False, runner: JobRunner | None = None
) -> int:
  """Run due jobs until ``stop`` is set (``once``: run the due jobs once and return).

  Returns how many job runs failed; ``prodmanager worker`` calls it.
  """
  runner = runner or JobRunner(registry)
  failures = 0
  while not stop.is_set():
    failures += sum(1 for outcome in runner.run_due() if not outcome.ok)
    if once:
      break
    wait = runner.seconds_to_next()
    stop.wait(MAX_SLEEP_SECONDS if wait is None else min(wait, MAX_SLEEP_SECONDS))
  return failures


def serve_runs_worker(settings) -> bool:
  """Whether ``prodmanager serve`` runs the worker in a thread: ``PM_SERVE_WORKER``, or when unset,
  in standalone (single-container) mode."""
  chosen = settings["prodmanager.serve_worker"]
  return settings["prodmanager.standalone"] if chosen is None else chosen


def start_background_worker(registry) -> tuple[threading.Thread, threading.Event]:
  """Start the worker (jobs and integrations) in a daemon thread of this process; set the returned
  event to stop it. ``prodmanager serve`` calls this once, in the process that serves, when
  :func:`serve_runs_worker`; a server running several processes must call it in one of them only
  (the locks would keep the others from doing the work twice, but not from trying)."""
  stop = threading.Event()

  def work():
    log.info("worker thread: started")
    try:
      run_worker(registry, stop)
    except Exception:  # noqa: BLE001 - logged: the server goes on serving without its worker
      log.exception("worker thread: stopped by an error")
    else:
      log.info("worker thread: stopped")

  thread = threading.Thread(target=work, name="prodmanager-worker", daemon=True)
  thread.start()
  return thread, stop


def includeme(config):
  app_state(config.registry).jobs = Jobs()
  config.add_directive("add_job", add_job)
