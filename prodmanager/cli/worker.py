"""``prodmanager worker``: the periodic jobs (``add_job``) and scheduled integrations (``add_integration``)
of the enabled plugins, run until stopped."""

import logging
import signal
import threading

from ..jobs import JobRunner, run_worker
from ..state import app_state
from .environment import Environment

log = logging.getLogger(__package__)


def cmd_worker(args, env: Environment) -> int:
  """Run the due jobs in a loop until SIGTERM or SIGINT (``--once``: the due jobs once, exit status 1
  when one of them failed)."""
  # Imported when the command runs, like the other commands: building the application imports the whole core.
  from .. import make_config

  registry = make_config(env.ini).registry
  state = app_state(registry)
  stop = threading.Event()

  def request_stop(signum, _frame):
    log.info("worker: %s received, stopping after the current job", signal.Signals(signum).name)
    stop.set()

  previous = {number: signal.signal(number, request_stop) for number in (signal.SIGTERM, signal.SIGINT)}
  try:
    runner = JobRunner(registry)
    names = ", ".join(job.name for job in runner.jobs) or "none"
    log.info("worker: %d job(s): %s", len(runner.jobs), names)
    failures = run_worker(registry, stop, once=args.once, runner=runner)
  finally:
    for number, handler in previous.items():
      signal.signal(number, handler)
    state.db_engine.dispose()
  log.info("worker: stopped")
  return 1 if args.once and failures else 0
