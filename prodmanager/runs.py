"""The integration runner: one run of an integration over its monitors, recorded.

:func:`run_integration` keeps the contract described in :mod:`prodmanager.integrations`:

1. It takes the integration's lock (:mod:`prodmanager.locks`) and, unless forced, claims the
   interval (:func:`claim_slot`: the start of the last run, by whichever replica, is recorded in
   ``worker_schedule``); a replica that finds either taken skips the run.
2. It reads the monitors (``Watched`` snapshots) in a short transaction, and records the run as
   started.
3. It runs the checks outside any transaction, in a thread pool, until the run timeout.
4. It writes, in one transaction with one savepoint per monitor, the statuses that changed and the
   per-monitor freshness (:class:`IntegrationCheck`), and completes the run's record.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, UTCDateTime, sqlite_writes
from .integrations import Integration, Verdict, Watched, answer_status, integration_context, utc_now
from .locks import try_lock
from .state import app_state

log = logging.getLogger(__name__)

# How many error lines a run keeps (the first ones: the rest are in the logs).
MAX_ERRORS = 10
MAX_ERROR_LENGTH = 500
# Replicas' clocks and loops drift: a run that started this much less than an interval ago (at most
# this share of the interval, and never more than SLACK_SECONDS) still counts as this interval's.
SLACK_SHARE = 0.1
SLACK_SECONDS = 5.0
# A lock held after this many seconds past the run timeout belongs to a crashed holder (Redis's TTL).
LOCK_MARGIN_SECONDS = 60


class WorkerSchedule(Base):
  """When the scheduled work ``name`` (``job:<name>``, ``integration:<name>``) last started."""

  __tablename__ = "worker_schedule"

  name: Mapped[str] = mapped_column(String(150), primary_key=True)
  last_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IntegrationRun(Base):
  """One run of an integration: when, on how many monitors, with which outcome."""

  __tablename__ = "integration_run"

  id: Mapped[int] = mapped_column(primary_key=True)
  integration: Mapped[str] = mapped_column(String(100), index=True)
  # The monitors' integration value it processed: the name, or <name>_<PM_INTEGRATION_SUFFIX>.
  matched: Mapped[str] = mapped_column(String(255))
  started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
  ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  # running, ok (every monitor answered), partial (some failed), failed (all failed), timeout.
  outcome: Mapped[str] = mapped_column(String(20), default="running")
  seen: Mapped[int] = mapped_column(Integer, default=0)
  changed: Mapped[int] = mapped_column(Integer, default=0)
  failed: Mapped[int] = mapped_column(Integer, default=0)
  skipped: Mapped[int] = mapped_column(Integer, default=0)
  errors: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of the first error lines

  @property
  def error_lines(self) -> list[str]:
    return json.loads(self.errors or "[]")

  @property
  def seconds(self) -> float | None:
    return None if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()


class IntegrationCheck(Base):
  """A monitor's freshness as its integration last saw it."""

  __tablename__ = "integration_check"

  monitor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
  integration: Mapped[str] = mapped_column(String(255), index=True)  # the matched name
  failures: Mapped[int] = mapped_column(Integer, default=0)  # failed checks in a row
  last_data_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
  checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
  last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Freshness:
  """What a monitor's page says about its integration's data (see :func:`freshness`)."""

  integration: str
  failures: int
  last_data_at: dt.datetime | None
  last_error: str | None
  stale: bool


def freshness(session: Session, settings, monitor_id: int, integration: str | None) -> Freshness | None:
  """The freshness of monitor ``monitor_id``'s data, if ``integration`` (its current value) checks
  it; ``stale`` once it failed ``PM_INTEGRATION_STALE_AFTER`` times in a row."""
  if not integration:
    return None
  return freshness_of(settings, integration, session.get(IntegrationCheck, monitor_id))


def freshness_of(settings, integration: str | None, row: IntegrationCheck | None) -> Freshness | None:
  """The freshness that ``row`` (a monitor's check record, or None) gives a monitor whose
  integration value is ``integration``: None when that integration does not check it."""
  if not integration or row is None or row.integration != integration:
    return None
  stale = row.failures >= settings["prodmanager.integration_stale_after"]
  return Freshness(row.integration, row.failures, row.last_data_at, row.last_error, stale)


