"""waitress's queue in ``prodmanager serve`` (prodmanager.cli.dispatcher): while slow reads hold
every ordinary thread, ``/health`` and writes are still served, by the threads kept for them."""

import threading
from types import SimpleNamespace

import pytest

from prodmanager.cli.dispatcher import ReservingDispatcher, is_urgent
from prodmanager.cli.serve import reserved_threads

pytestmark = pytest.mark.one_backend

WAIT = 10  # seconds: a bound for a thread that must come, never a measure of speed


class Task:
  """A waitress channel holding one request; ``service`` runs until released."""

  def __init__(self, method: str, path: str, hold: bool = True):
    self.requests = [SimpleNamespace(command=method, path=path)]
    self.started = threading.Event()
    self.release = threading.Event()
    if not hold:
      self.release.set()

  def service(self):
    self.started.set()
    self.release.wait(WAIT)


@pytest.fixture
def dispatcher():
  dispatcher = ReservingDispatcher(reserved=1)
  dispatcher.set_thread_count(3)
  yield dispatcher
  dispatcher.shutdown(timeout=WAIT)


def test_urgent_requests_are_the_probe_and_writes():
  assert is_urgent(Task("GET", "/health"))
  assert is_urgent(Task("GET", "/health/ready"))
  assert is_urgent(Task("POST", "/api/incident"))
  assert is_urgent(Task("DELETE", "/api/incident/1"))
  assert not is_urgent(Task("GET", "/api/v2/summary.json"))
  assert not is_urgent(Task("HEAD", "/"))
  assert not is_urgent(Task("GET", "/healthy"))
  assert not is_urgent(SimpleNamespace(requests=[]))


def test_the_probe_and_writes_pass_slow_reads(dispatcher):
  slow = [Task("GET", "/api/v2/summary.json") for _ in range(3)]
  for task in slow:
    dispatcher.add_task(task)
  # Two of the three threads serve ordinary reads; the third one waits for urgent requests.
  assert slow[0].started.wait(WAIT) and slow[1].started.wait(WAIT)
  probe, write = Task("GET", "/health", hold=False), Task("POST", "/api/incident", hold=False)
  dispatcher.add_task(probe)
  dispatcher.add_task(write)
  assert probe.started.wait(WAIT) and write.started.wait(WAIT)
  assert not slow[2].started.is_set()
  # A read waits for an ordinary thread, and gets one as soon as a slow read is done.
  slow[0].release.set()
  assert slow[2].started.wait(WAIT)
  for task in slow:
    task.release.set()


def test_urgent_requests_may_use_every_thread(dispatcher):
  writes = [Task("PATCH", f"/api/incident/{number}") for number in range(3)]
  for task in writes:
    dispatcher.add_task(task)
  assert all(task.started.wait(WAIT) for task in writes)
  for task in writes:
    task.release.set()


def test_a_quarter_of_the_threads_is_kept():
  assert [reserved_threads(count) for count in (1, 3, 4, 8, 16)] == [0, 0, 1, 2, 4]
