"""``prodmanager integrations``: run the pull integrations (``add_integration``) from the command line.

``prodmanager integrations run [NAME...]`` runs the named integrations (all of them when none is
named) once, each under the replicas' lock and only if it did not start less than its interval ago
(``--force``: whatever the last start); ``--loop`` keeps running them at their intervals until
SIGTERM or SIGINT, like the worker does. ``prodmanager integrations list`` shows them.
"""

import logging
import signal
import sys
import threading

from ..jobs import JobRunner, integration_jobs, run_worker
from ..runs import last_run_by_integration, run_integration
from ..state import app_state
from .environment import Environment

log = logging.getLogger(__package__)

FAILED_OUTCOMES = frozenset({"failed", "timeout"})


def add_integration_commands(commands, common) -> None:
  parser = commands.add_parser(
    "integrations",
    parents=[common],
    help="run or list the pull integrations",
    description="Run the pull integrations of the enabled plugins (http, dns...), or list them.",
  )
  actions = parser.add_subparsers(dest="integrations_command", required=True, metavar="ACTION")
  run = actions.add_parser(
    "run",
    parents=[common],
    help="run integrations once (or --loop), each under the replicas' lock",
    description="Run the named integrations (all when none is named) once: a replica already "
    "running one, or one that started less than its interval ago, is left alone (--force: run anyway). "
    "Exit status 1 when a run failed for every monitor or timed out.",
  )
  run.add_argument("names", nargs="*", metavar="NAME", help="integration names (default: all)")
  run.add_argument("--loop", action="store_true", help="keep running them at their intervals until stopped")
  run.add_argument("--force", action="store_true", help="run even if one started less than its interval ago")
  run.set_defaults(handler=cmd_integrations_run)
  actions.add_parser("list", parents=[common], help="list the integrations and their last run").set_defaults(
    handler=cmd_integrations_list
  )


def chosen(state, names: list[str]):
  """The integrations named (all when none is), or a SystemExit naming the unknown ones."""
  integrations = state.integrations
  unknown = [name for name in names if name not in integrations]
  if unknown:
    known = (
      ", ".join(integration.name for integration in integrations) or "none (no integration plugin enabled)"
    )
    print(f"error: no integration {', '.join(map(repr, unknown))} (known: {known})", file=sys.stderr)
    raise SystemExit(2)
  return [integrations[name] for name in names] if names else list(integrations)


def cmd_integrations_run(args, env: Environment) -> int:
  # Imported when the command runs, like the other commands: building the application imports the whole core.
  from .. import make_config

  registry = make_config(env.ini).registry
  state = app_state(registry)
  try:
    selected = chosen(state, args.names)
    if args.loop:
      return loop(registry, selected)
    failed = 0
    for integration in selected:
      outcome = run_integration(registry, integration, force=args.force)
      print(outcome.summary())
      for line in outcome.errors:
        print(f"  {line}")
      failed += outcome.outcome in FAILED_OUTCOMES
    return 1 if failed else 0
  finally:
    state.db_engine.dispose()


def loop(registry, selected) -> int:
  names = {integration.name for integration in selected}
  jobs = [job for job in integration_jobs(registry) if job.integration.name in names]
  unscheduled = sorted(names - {job.integration.name for job in jobs})
  if unscheduled:
    print(
      f"error: {', '.join(unscheduled)}: interval 0 (not scheduled); set PM_<NAME>_INTERVAL to loop",
      file=sys.stderr,
    )
    return 2
  stop = threading.Event()

  def request_stop(signum, _frame):
    log.info("integrations: %s received, stopping after the current run", signal.Signals(signum).name)
    stop.set()

  previous = {number: signal.signal(number, request_stop) for number in (signal.SIGTERM, signal.SIGINT)}
  try:
    run_worker(registry, stop, runner=JobRunner(registry, jobs=jobs))
  finally:
    for number, handler in previous.items():
      signal.signal(number, handler)
  return 0


def cmd_integrations_list(args, env: Environment) -> int:
  # Imported when the command runs: building the application imports the whole core.
  from .. import make_config

  registry = make_config(env.ini).registry
  state = app_state(registry)
  try:
    with state.db_session_factory() as session:
      last = last_run_by_integration(session)
    for integration in state.integrations:
      interval = integration.interval(registry.settings)
      run = last.get(integration.name)
      when = f"last run {run.started_at:%Y-%m-%d %H:%M:%S} UTC: {run.outcome}" if run else "never run"
      every = f"every {interval} s" if interval else "not scheduled"
      print(f"{integration.name}  monitors '{integration.matched_name(registry.settings)}'  {every}  {when}")
    if not len(state.integrations):
      print("no integration (install and enable an integration plugin, such as http or dns)")
    return 0
  finally:
    state.db_engine.dispose()