def freshness_many(session: Session, settings, monitors) -> dict[int, Freshness]:
  """:func:`freshness` of many monitors (objects with ``id`` and ``integration``) in one query:
  the API lists use it, so that a page of monitors costs the same queries whatever its length."""
  monitors = list(monitors)
  if not monitors:
    return {}
  # One query for any page of monitors, also when none of them has an integration: the count of
  # queries of a list does not depend on its rows.
  wanted = {monitor.id: monitor.integration for monitor in monitors if monitor.integration}
  rows = session.scalars(select(IntegrationCheck).where(IntegrationCheck.monitor_id.in_(sorted(wanted))))
  found = {}
  for row in rows:
    fresh = freshness_of(settings, wanted[row.monitor_id], row)
    if fresh is not None:
      found[row.monitor_id] = fresh
  return found


@contextmanager
def write_session(registry) -> Iterator[Session]:
  """A session in a transaction committed when the block ends; on SQLite it takes the write lock
  when it begins (see prodmanager.db.sqlite_writes)."""
  token = sqlite_writes.set(True)
  session = app_state(registry).db_session_factory()
  try:
    with session.begin():
      yield session
  finally:
    session.close()
    sqlite_writes.reset(token)


def slack(interval: float) -> float:
  return min(SLACK_SECONDS, interval * SLACK_SHARE)


def claim_slot(
  registry, key: str, interval: float, *, force: bool = False
) -> tuple[bool, dt.datetime | None]:
  """Claim this interval of the scheduled work ``key`` (call it holding its lock): ``(True, now)``
  when its last start is at least ``interval`` ago (or ``force``), ``(False, last start)`` otherwise."""
  now = utc_now()
  with write_session(registry) as session:
    row = session.get(WorkerSchedule, key)
    if row is not None and not force and interval > 0:
      elapsed = (now - row.last_started_at).total_seconds()
      if 0 <= elapsed < interval - slack(interval):
        return False, row.last_started_at
    if row is None:
      session.add(WorkerSchedule(name=key, last_started_at=now))
    else:
      row.last_started_at = now
  return True, now


@dataclass
class RunOutcome:
  """What :func:`run_integration` did: ``run_id`` is None when the run was skipped (``reason``)."""

  integration: str
  run_id: int | None = None
  outcome: str = "skipped"
  reason: str = ""
  seen: int = 0
  changed: int = 0
  failed: int = 0
  skipped: int = 0
  errors: list[str] = field(default_factory=list)
  last_started_at: dt.datetime | None = None

  @property
  def ran(self) -> bool:
    return self.run_id is not None

  def summary(self) -> str:
    if not self.ran:
      return f"{self.integration}: skipped ({self.reason})"
    return (
      f"{self.integration}: {self.outcome}: {self.seen} monitor(s), {self.changed} changed, "
      f"{self.failed} failed, {self.skipped} without answer"
    )


def schedule_key(integration: Integration) -> str:
  return f"integration:{integration.name}"


def run_integration(registry, integration: Integration, *, force: bool = False) -> RunOutcome:
  """Run ``integration`` once if no replica is running it and (unless ``force``) it did not start
  less than its interval ago; see the module's docstring."""
  settings = registry.settings
  timeout = settings["prodmanager.integration_run_timeout"]
  key = schedule_key(integration)
  with try_lock(registry, key, timeout + LOCK_MARGIN_SECONDS) as held:
    if not held:
      return RunOutcome(integration.name, reason="running in another process")
    claimed, last = claim_slot(registry, key, integration.interval(settings), force=force)
    if not claimed:
      ago = (utc_now() - last).total_seconds()
      return RunOutcome(
        integration.name,
        reason=f"started {ago:.0f} s ago, interval {integration.interval(settings)} s",
        last_started_at=last,
      )
    return _run(registry, integration, timeout, last)


