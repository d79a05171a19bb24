"""``prodmanager serve``: the application served by waitress (migrated first in standalone mode).

With several workers (``--workers``, ``WORKERS``; the number of CPUs by default in production, one
in development) the command binds the listening sockets, then forks one waitress process per worker
on them: the kernel hands each new connection to one of the processes, so a Python application uses
every core (one process's threads share one core, the GIL). The first process keeps supervising:
a worker that dies is started again, and stopping the command stops them all (docs/install.md).
"""

import ctypes
import ctypes.util
import gc
import logging
import os
import signal
import socket
import sys
import threading
import time

import waitress
from sqlalchemy.exc import OperationalError
from waitress.adjustments import Adjustments

from .. import main as make_app
from ..jobs import serve_runs_worker, start_background_worker
from ..legacy.detect import LegacyDatabase, explain, legacy_revisions
from ..migrate import current
from ..settings import ConfigurationError, settings_report
from ..tweens import MAX_BODY_BYTES
from .database import load_demo, migrate_database
from .dispatcher import ReservingDispatcher
from .environment import Environment

log = logging.getLogger(__package__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_THREADS = 8
# A worker that fails (exits with an error of its own) within this many seconds of its start is
# failing, not crashing once: the command stops instead of starting it again and again. A worker
# killed by a signal (the OOM killer, an operator's kill) is started again however young it was.
EARLY_EXIT_SECONDS = 10

# glibc's mallopt parameter: how many malloc arenas the process's threads share (M_ARENA_MAX).
M_ARENA_MAX = -8
# Two arenas for the 8 threads of a worker: glibc's default (8 per CPU) let each thread keep its own
# arena of freed fragments after a burst of renders (+15 MB per worker, measured; docs/performance.md).
MALLOC_ARENAS = 2

# glibc's mallopt parameter: the size from which an allocation gets pages of its own (mmap),
# handed back to the system when it is freed (M_MMAP_THRESHOLD).
M_MMAP_THRESHOLD = -3
# glibc's default (128 KiB) grows to the largest block freed so far (up to 32 MB): after a few large
# renders (a summary, a long list: bodies and strings of hundreds of KB) those blocks went to the
# heap, where their holes stayed in the worker's RSS. A fixed threshold keeps them apart (-3 to -6 MB
# per worker after the mixed run, measured; docs/performance.md). ``MALLOC_MMAP_THRESHOLD_`` wins.
MMAP_THRESHOLD = 128 * 1024

# Every this many seconds a web process hands the memory its renders freed back to the system
# (glibc's malloc_trim): freed pages inside the heap otherwise stay in its RSS after a burst.
TRIM_INTERVAL = 30

# The index of this process among the workers (0 when there is a single process). Only worker 0
# runs what must run once per ``serve`` command (the background worker thread of standalone mode).
worker_index = 0


def is_primary_worker() -> bool:
  """Whether this process is the first (or only) worker of ``prodmanager serve``."""
  return worker_index == 0


def limit_malloc_arenas() -> bool:
  """Have the threads share MALLOC_ARENAS malloc arenas (glibc only; ``MALLOC_ARENA_MAX`` wins),
  and fix the mmap threshold at MMAP_THRESHOLD (``MALLOC_MMAP_THRESHOLD_`` wins).

  Called before any thread starts; forked workers inherit it. Returns whether the arenas were limited.
  """
  try:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mallopt = libc.mallopt
  except (OSError, AttributeError):  # not glibc (musl, macOS): their allocators differ
    return False
  if not os.environ.get("MALLOC_MMAP_THRESHOLD_"):
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
  if os.environ.get("MALLOC_ARENA_MAX"):
    return False
  return bool(mallopt(M_ARENA_MAX, MALLOC_ARENAS))


def start_memory_trimmer(interval: float = TRIM_INTERVAL) -> threading.Thread | None:
  """A daemon thread calling glibc's ``malloc_trim(0)`` every ``interval`` seconds (glibc only).

  A burst of large renders (a Statuspage summary, a long list) leaves freed fragments in the malloc
  arenas that glibc keeps mapped; trimming returns their whole pages to the system, so a worker's
  RSS falls back after the burst (docs/performance.md, "Memory"). The call costs a few milliseconds
  and releases the GIL (ctypes). Returns the thread, or None where there is no malloc_trim.
  """
  try:
    trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
  except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to call
    return None
  trim.argtypes = [ctypes.c_size_t]

  def loop():
    while True:
      time.sleep(interval)
      trim(0)

  thread = threading.Thread(target=loop, name="malloc-trim", daemon=True)
  thread.start()
  return thread


def quiet_queue_warnings() -> None:
  """waitress warns of every request that waits for a thread ("Task queue depth is 3"), from its
  I/O loop: under load that is every request, and the line costs more than a cached answer. An
  INI that sets the ``waitress.queue`` logger's level keeps its own choice."""
  queue = logging.getLogger("waitress.queue")
  if queue.level == logging.NOTSET:
    queue.setLevel(logging.ERROR)


def listen_address(args, server: dict[str, str]) -> dict:
  """Where waitress listens: options, then HOST (or SERVER, 0.22's image's name for it)/PORT, then
  the INI's ``[server:main]``, then 127.0.0.1:8080."""
  host = args.host or os.environ.get("HOST") or os.environ.get("SERVER")
  port = args.port or os.environ.get("PORT")
  if not host and not port and "listen" in server:
    return {"listen": server["listen"]}
  if "listen" in server:
    listen_host, _, listen_port = server["listen"].split()[0].rpartition(":")
    server = {"host": listen_host.strip("[]"), "port": listen_port, **server}
  host = host or server.get("host") or DEFAULT_HOST
  port = port or server.get("port") or DEFAULT_PORT
  try:
    port = int(port)
  except ValueError:
    raise ConfigurationError(f"port {port!r}: expected an integer") from None
  return {"host": host, "port": port}


def served_url(options: dict) -> str:
  """The base URL a client on this host reaches the server at, from :func:`listen_address`'s
  options (the first address of ``listen``; a wildcard address is reached on the loopback)."""
  if "listen" in options:
    host, _, port = options["listen"].split()[0].rpartition(":")
  else:
    host, port = str(options["host"]), options["port"]
  host = host.strip("[]")
  host = {"": "127.0.0.1", "*": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
  return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def waitress_options(settings: dict) -> dict:
  """waitress's limits and proxy handling, from the settings (docs/configuration.md, "The server")."""
  channel_timeout = settings["prodmanager.server_channel_timeout"]
  return {
    "connection_limit": settings["prodmanager.server_connection_limit"],
    "channel_timeout": channel_timeout,
    # Silent connections are looked for every cleanup_interval seconds (30 by default).
    "cleanup_interval": min(30, channel_timeout),
    "max_request_header_size": settings["prodmanager.server_max_header_bytes"],
    # waitress buffers a whole body before the application sees it, and refuses one of
    # max_request_body_size bytes or more as soon as its Content-Length is read: a 300 MB upload is
    # refused unread. The application accepts MAX_BODY_BYTES exactly.
    "max_request_body_size": MAX_BODY_BYTES + 1,
    # waitress 3 removes every X-Forwarded-* header it does not trust itself. With trusted proxies the
    # application reads them (prodmanager.tweens.proxy_fix, PM_PROXY_CHAIN_COUNT), as under any WSGI
    # server; without, waitress keeps removing them.
    "clear_untrusted_proxy_headers": not settings["prodmanager.proxy_chain_count"],
    # poll(2) rather than select(2): no limit of 1,024 descriptors (connection_limit may exceed it).
    "asyncore_use_poll": True,
  }


def worker_count(args, settings: dict) -> int:
  """``--workers``, else 0.22's ``WORKERS`` variable, else the CPUs in production and 1 in development."""
  value = args.workers if args.workers is not None else os.environ.get("WORKERS")
  if value in (None, ""):
    return (os.cpu_count() or 1) if settings["prodmanager.mode"] == "production" else 1
  try:
    count = int(value)
  except ValueError:
    raise ConfigurationError(f"WORKERS={value!r}: expected a whole number of processes") from None
  if count < 1:
    raise ConfigurationError(f"{count} workers: at least one process is needed")
  return count


def thread_count(args, server: dict) -> int:
  """``--threads``, else 0.22's ``THREADS`` variable, else the INI's ``[server:main]``, else 8."""
  if args.threads:
    return args.threads
  value, where = os.environ.get("THREADS"), "THREADS"
  if not value:
    value, where = server.get("threads", DEFAULT_THREADS), "[server:main] threads"
  try:
    count = int(value)
  except ValueError:
    raise ConfigurationError(f"{where} = {value!r}: expected an integer") from None
  if count < 1:
    raise ConfigurationError(f"{where} = {count}: at least one thread is needed")
  return count


def bind_sockets(options: dict, count: int = 1) -> list[list[socket.socket]]:
  """The listening sockets of ``host``/``port`` or ``listen`` for ``count`` workers, bound before
  they are forked: one list of sockets per worker.

  Where the system balances connections among sockets sharing a port (Linux's ``SO_REUSEPORT``),
  each worker gets sockets of its own and the kernel shares new connections out among them (by a
  hash of their addresses). On one shared socket, whichever process wakes first takes the next
  connection: the bench's 64 keep-alive connections, opened at once, were split 38 / 26 and up to
  51 / 13 between two workers, one of them queueing most of the load for the run's whole length
  (docs/performance.md, "Every core"). The supervisor keeps every socket open, so the connections a
  dying worker's sockets hold wait for the worker started in its place.
  """
  where = {key: options[key] for key in ("listen", "host", "port") if key in options}
  groups: list[list[socket.socket]] = [[] for _ in range(count)]
  for family, kind, protocol, address in Adjustments(**where).listen:
    # Bound alone first, without SO_REUSEPORT: a port another server holds (another ``serve``
    # among them) is refused, and port 0 gets its number here.
    first = listening_socket(family, kind, protocol, address, reuse_port=False)
    if count == 1 or not balanced_ports():
      for group in groups:
        group.append(first)
      continue
    address = first.getsockname()
    first.close()
    for group in groups:
      group.append(listening_socket(family, kind, protocol, address, reuse_port=True))
  return groups


def balanced_ports() -> bool:
  """Whether sockets sharing a port with ``SO_REUSEPORT`` share its new connections out (Linux)."""
  return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(family, kind, protocol, address, reuse_port: bool) -> socket.socket:
  sock = socket.socket(family, kind, protocol)
  sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
  if reuse_port:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
  if family == socket.AF_INET6:
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
  sock.bind(address)
  sock.listen(1024)
  return sock


def reserved_threads(threads: int) -> int:
  """Threads of a process kept for ``/health`` and writes (prodmanager.cli.dispatcher): a quarter."""
  return threads // 4


def serve_app(app, options: dict) -> None:
  """waitress on ``options`` (``threads`` included), with threads kept for the probe and writes."""
  threads = options["threads"]
  dispatcher = ReservingDispatcher(reserved_threads(threads))
  dispatcher.set_thread_count(threads)
  # create_server's hook for a dispatcher of one's own (waitress is pinned to 3.x in setup.cfg).
  waitress.serve(app, ident="ProdManager", _dispatcher=dispatcher, **options)


def build_app(env: Environment, report: bool):
  app = make_app({}, **env.ini)
  if report:
    # The core's settings and the plugins' (add_setting), where each value comes from.
    for line in settings_report(app.registry):
      log.info("setting %s", line)
  freeze_startup_objects()
  shorten_switch_interval()
  return app


# How long a thread holding the GIL runs before one waiting for it gets it (CPython's default: 5 ms).
SWITCH_INTERVAL = 0.001


def shorten_switch_interval() -> None:
  """Hand the GIL over every millisecond rather than every five.

  A write or a cached read is mostly short spells of Python between database calls and socket
  operations, and after each one the thread waits for the GIL again; behind a render, each wait
  lasted up to the switch interval (the "convoy effect"), so a write of nine statements took tens of
  milliseconds under load. Measured on the benchmark's mixed load on a loaded machine (two runs
  each): create incident p50 155 and 88 ms → 92 and 69 ms, ``/health`` p50 8.8 and 8.3 ms → 4.8 and
  5.3 ms; renders lose little (more switches, the same work).
  """
  sys.setswitchinterval(SWITCH_INTERVAL)


def freeze_startup_objects() -> None:
  """Leave what the application was built from out of the garbage collector's full collections.

  The objects made while building the application (modules, the OpenAPI document, SQLAlchemy's and
  Jinja's structures: some 200,000) live as long as the process; every full collection walked them
  all, a pause of about 150 ms under the GIL every few dozen renders, that each request waiting for
  the process then took (docs/performance.md, "Lean requests"). ``gc.freeze`` moves them to a
  generation the collector does not visit; what requests allocate is collected as before.
  """
  gc.collect()
  gc.freeze()


def start_serve_worker(app, settings: dict):
  """The one place where ``serve`` starts the background worker (jobs and integrations, a daemon
  thread): in the primary process only, when ``PM_SERVE_WORKER`` (by default: standalone mode)
  asks for it. Returns the event that stops it, or None."""
  if not (is_primary_worker() and serve_runs_worker(settings)):
    return None
  _thread, stop = start_background_worker(app.registry)
  return stop


def run_worker(index: int, env: Environment, sockets: list, options: dict, parent: int) -> None:
  """One forked worker: its own application (engine, pools, caches), waitress on its sockets."""
  global worker_index
  worker_index = index
  for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(signum, signal.SIG_DFL)

  def watch_parent():
    # Orphaned workers would keep the port: leave when the supervising process is gone.
    while os.getppid() == parent:
      time.sleep(1)
    os._exit(0)

  threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
  try:
    app = build_app(env, report=index == 0)
    start_memory_trimmer()
    start_serve_worker(app, env.settings)
    serve_app(app, {**options, "sockets": sockets})
  except BaseException:  # noqa: BLE001 - a forked child must never return into the parent's code
    log.exception("worker %d failed", index)
    os._exit(1)
  os._exit(0)


def supervise(env: Environment, sockets: list, options: dict, count: int) -> int:
  """Fork ``count`` workers (worker ``i`` serves on ``sockets[i]``), start again those that die,
  stop them all on SIGTERM/SIGINT."""
  parent = os.getpid()
  # What this process made (the modules it imported, the migrations' objects) goes to the
  # collector's permanent generation before the forks: a worker's collections then never write to
  # those objects' headers, so their pages stay shared with this process instead of being copied
  # into each worker (USS of a worker at start 80-87 -> 54-64 MB, measured; docs/performance.md).
  freeze_startup_objects()
  children: dict[int, tuple[int, float]] = {}  # pid -> (index, start time)
  stopping = False

  def start(index: int) -> None:
    pid = os.fork()
    if pid == 0:
      run_worker(index, env, sockets[index], options, parent)
    children[pid] = (index, time.monotonic())

  def stop(signum, _frame):
    nonlocal stopping
    stopping = True
    for pid in list(children):
      try:
        os.kill(pid, signal.SIGTERM)
      except ProcessLookupError:
        pass

  signal.signal(signal.SIGTERM, stop)
  signal.signal(signal.SIGINT, stop)
  for index in range(count):
    start(index)
  status = 0
  while children:
    try:
      pid, code = os.wait()
    except ChildProcessError:
      break
    except InterruptedError:
      continue
    if pid not in children:
      continue
    index, started = children.pop(pid)
    if stopping:
      continue
    exit_code = os.waitstatus_to_exitcode(code)
    if time.monotonic() - started < EARLY_EXIT_SECONDS and exit_code > 0:
      log.error("worker %d exited with %d right after its start: stopping", index, exit_code)
      status = exit_code if exit_code > 0 else 1
      stop(signal.SIGTERM, None)
      continue
    log.warning("worker %d (pid %d) exited with %d: starting it again", index, pid, exit_code)
    start(index)
  for sock in {sock for group in sockets for sock in group}:
    sock.close()
  return status


def cmd_serve(args, env: Environment) -> int:
  limit_malloc_arenas()
  quiet_queue_warnings()
  server = env.server_section()
  options = listen_address(args, server)
  if env.settings["prodmanager.standalone"]:
    # Single-container mode: the database is created and migrated before serving, and a 0.22
    # database found there upgraded in place (docs/upgrading.md, "Their data").
    migrate_database(env, upgrade_022=True)
    if env.settings["prodmanager.demo"]:
      # The demo's http-fed monitor checks this server's own /health, at the port it serves on.
      log.info("%s", load_demo(env, served_url(options)))
  else:
    # Migrations are run apart (prodmanager migrate); a 0.22 database would only answer errors.
    # A database out of reach is not this check's business: /health/ready reports it.
    try:
      at = current(env.database_uri)
    except OperationalError:
      at = ()
    if legacy_revisions(at):
      raise LegacyDatabase(explain(at))
  threads = thread_count(args, server)
  workers = worker_count(args, env.settings)
  options.update(waitress_options(env.settings))
  where = options.get("listen") or f"{options['host']}:{options['port']}"
  where = where.replace(" ", ", http://")
  if workers == 1:
    app = build_app(env, report=True)
    start_memory_trimmer()
    log.info("Serving on http://%s with %d threads", where, threads)
    stop = start_serve_worker(app, env.settings)
    try:
      serve_app(app, {**options, "threads": threads})
    finally:
      if stop is not None:
        stop.set()
    return 0
  sockets = bind_sockets(options, workers)
  for key in ("listen", "host", "port"):
    options.pop(key, None)
  log.info("Serving on http://%s with %d processes of %d threads", where, workers, threads)
  # The workers are forked from here: nothing above opened a database connection they would share.
  sys.stdout.flush()
  sys.stderr.flush()
  return supervise(env, sockets, {**options, "threads": threads}, workers)
