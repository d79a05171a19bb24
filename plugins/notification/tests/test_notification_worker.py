"""Real ``prodmanager worker`` processes on a database of their own: one killed with SIGKILL in the
middle of a batch loses nothing and sends nothing twice that it had recorded as sent; two at once
send each row exactly once."""

import os
import signal
import subprocess
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from prodmanager.commands import CommandContext
from prodmanager.domain_events import emit
from prodmanager.migrate import upgrade
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET, _postgres_database, make_app, prodmanager_command
from prodmanager_notification.models import Delivery, DeliveryStatus
from prodmanager_notification.testing import SmtpServer

pytestmark = pytest.mark.slow
PLUGINS = "scope service incident notification"
DEADLINE_SECONDS = 120


class SlowSmtpServer(SmtpServer):
  """Takes ``delay`` seconds per message, so that a worker is caught in the middle of a batch."""

  def __init__(self, delay: float):
    super().__init__()
    self.delay = delay

  async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
    import asyncio

    await asyncio.sleep(self.delay)
    return await super().handle_DATA(server, session, envelope)

  def delivery_ids(self) -> Counter:
    with self.lock:
      return Counter(int(item.message["X-ProdManager-Delivery"]) for item in self.received)


@pytest.fixture
def own_database(database_uri, tmp_path):
  """A migrated database of this test's own (the workers commit; the shared one must stay clean)."""
  if database_uri.startswith("postgresql"):
    with _postgres_database("worker") as uri:
      upgrade(uri)
      yield uri
  else:
    uri = f"sqlite:///{tmp_path / 'workers.sqlite'}"
    upgrade(uri)
    yield uri


@pytest.fixture
def slow_smtp():
  server = SlowSmtpServer(delay=0.05)
  server.start()
  yield server
  server.stop()


def queue_deliveries(uri: str, smtp: SmtpServer, count: int) -> list[int]:
  """``count`` confirmed subscribers and one incident's notification to each, committed."""
  app = make_app(PLUGINS, {"database_uri": uri, "secret_key": TEST_SECRET, **smtp.settings()})
  registry = app.registry
  from prodmanager.db import utcnow
  from prodmanager_incident.models import Incident, IncidentSeverity
  from prodmanager_notification.models import Channel, Subscriber
  from prodmanager_scope.models import Scope
  from prodmanager_service.models import Service

  context = CommandContext(registry)
  with context.session() as session:
    scope, service = Scope(name="Paris DC", description=""), Service(name="Compute", description="")
    session.add_all([scope, service])
    session.flush()
    incident = Incident(
      name="Outage", severity=IncidentSeverity.HIGH, scope_id=scope.id, service_id=service.id
    )
    session.add(incident)
    for number in range(count):
      session.add(
        Subscriber(channel=Channel.EMAIL, email=f"reader{number}@example.com", confirmed_at=utcnow())
      )
    session.flush()
    emit(session, "incident.created", "incident", incident.id)
  with context.session() as session:
    ids = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
  app_state(registry).db_engine.dispose()
  assert len(ids) == count
  return ids


def statuses(uri: str) -> dict[int, DeliveryStatus]:
  app = make_app(PLUGINS, {"database_uri": uri, "secret_key": TEST_SECRET})
  try:
    with CommandContext(app.registry).session() as session:
      return dict(session.execute(select(Delivery.id, Delivery.status)).all())
  finally:
    app_state(app.registry).db_engine.dispose()


@contextmanager
def worker(uri: str, smtp: SmtpServer, folder, name: str, lease: int = 5):
  environ = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
  environ.update(
    {
      "PM_DATABASE_URI": uri,
      "PM_SECRET_KEY": TEST_SECRET,
      "PM_PLUGINS": PLUGINS,
      "PM_MAIL_ENABLED": "true",
      "PM_MAIL_SERVER": "127.0.0.1",
      "PM_MAIL_PORT": str(smtp.port),
      "PM_MAIL_USE_TLS": "false",
      "PM_MAIL_USE_CREDENTIALS": "false",
      "PM_MAIL_SENDER": "status@example.com",
      "PM_NOTIFICATION_LEASE_SECONDS": str(lease),
      "PM_NOTIFICATION_BATCH_SIZE": "5",
    }
  )
  log_path = folder / f"{name}.log"
  with open(log_path, "wb") as log:
    process = subprocess.Popen(
      [prodmanager_command(), "worker"], cwd=folder, env=environ, stdout=log, stderr=subprocess.STDOUT
    )
  try:
    yield process
  finally:
    if process.poll() is None:
      process.send_signal(signal.SIGTERM)
      try:
        process.wait(timeout=30)
      except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition, what: str, folder) -> None:
  deadline = time.monotonic() + DEADLINE_SECONDS
  while not condition():
    if time.monotonic() > deadline:
      logs = "\n".join(path.read_text(errors="replace")[-3000:] for path in folder.glob("*.log"))
      pytest.fail(f"{what} within {DEADLINE_SECONDS} s; worker logs:\n{logs}")
    time.sleep(0.1)


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_nothing_recorded_as_sent(
  own_database, slow_smtp, tmp_path
):
  ids = queue_deliveries(own_database, slow_smtp, 30)
  with worker(own_database, slow_smtp, tmp_path, "first") as first:
    wait_for(
      lambda: sum(slow_smtp.delivery_ids().values()) >= 8, "the first worker did not send 8 mails", tmp_path
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
  recorded_sent = {ident for ident, status in statuses(own_database).items() if status is DeliveryStatus.SENT}
  assert recorded_sent and len(recorded_sent) < len(ids)  # killed in the middle
  with worker(own_database, slow_smtp, tmp_path, "second"):
    wait_for(
      lambda: all(status is DeliveryStatus.SENT for status in statuses(own_database).values()),
      "the second worker did not send every row",
      tmp_path,
    )
  received = slow_smtp.delivery_ids()
  assert set(received) == set(ids)  # nothing lost
  assert {ident: received[ident] for ident in recorded_sent} == dict.fromkeys(recorded_sent, 1)
  # Only a row sent but not yet recorded when the worker died may have gone twice.
  assert sum(count - 1 for count in received.values()) <= 1


def test_two_workers_send_each_row_exactly_once(own_database, slow_smtp, tmp_path):
  ids = queue_deliveries(own_database, slow_smtp, 40)
  with (
    worker(own_database, slow_smtp, tmp_path, "one", lease=300),
    worker(own_database, slow_smtp, tmp_path, "two", lease=300),
  ):
    wait_for(
      lambda: all(status is DeliveryStatus.SENT for status in statuses(own_database).values()),
      "the two workers did not send every row",
      tmp_path,
    )
  received = slow_smtp.delivery_ids()
  assert received == Counter(dict.fromkeys(ids, 1))
  logs = [(tmp_path / f"{name}.log").read_text() for name in ("one", "two")]
  assert all("notification-delivery" in log for log in logs)