def _run(registry, integration: Integration, timeout: float, started: dt.datetime) -> RunOutcome:
  state = app_state(registry)
  target = state.integrations.target
  context = integration_context(registry, integration)
  outcome = RunOutcome(integration.name, last_started_at=started)
  with write_session(registry) as session:
    watched = target.watched(session, context.matched) if target is not None else []
    run = IntegrationRun(
      integration=integration.name, matched=context.matched, started_at=started, seen=len(watched)
    )
    session.add(run)
    session.flush()
    outcome.run_id = run.id
  outcome.seen = len(watched)
  log.info(
    "integration %s: run %d on %d monitor(s) (%s)", integration.name, run.id, len(watched), context.matched
  )
  try:
    record_results(registry, integration, target, context, watched, timeout, outcome)
  except Exception as error:
    # The database failed while writing (the checks' own failures never get here): the run's record
    # must not stay "running".
    log.exception("integration %s: run %d could not be recorded", integration.name, outcome.run_id)
    outcome.outcome = "failed"
    with write_session(registry) as session:
      run = session.get(IntegrationRun, outcome.run_id)
      if run is not None:
        run.ended_at, run.outcome = utc_now(), "failed"
        run.errors = json.dumps(
          [f"the results could not be written: {describe_error(error)}"[:MAX_ERROR_LENGTH]]
        )
    raise
  log.info("integration %s: run %d %s", integration.name, outcome.run_id, outcome.summary())
  return outcome


def record_results(registry, integration, target, context, watched, timeout, outcome: RunOutcome) -> None:
  """Collect the answers (outside any transaction), then write them and complete the run's record."""
  answers = collect_answers(registry, integration, context, watched, timeout) if watched else {}
  timed_out = any(isinstance(answer, RunTimeout) for answer in answers.values())
  now = utc_now()
  with write_session(registry) as session:
    for monitor in watched:
      write_answer(
        session, target, integration, context.matched, monitor, answers.get(monitor.id), now, outcome
      )
    # Monitors no longer given to this integration keep no freshness record of it.
    session.execute(
      delete(IntegrationCheck).where(
        IntegrationCheck.integration == context.matched,
        IntegrationCheck.monitor_id.not_in([monitor.id for monitor in watched] or [-1]),
      )
    )
    if timed_out:
      outcome.outcome = "timeout"
    elif outcome.failed and outcome.failed == outcome.seen:
      outcome.outcome = "failed"
    elif outcome.failed:
      outcome.outcome = "partial"
    else:
      outcome.outcome = "ok"
    run = session.get(IntegrationRun, outcome.run_id)
    run.ended_at = utc_now()
    run.outcome = outcome.outcome
    run.seen, run.changed, run.failed, run.skipped = (
      outcome.seen,
      outcome.changed,
      outcome.failed,
      outcome.skipped,
    )
    run.errors = json.dumps(outcome.errors)
    retention = dt.timedelta(days=registry.settings["prodmanager.integration_run_retention_days"])
    session.execute(delete(IntegrationRun).where(IntegrationRun.started_at < now - retention))


class RunTimeout(Exception):
  """The run timeout passed before this monitor's check answered."""


class MissingAnswer(Exception):
  """check_all's answer left this monitor out."""


def collect_answers(
  registry, integration, context, watched: list[Watched], timeout: float
) -> dict[int, object]:
  """Every monitor's answer, or the exception its check raised, within ``timeout`` seconds."""
  deadline = time.monotonic() + timeout
  answers: dict[int, object] = {}
  pool = concurrent.futures.ThreadPoolExecutor(
    max_workers=registry.settings["prodmanager.integration_concurrency"],
    thread_name_prefix=f"integration-{integration.name}",
  )
  try:
    if integration.prepare is not None:
      try:
        context = integration_context(registry, integration, integration.prepare(context))
      except Exception as error:  # noqa: BLE001 - reported for every monitor, the run is recorded
        # Usually a setting (JENKINS_URL, DD_API_KEY not set) or a refusal, repeated at every run:
        # one line, the traceback only in debug logs.
        log.warning("integration %s: prepare failed: %s: %s", integration.name, type(error).__name__, error)
        log.debug("integration %s: prepare failed", integration.name, exc_info=True)
        return {monitor.id: error for monitor in watched}
    try:
      if integration.check_all is not None:
        future = pool.submit(integration.check_all, context, list(watched))
        try:
          answered = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
          return {
            monitor.id: RunTimeout(f"no answer within the run timeout ({timeout} s)") for monitor in watched
          }
        except Exception as error:  # noqa: BLE001 - the whole batch failed: every monitor failed
          log.warning("integration %s: check_all failed: %s", integration.name, error)
          return {monitor.id: error for monitor in watched}
        answered = dict(answered or {})
        for monitor in watched:
          answers[monitor.id] = answered.get(monitor.id, MissingAnswer())
        return answers
      futures = {pool.submit(integration.check, context, monitor): monitor for monitor in watched}
      done, pending = concurrent.futures.wait(futures, timeout=max(0.0, deadline - time.monotonic()))
      for future in done:
        error = future.exception()
        answers[futures[future].id] = error if error is not None else future.result()
      for future in pending:
        future.cancel()
        answers[futures[future].id] = RunTimeout(f"no answer within the run timeout ({timeout} s)")
      return answers
    finally:
      if integration.close is not None and context.state is not None:
        try:
          integration.close(context.state)
        except Exception:  # noqa: BLE001 - closing a client must not lose the run's answers
          log.exception("integration %s: close failed", integration.name)
  finally:
    # Checks still running past the timeout finish on their own (their own timeouts bound them);
    # the run does not wait for them.
    pool.shutdown(wait=False, cancel_futures=True)


