"""`prodmanager integrations run datadog`, configured by 0.22's variables only, against the local
Datadog API: the command prints the run's summary and its errors, and writes the monitors
(docs/integrations.md, "datadog")."""

import os
from contextlib import contextmanager

from sqlalchemy import select

from prodmanager.cli import main
from prodmanager.migrate import upgrade
from prodmanager.runs import IntegrationRun, run_integration
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET, _postgres_database, make_app
from prodmanager_monitor.models import Monitor, MonitorStatus
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


@contextmanager
def fresh_database(database_uri: str, tmp_path):
  """A migrated database of its own (the command commits for real), on the test's backend."""
  if database_uri.startswith("sqlite"):
    uri = f"sqlite:///{tmp_path / 'command.sqlite'}"
    upgrade(uri)
    yield uri
  else:
    with _postgres_database(f"datadogcli{os.getpid()}") as uri:
      upgrade(uri)
      yield uri


def test_the_command_runs_the_integration_from_the_environment(
  database_uri, enabled_plugins, datadog_api, datadog_settings, tmp_path, monkeypatch, capsys
):
  plugins = " ".join(sorted({*enabled_plugins, "datadog"}))
  with fresh_database(database_uri, tmp_path) as uri:
    app = make_app(plugins, {"database_uri": uri, "instance_path": str(tmp_path), "secret_key": TEST_SECRET})
    factory = app_state(app.registry).db_session_factory
    try:
      with factory() as session, session.begin():
        scope, service = Scope(name="Production", description=""), Service(name="Payments", description="")
        session.add_all([scope, service])
        session.flush()
        for name, reference in (("Checkout errors", "1003"), ("Card latency", "1002"), ("Gone", "404404")):
          session.add(
            Monitor(
              name=name,
              description="",
              status=MonitorStatus.OK,
              integration="datadog",
              external_reference=reference,
              scope_id=scope.id,
              service_id=service.id,
            )
          )
      for key in [key for key in os.environ if key.startswith(("PM_", "DD_"))]:
        monkeypatch.delenv(key)
      for key, value in {
        "PM_DATABASE_URI": uri,
        "PM_PLUGINS": plugins,
        "PM_SECRET_KEY": TEST_SECRET,
        "PM_INSTANCE_PATH": str(tmp_path),
        "DD_API_KEY": datadog_settings["datadog.api_key"],
        "DD_APPLICATION_KEY": datadog_settings["datadog.application_key"],
        "DD_API_URL": datadog_api.url,
        "DD_SITE": "datadoghq.eu",
      }.items():
        monkeypatch.setenv(key, value)
      monkeypatch.chdir(tmp_path)
      assert main(["integrations", "run", "datadog"]) == 0
      out = capsys.readouterr().out.splitlines()
      assert out[0] == "datadog: partial: 3 monitor(s), 2 changed, 1 failed, 0 without answer"
      assert out[1].startswith("  Gone (#3): LookupError: no Datadog monitor 404404")
      with factory() as session:
        rows = session.execute(
          select(Monitor.name, Monitor.status, Monitor.external_link).order_by(Monitor.id)
        )
        assert rows.all() == [
          ("Checkout errors", MonitorStatus.ALERT, "https://datadoghq.eu/monitors/1003"),
          ("Card latency", MonitorStatus.WARNING, "https://datadoghq.eu/monitors/1002"),
          ("Gone", MonitorStatus.OK, None),
        ]
        assert session.scalars(select(IntegrationRun.outcome)).all() == ["partial"]
      # Without keys: a configuration error, exit status 1, nothing written.
      monkeypatch.delenv("DD_APPLICATION_KEY")
      assert main(["integrations", "run", "--force", "datadog"]) == 1
      out = capsys.readouterr().out
      assert "datadog: failed: 3 monitor(s), 0 changed, 3 failed" in out
      assert "DatadogConfigurationError: DD_APPLICATION_KEY not set" in out
    finally:
      app_state(app.registry).db_engine.dispose()


def test_the_operators_page_shows_the_integration_and_its_failed_run(
  datadog_registry, datadog_client, make, datadog_api, monkeypatch
):
  monkeypatch.setitem(datadog_registry.settings, "prodmanager.datadog.api_key", "revoked")
  make.monitor(name="Checkout errors", integration="datadog", external_reference="1003")
  run_integration(datadog_registry, app_state(datadog_registry).integrations["datadog"], force=True)
  login = datadog_client.get("/login")
  login.forms["login-form"]["secret"] = TEST_SECRET
  login.forms["login-form"].submit(status=303)
  rows = [
    row.get_text(" ", strip=True) for row in datadog_client.get("/integrations").html.select("tbody tr")
  ]
  assert any(text.startswith("datadog overall state of the Datadog monitor") for text in rows), rows
  assert any("failed" in text and "Datadog refused the API or application key" in text for text in rows), rows
