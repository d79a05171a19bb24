"""``prodmanager serve`` with several processes on one port (--workers, WORKERS, THREADS)."""

import argparse
import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from prodmanager.cli.serve import (
  freeze_startup_objects,
  limit_malloc_arenas,
  quiet_queue_warnings,
  shorten_switch_interval,
  start_memory_trimmer,
  thread_count,
  worker_count,
)
from prodmanager.settings import ConfigurationError
from prodmanager.testing import TEST_SECRET, running_server

pytestmark = pytest.mark.one_backend


def options(**values):
  return argparse.Namespace(**{"workers": None, "threads": None, **values})


def test_worker_count(monkeypatch):
  monkeypatch.delenv("WORKERS", raising=False)
  assert worker_count(options(), {"prodmanager.mode": "development"}) == 1
  assert worker_count(options(), {"prodmanager.mode": "production"}) == (os.cpu_count() or 1)
  monkeypatch.setenv("WORKERS", "3")
  assert worker_count(options(), {"prodmanager.mode": "development"}) == 3
  assert worker_count(options(workers=2), {"prodmanager.mode": "production"}) == 2
  monkeypatch.setenv("WORKERS", "many")
  with pytest.raises(ConfigurationError, match="WORKERS='many'"):
    worker_count(options(), {"prodmanager.mode": "production"})
  with pytest.raises(ConfigurationError, match="at least one"):
    worker_count(options(workers=0), {"prodmanager.mode": "production"})


def test_thread_count(monkeypatch):
  monkeypatch.delenv("THREADS", raising=False)
  assert thread_count(options(), {}) == 8
  assert thread_count(options(), {"threads": "4"}) == 4
  monkeypatch.setenv("THREADS", "6")
  assert thread_count(options(), {"threads": "4"}) == 6
  assert thread_count(options(threads=2), {"threads": "4"}) == 2
  monkeypatch.setenv("THREADS", "x")
  with pytest.raises(ConfigurationError, match="THREADS = 'x'"):
    thread_count(options(), {})


def test_malloc_arenas_are_limited_unless_the_variable_says(monkeypatch):
  import platform

  monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
  assert limit_malloc_arenas() is False  # the operator's value, read by glibc itself, stands
  monkeypatch.delenv("MALLOC_ARENA_MAX")
  if platform.libc_ver()[0] == "glibc":
    assert limit_malloc_arenas() is True


def test_the_mmap_threshold_is_fixed_unless_the_variable_says(monkeypatch):
  from prodmanager.cli import serve

  calls = []

  class Libc:
    def mallopt(self, parameter, value):
      calls.append((parameter, value))
      return 1

  monkeypatch.setattr(serve.ctypes, "CDLL", lambda _name: Libc())
  monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
  monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
  assert limit_malloc_arenas() is True
  assert calls == [(serve.M_MMAP_THRESHOLD, serve.MMAP_THRESHOLD), (serve.M_ARENA_MAX, serve.MALLOC_ARENAS)]
  calls.clear()
  monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")  # the operator's value, read by glibc, stands
  assert limit_malloc_arenas() is True
  assert calls == [(serve.M_ARENA_MAX, serve.MALLOC_ARENAS)]


def test_the_supervisor_freezes_what_it_made_before_forking(monkeypatch):
  import gc
  import signal

  from prodmanager.cli import serve

  frozen_at_fork = []

  def fork():
    frozen_at_fork.append(gc.get_freeze_count())
    return 999_999_999  # no child: os.wait below finds none

  def wait():
    raise ChildProcessError

  monkeypatch.setattr(serve.os, "fork", fork)
  monkeypatch.setattr(serve.os, "wait", wait)
  handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
  gc.unfreeze()
  made_before = [["made by the supervisor"]]
  try:
    assert serve.supervise(None, [], {}, 2) == 0
    assert len(frozen_at_fork) == 2 and frozen_at_fork[0] > 0
    assert not any(item is made_before[0] for item in gc.get_objects())
  finally:
    gc.unfreeze()
    for signum, handler in handlers.items():
      signal.signal(signum, handler)


def test_a_web_process_trims_its_heap_periodically_on_glibc():
  import platform

  thread = start_memory_trimmer(interval=0.01)
  if platform.libc_ver()[0] != "glibc":
    assert thread is None
    return
  time.sleep(0.05)  # several calls of malloc_trim went by
  assert thread.daemon and thread.is_alive()  # a call neither failed nor blocked the loop


def test_what_startup_made_is_left_out_of_full_collections():
  import gc

  built = [["made while the application was built"]]
  try:
    freeze_startup_objects()
    assert gc.get_freeze_count() > 0
    # gc.get_objects() lists what the collector visits: the frozen objects are not among them.
    assert not any(item is built[0] for item in gc.get_objects())
    made_later = [["made by a request"]]
    assert any(item is made_later[0] for item in gc.get_objects(generation=0))
  finally:
    gc.unfreeze()
  assert any(item is built[0] for item in gc.get_objects())


def test_a_web_process_hands_the_gil_over_every_millisecond():
  import sys

  default = sys.getswitchinterval()
  try:
    shorten_switch_interval()
    assert sys.getswitchinterval() == pytest.approx(0.001)
  finally:
    sys.setswitchinterval(default)