def write_answer(session, target, integration, matched, monitor: Watched, answer, now, outcome: RunOutcome):
  """Write one monitor's answer: its status if it changed, its freshness; count it in ``outcome``."""
  if isinstance(answer, MissingAnswer):
    answer = None
  error = answer if isinstance(answer, BaseException) else None
  verdict: Verdict | None = None
  if error is None:
    try:
      verdict = answer_status(answer)
    except (TypeError, ValueError) as bad:
      error = bad
  try:
    with session.begin_nested():
      check = session.get(IntegrationCheck, monitor.id)
      if check is None:
        check = IntegrationCheck(monitor_id=monitor.id, integration=matched, failures=0, checked_at=now)
        session.add(check)
      check.integration, check.checked_at = matched, now
      if error is not None:
        check.failures = (check.failures or 0) + 1
        check.last_error = describe_error(error)[:MAX_ERROR_LENGTH]
      elif verdict is not None:
        check.failures, check.last_error, check.last_data_at = 0, None, now
        if target.set_status(session, monitor.id, verdict.status, source=matched):
          outcome.changed += 1
          log.info(
            "integration %s: monitor %r (#%d) %s -> %s%s",
            integration.name,
            monitor.name,
            monitor.id,
            monitor.status,
            verdict.status,
            f" ({verdict.reason})" if verdict.reason else "",
          )
        # Compared with the snapshot first: an unchanged link costs no query.
        if verdict.link is not None and verdict.link != monitor.external_link:
          if target.set_link(session, monitor.id, verdict.link, source=matched):
            log.info(
              "integration %s: monitor %r (#%d) link -> %s",
              integration.name,
              monitor.name,
              monitor.id,
              verdict.link,
            )
  except LookupError:
    # Deleted while the checks ran: nothing to write, nothing failed.
    outcome.skipped += 1
    return
  except Exception as write_error:  # noqa: BLE001 - one monitor's write must not abort the others
    log.exception("integration %s: could not write monitor #%d", integration.name, monitor.id)
    error = write_error
  if error is not None:
    outcome.failed += 1
    line = f"{monitor.name} (#{monitor.id}): {describe_error(error)}"[:MAX_ERROR_LENGTH]
    log.warning("integration %s: %s", integration.name, line)
    if len(outcome.errors) < MAX_ERRORS:
      outcome.errors.append(line)
  elif verdict is None:
    outcome.skipped += 1


def describe_error(error: BaseException) -> str:
  text = str(error).strip()
  name = error.__class__.__name__
  return f"{name}: {text}" if text else name


def latest_runs(session: Session, limit: int = 50) -> list[IntegrationRun]:
  statement = select(IntegrationRun).order_by(IntegrationRun.started_at.desc(), IntegrationRun.id.desc())
  return list(session.scalars(statement.limit(limit)))


def last_run_by_integration(session: Session) -> dict[str, IntegrationRun]:
  """The latest completed or running run of each integration (one query)."""
  latest = (
    select(IntegrationRun.integration, func.max(IntegrationRun.id).label("id"))
    .group_by(IntegrationRun.integration)
    .subquery()
  )
  statement = select(IntegrationRun).join(latest, IntegrationRun.id == latest.c.id)
  return {run.integration: run for run in session.scalars(statement)}
