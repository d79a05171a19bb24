"""waitress's queue of requests, with threads kept for the liveness probe and for writes.

waitress hands each complete request to a pool of threads, first come, first served. Right after a
write, the first readers of every page render it again (docs/performance.md); when slow renders and
the readers waiting for them hold every thread, ``/health`` waits behind them (and a load balancer
takes the process for dead), and so does the next write. :class:`ReservingDispatcher` keeps
``reserved`` threads that only *urgent* requests use: ``/health`` (and what is under it) and writes
(any method but ``GET``, ``HEAD`` and ``OPTIONS``). Urgent requests are taken first by any thread;
the others by at most ``threads - reserved`` threads at a time.
"""

import logging
from collections import deque

from waitress.task import ThreadedTaskDispatcher

log = logging.getLogger(__name__)

READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))


def is_urgent(task) -> bool:
  """Whether the next request of a waitress channel is the liveness probe or a write."""
  requests = getattr(task, "requests", None)
  if not requests:
    return False
  request = requests[0]
  path = getattr(request, "path", "") or ""
  if path == "/health" or path.startswith("/health/"):
    return True
  return (getattr(request, "command", None) or "GET") not in READ_METHODS


class ReservingDispatcher(ThreadedTaskDispatcher):
  """A :class:`waitress.task.ThreadedTaskDispatcher` whose last ``reserved`` threads serve urgent requests only."""

  def __init__(self, reserved: int):
    super().__init__()
    self.reserved = reserved
    self.urgent = deque()
    self.ordinary_busy = 0  # threads serving a request that is not urgent

  def ordinary_limit(self) -> int:
    return max(1, len(self.threads) - self.stop_count - self.reserved)

  def add_task(self, task):
    if not is_urgent(task):
      return super().add_task(task)
    with self.lock:
      self.urgent.append(task)
      self.queue_cv.notify()
    return None

  def _next_task(self):
    """Under the lock: (task, ordinary), or None when this thread is to stop."""
    while True:
      if self.stop_count > 0:
        self.active_count -= 1
        self.stop_count -= 1
        return None
      if self.urgent:
        return self.urgent.popleft(), False
      if self.queue and self.ordinary_busy < self.ordinary_limit():
        self.ordinary_busy += 1
        return self.queue.popleft(), True
      # Idle while waiting, as waitress counts it (its "Task queue depth" warning).
      self.active_count -= 1
      self.queue_cv.wait()
      self.active_count += 1

  def handler_thread(self, thread_no):
    while True:
      with self.lock:
        picked = self._next_task()
        if picked is None:
          self.threads.discard(thread_no)
          self.thread_exit_cv.notify()
          return
      task, ordinary = picked
      try:
        task.service()
      except BaseException:  # noqa: BLE001 - as waitress: a failed task never ends its thread
        self.logger.exception("Exception when servicing %r", task)
      finally:
        if ordinary:
          with self.lock:
            self.ordinary_busy -= 1
            if self.queue:
              # A thread that woke for an ordinary request while none could be taken waits again.
              self.queue_cv.notify()

  def shutdown(self, cancel_pending=True, timeout=5):
    with self.lock:
      while self.urgent:
        self.queue.append(self.urgent.popleft())
    return super().shutdown(cancel_pending, timeout)