def test_waitress_queue_warnings_are_quiet_unless_the_ini_sets_them():
  import logging

  queue = logging.getLogger("waitress.queue")
  level = queue.level
  try:
    queue.setLevel(logging.NOTSET)
    quiet_queue_warnings()
    assert queue.level == logging.ERROR
    queue.setLevel(logging.WARNING)  # as an INI's [logger_waitress_queue] would
    quiet_queue_warnings()
    assert queue.level == logging.WARNING
  finally:
    queue.setLevel(level)


def test_sqlite_connections_keep_a_small_page_cache(tmp_path):
  from sqlalchemy import text

  from prodmanager.db import SQLITE_CACHE_KIB, get_engine

  engine = get_engine(f"sqlite:///{tmp_path / 'pages.sqlite'}")
  with engine.connect() as connection:
    assert connection.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
  engine.dispose()


def server_processes(port: int) -> tuple[int, list[int]]:
  """The supervising ``serve`` process listening on ``port`` and its worker processes."""
  for entry in Path("/proc").iterdir():
    if not entry.name.isdigit():
      continue
    try:
      command = (entry / "cmdline").read_bytes().split(b"\0")
    except OSError:
      continue
    if b"serve" in command and str(port).encode() in command:
      pid = int(entry.name)
      children = (entry / "task" / entry.name / "children").read_text().split()
      return pid, sorted(int(child) for child in children)
  raise AssertionError(f"no serve process on port {port}")


def call(url: str, headers: dict | None = None, body: dict | None = None):
  data = json.dumps(body).encode() if body is not None else None
  request = urllib.request.Request(url, data=data, headers=headers or {})
  if data is not None:
    request.add_header("Content-Type", "application/json")
  try:
    with urllib.request.urlopen(request, timeout=30) as response:
      return response.status, response.read().decode()
  except urllib.error.HTTPError as error:
    return error.code, error.read().decode()


@pytest.mark.slow
def test_several_processes_share_the_port_and_the_content_version(tmp_path, enabled_plugins):
  env = {
    "PM_INSTANCE_PATH": str(tmp_path / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_PLUGINS": " ".join(enabled_plugins),
    "WORKERS": "2",
    "THREADS": "2",
  }
  with running_server(tmp_path, env) as url:
    port = int(url.rpartition(":")[2])
    parent, workers = server_processes(port)
    assert len(workers) == 2
    log = next(tmp_path.glob("server-*.log")).read_text()
    assert "with 2 processes of 2 threads" in log
    # A write answered by one process is seen by every process at once (the shared version file):
    # each request opens a connection, which either process may accept.
    status, token = call(
      f"{url}/api/token/create",
      body={
        "secret": TEST_SECRET,
        "name": "twoworkers",
        "description": "two processes test",
        "permissions": ["scope_api"],
      },
    )
    assert status == 200, token
    bearer = {"Authorization": f"Bearer {json.loads(token)}"}
    for number in range(6):
      status, body = call(f"{url}/api/scope", bearer, {"name": f"Region {number}", "description": ""})
      assert status == 201, body
      for _ in range(4):
        assert f"Region {number}<" in call(f"{url}/scope")[1]
    # A worker that dies is replaced; the port keeps answering.
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
      replaced = server_processes(port)[1]
      if len(replaced) == 2 and workers[0] not in replaced:
        break
      assert time.monotonic() < deadline, f"worker not replaced: {replaced}"
      time.sleep(0.5)
    assert call(f"{url}/health") == (200, "OK")
  # Stopping the command stops its workers.
  deadline = time.monotonic() + 30
  while any(Path(f"/proc/{pid}").exists() for pid in [parent, *replaced]):
    assert time.monotonic() < deadline, "workers left running"
    time.sleep(0.5)


def test_each_worker_gets_sockets_of_its_own_sharing_the_port_out():
  import socket

  from prodmanager.cli.serve import balanced_ports, bind_sockets

  groups = bind_sockets({"host": "127.0.0.1", "port": 0}, 2)
  try:
    assert len(groups) == 2 and all(len(group) == 1 for group in groups)
    first, second = groups[0][0], groups[1][0]
    port = first.getsockname()[1]
    assert port and second.getsockname()[1] == port
    if not balanced_ports():
      assert first is second  # one socket shared by the processes, as before
      return
    assert first is not second
    # The kernel shares the connections out among the sockets (by a hash of their addresses):
    # 40 connections all to one of two sockets would happen once in 2**39 runs.
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    taken = []
    for sock in (first, second):
      sock.setblocking(False)
      count = 0
      while True:
        try:
          connection, _ = sock.accept()
        except BlockingIOError:
          break
        connection.close()
        count += 1
      taken.append(count)
    for client in clients:
      client.close()
    assert sum(taken) == 40 and min(taken) > 0, taken
    # The port stays refused to another server, a second ``serve`` included.
    with pytest.raises(OSError):
      bind_sockets({"host": "127.0.0.1", "port": port}, 2)
  finally:
    for sock in {sock for group in groups for sock in group}:
      sock.close()


def test_one_worker_serves_on_one_plain_socket():
  import socket

  from prodmanager.cli.serve import bind_sockets

  groups = bind_sockets({"host": "127.0.0.1", "port": 0}, 1)
  try:
    (sock,) = groups[0]
    assert len(groups) == 1
    if hasattr(socket, "SO_REUSEPORT"):
      assert not sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)  # no other server may join it
  finally:
    groups[0][0].close()
