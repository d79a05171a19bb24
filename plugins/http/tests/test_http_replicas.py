"""Replicas cooperate: two `prodmanager integrations run http` processes started together against
one database run the integration once (one run record, one GET, one status-history row), whether
the lock is the database's (a file lock on SQLite, an advisory lock on PostgreSQL) or Redis's."""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from prodmanager.migrate import upgrade
from prodmanager.runs import IntegrationRun
from prodmanager.state import app_state
from prodmanager.testing import (
  REDIS_TEST_URI,
  TEST_SECRET,
  _postgres_database,
  _redis_unavailable,
  make_app,
  missing_service,
  prodmanager_command,
)
from prodmanager_monitor.models import Monitor, MonitorStatus, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

pytestmark = pytest.mark.slow


@contextmanager
def fresh_database(database_uri: str, tmp_path):
  """A migrated database of its own (the processes commit for real), on the test's backend."""
  if database_uri.startswith("sqlite"):
    uri = f"sqlite:///{tmp_path / 'replicas.sqlite'}"
    upgrade(uri)
    yield uri
  else:
    with _postgres_database(f"replicas{os.getpid()}") as uri:
      upgrade(uri)
      yield uri


@pytest.mark.parametrize("lock", ["database", "redis"])
def test_two_runners_started_together_run_the_integration_once(
  database_uri, enabled_plugins, http_server, tmp_path, lock
):
  if lock == "redis":
    reason = _redis_unavailable()
    if reason:
      missing_service(reason)
  plugins = " ".join(sorted({*enabled_plugins, "http"}))
  link = f"{http_server.url}/ok?replicas-{lock}-{uuid.uuid4().hex}"
  with fresh_database(database_uri, tmp_path) as uri:
    app = make_app(plugins, {"database_uri": uri, "instance_path": str(tmp_path), "secret_key": TEST_SECRET})
    factory = app_state(app.registry).db_session_factory
    with factory() as session, session.begin():
      scope, service = Scope(name="Production", description=""), Service(name="Website", description="")
      session.add_all([scope, service])
      session.flush()
      session.add(
        Monitor(
          name="Home page",
          description="",
          status=MonitorStatus.WARNING,
          integration="http",
          external_link=link,
          scope_id=scope.id,
          service_id=service.id,
        )
      )
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
    environ.update(
      PM_DATABASE_URI=uri,
      PM_PLUGINS=plugins,
      PM_SECRET_KEY=TEST_SECRET,
      PM_INSTANCE_PATH=str(tmp_path),
      PM_HTTP_INTERVAL="600",
      PM_REDIS_URI=REDIS_TEST_URI if lock == "redis" else "",
    )
    command = [prodmanager_command() or sys.executable, "integrations", "run", "http"]
    processes = [
      subprocess.Popen(command, cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
      for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    summaries = sorted(
      line for output in outputs for line in output.splitlines() if line.startswith("http: ")
    )
    assert len(summaries) == 2, outputs
    assert summaries[0].startswith("http: ok: 1 monitor(s), 1 changed, 0 failed"), summaries
    assert summaries[1].startswith("http: skipped ("), summaries
    assert http_server.hits.count(link.removeprefix(http_server.url)) == 1
    with factory() as session:
      assert session.scalar(select(func.count()).select_from(IntegrationRun)) == 1
      changes = session.execute(select(MonitorStatusChange.old_status, MonitorStatusChange.new_status)).all()
      assert changes == [(MonitorStatus.WARNING, MonitorStatus.OK)]
    app_state(app.registry).db_engine.dispose()
