"""`prodmanager integrations run jenkins` as an operator (or a CronJob replacing 0.22's
jenkins-agent) runs it: a process configured by 0.22's variables only, on a database of its own."""

import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from jenkins_fake import PREFIX, TOKEN, USERNAME
from sqlalchemy import select

from prodmanager.migrate import upgrade
from prodmanager.runs import IntegrationRun
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET, _postgres_database, make_app, prodmanager_command
from prodmanager_monitor.models import Monitor, MonitorStatus, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

pytestmark = pytest.mark.slow


@contextmanager
def fresh_database(database_uri: str, tmp_path):
  """A migrated database of its own (the process commits for real), on the test's backend."""
  if database_uri.startswith("sqlite"):
    uri = f"sqlite:///{tmp_path / 'jenkins.sqlite'}"
    upgrade(uri)
    yield uri
  else:
    with _postgres_database(f"jenkins{os.getpid()}") as uri:
      upgrade(uri)
      yield uri


def run_command(tmp_path, environ: dict, *arguments: str) -> subprocess.CompletedProcess:
  base = {key: value for key, value in os.environ.items() if not key.startswith(("PM_", "JENKINS_"))}
  return subprocess.run(
    [prodmanager_command() or sys.executable, "integrations", *arguments],
    cwd=tmp_path,
    env={**base, **environ},
    capture_output=True,
    text=True,
    timeout=120,
  )


def test_the_command_runs_the_integration_with_the_0_22_variables(
  database_uri, enabled_plugins, jenkins_server, tmp_path
):
  plugins = " ".join(sorted({*enabled_plugins, "jenkins"}))
  with fresh_database(database_uri, tmp_path) as uri:
    app = make_app(plugins, {"database_uri": uri, "instance_path": str(tmp_path), "secret_key": TEST_SECRET})
    factory = app_state(app.registry).db_session_factory
    with factory() as session, session.begin():
      scope, service = Scope(name="Production", description=""), Service(name="CI", description="")
      session.add_all([scope, service])
      session.flush()
      for name, reference in [("Deploy", "team/backend/deploy prod"), ("Build", "team/backend/build")]:
        session.add(
          Monitor(
            name=name,
            description="",
            status=MonitorStatus.WARNING,
            integration="jenkins",
            external_reference=reference,
            scope_id=scope.id,
            service_id=service.id,
          )
        )
    environ = {
      "PM_DATABASE_URI": uri,
      "PM_PLUGINS": plugins,
      "PM_SECRET_KEY": TEST_SECRET,
      "PM_INSTANCE_PATH": str(tmp_path),
      "JENKINS_URL": jenkins_server.url,
      "JENKINS_USERNAME": USERNAME,
      "JENKINS_TOKEN": TOKEN,
    }
    listed = run_command(tmp_path, environ, "list")
    assert listed.returncode == 0, listed.stderr
    assert "jenkins  monitors 'jenkins'  every 60 s" in listed.stdout
    before = len(jenkins_server.requests)
    done = run_command(tmp_path, environ, "run", "jenkins")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "jenkins: ok: 2 monitor(s), 2 changed, 0 failed, 0 without answer" in done.stdout
    assert sorted(path for path, _tree, _auth in jenkins_server.requests[before:]) == [
      f"{PREFIX}/api/json",
      f"{PREFIX}/job/team/job/backend/job/build/api/json",
      f"{PREFIX}/job/team/job/backend/job/deploy%20prod/api/json",
    ]
    refused = run_command(tmp_path, {**environ, "JENKINS_TOKEN": "wrong"}, "run", "--force", "jenkins")
    assert refused.returncode == 1
    assert "jenkins: failed: 2 monitor(s), 0 changed, 2 failed" in refused.stdout
    assert "refused the credentials (HTTP 401)" in refused.stdout
    with factory() as session:
      statuses = dict(session.execute(select(Monitor.name, Monitor.status)).all())
      assert statuses == {"Deploy": MonitorStatus.ALERT, "Build": MonitorStatus.OK}
      assert len(session.scalars(select(MonitorStatusChange)).all()) == 2
      outcomes = session.scalars(select(IntegrationRun.outcome).order_by(IntegrationRun.id)).all()
      assert outcomes == ["ok", "failed"]
    app_state(app.registry).db_engine.dispose()
