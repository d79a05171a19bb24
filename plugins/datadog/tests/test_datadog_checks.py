"""The datadog integration against a local server speaking the Datadog monitor API, read by the
official client: the state mapping, links, unknown ids and references, refused keys, server errors
and timeouts, writes only on change, paging, the suffix rule and the command line
(docs/integrations.md, "datadog")."""

import pytest

from prodmanager.runs import IntegrationRun, run_integration
from prodmanager.settings import ConfigurationError
from prodmanager.state import app_state
from prodmanager.testing import make_app
from prodmanager_datadog import checks
from prodmanager_monitor.models import Monitor


def run_datadog(registry):
  return run_integration(registry, app_state(registry).integrations["datadog"], force=True)


def reload(dbsession, row) -> Monitor:
  dbsession.expire_all()
  return dbsession.get(Monitor, row.id)


def watched(make, reference, status="ok", name="Checkout", integration="datadog"):
  return make.monitor(name=name, integration=integration, external_reference=reference, status=status)


@pytest.mark.parametrize(
  ("reference", "before", "after"),
  [
    ("1001", "alert", "ok"),
    ("1002", "ok", "warning"),
    ("1008", "ok", "warning"),
    ("1003", "ok", "alert"),
  ],
)
def test_the_overall_state_sets_the_status_and_the_link(
  datadog_registry, dbsession, make, datadog_api, reference, before, after
):
  row = watched(make, reference, status=before)
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.seen, outcome.changed, outcome.failed) == ("ok", 1, 1, 0)
  monitor = reload(dbsession, row)
  assert monitor.status.value == after
  assert monitor.external_link == f"https://app.datadoghq.eu/monitors/{reference}"
  assert make.monitor_history()[-1] == (row.id, before, after)
  assert [path for _host, path, _query in datadog_api.requests] == [f"/api/v1/monitor/{reference}"]


@pytest.mark.parametrize("reference", ["1004", "1005", "1006", "1007"])
def test_no_data_unknown_skipped_and_ignored_keep_the_status(
  datadog_registry, dbsession, make, datadog_api, reference
):
  row = watched(make, reference, status="warning")
  before = make.monitor_history()
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.changed, outcome.failed, outcome.skipped) == ("ok", 0, 0, 1)
  assert reload(dbsession, row).status.value == "warning"
  assert make.monitor_history() == before


def test_unknown_ids_and_references_that_are_not_ids_fail_only_their_monitor(
  datadog_registry, dbsession, make, datadog_api
):
  good = watched(make, "1003", name="Payments")
  unknown = watched(make, "999999", name="Removed at Datadog", status="warning")
  words = watched(make, "cpu-high", name="Named by text", status="warning")
  decimal = watched(make, "12.5", name="Decimal", status="warning")
  unset = watched(make, "", name="Not linked yet", status="warning")
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.seen, outcome.changed, outcome.failed, outcome.skipped) == (
    "partial",
    5,
    1,
    3,
    1,
  )
  assert [reload(dbsession, row).status.value for row in (good, unknown, words, decimal, unset)] == [
    "alert",
    "warning",
    "warning",
    "warning",
    "warning",
  ]
  errors = "\n".join(outcome.errors)
  assert f"Removed at Datadog (#{unknown.id}): LookupError: no Datadog monitor 999999" in errors
  assert f"Named by text (#{words.id}): ValueError: external_reference 'cpu-high'" in errors
  assert "expected a Datadog monitor id" in errors
  assert f"Decimal (#{decimal.id})" in errors
  # The references that are not ids are never sent to Datadog.
  assert sorted(path for _host, path, _query in datadog_api.requests) == [
    "/api/v1/monitor/1003",
    "/api/v1/monitor/999999",
  ]


def test_the_keys_go_in_datadogs_headers_and_refused_keys_fail_the_run(
  datadog_registry, dbsession, make, datadog_api, monkeypatch
):
  rows = [watched(make, reference, name=f"Monitor {reference}") for reference in ("1002", "1003")]
  monkeypatch.setitem(datadog_registry.settings, "prodmanager.datadog.application_key", "revoked")
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.failed, outcome.changed) == ("failed", 2, 0)
  assert [reload(dbsession, row).status.value for row in rows] == ["ok", "ok"]
  assert outcome.errors == [
    f"Monitor {reference} (#{row.id}): DatadogError: Datadog refused the API or application key "
    "(HTTP 403: Forbidden)"
    for reference, row in zip(("1002", "1003"), rows, strict=True)
  ]
  # One refused call is enough: the other monitor's id is not asked for.
  assert len(datadog_api.requests) == 1
  run = dbsession.get(IntegrationRun, outcome.run_id)
  assert run.outcome == "failed" and "refused the API or application key" in run.error_lines[0]


@pytest.mark.parametrize(
  ("missing", "message"),
  [
    (["api_key"], "DD_API_KEY not set"),
    (["application_key"], "DD_APPLICATION_KEY not set"),
    (["api_key", "application_key"], "DD_API_KEY and DD_APPLICATION_KEY not set"),
  ],
)
def test_missing_keys_are_a_configuration_error_in_the_run_record(
  datadog_registry, dbsession, make, datadog_api, monkeypatch, missing, message
):
  for key in missing:
    monkeypatch.setitem(datadog_registry.settings, f"prodmanager.datadog.{key}", "")
  row = watched(make, "1003")
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.failed) == ("failed", 1)
  assert reload(dbsession, row).status.value == "ok"
  run = dbsession.get(IntegrationRun, outcome.run_id)
  assert run.error_lines == [
    f"Checkout (#{row.id}): DatadogConfigurationError: {message}: the datadog integration cannot "
    "read the Datadog monitors"
  ]
  assert datadog_api.requests == []


@pytest.mark.parametrize(
  ("mode", "message"),
  [
    ("error", "DatadogError: Datadog answered HTTP 500: Internal Server Error"),
    ("slow", "DatadogError: no answer from Datadog within {timeout} s (DD_TIMEOUT)"),
  ],
)
def test_a_server_error_or_no_answer_fails_the_run_and_keeps_the_statuses(
  datadog_registry, dbsession, make, datadog_api, datadog_settings, mode, message
):
  message = message.format(timeout=datadog_settings["datadog.timeout"])
  datadog_api.mode = mode
  row = watched(make, "1003", status="warning")
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.failed, outcome.changed) == ("failed", 1, 0)
  assert outcome.errors == [f"Checkout (#{row.id}): {message}"]
  assert reload(dbsession, row).status.value == "warning"
  # No retry within the run: the next run is the retry.
  assert len(datadog_api.requests) == 1


def test_a_monitor_is_written_only_when_its_state_changes(datadog_registry, dbsession, make, datadog_api):
  row = watched(make, "1003")
  before = len(make.monitor_history())
  outcomes = [run_datadog(datadog_registry) for _ in range(3)]
  assert [outcome.changed for outcome in outcomes] == [1, 0, 0]
  datadog_api.states[1003] = "OK"
  assert run_datadog(datadog_registry).changed == 1
  datadog_api.states[1003] = "No Data"
  assert run_datadog(datadog_registry).changed == 0
  assert make.monitor_history()[before:] == [(row.id, "ok", "alert"), (row.id, "alert", "ok")]
  assert reload(dbsession, row).status.value == "ok"


def test_many_monitors_are_read_page_by_page_until_all_are_found(
  datadog_registry, dbsession, make, datadog_api, monkeypatch
):
  monkeypatch.setattr(checks, "PAGE_SIZE", 10)
  # Pages of 10 by id: 1001..1008, 2000, 2001 | 2002..2011 | 2012..2021 | 2022..2031 | 2032..2034.
  references = ["1003", "1002", "1004", *(str(ident) for ident in range(2000, 2010)), "2016"]
  rows = {reference: watched(make, reference, name=f"Monitor {reference}") for reference in references}
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.seen, outcome.failed, outcome.skipped) == ("ok", 14, 0, 1)
  assert [(path, query) for _host, path, query in datadog_api.requests] == [
    ("/api/v1/monitor", {"page": str(page), "page_size": "10"}) for page in range(3)
  ]
  alerting = {reference for reference, row in rows.items() if reload(dbsession, row).status.value == "alert"}
  assert alerting == {"1003", "2002", "2009", "2016"}
  assert reload(dbsession, rows["1002"]).status.value == "warning"
  assert reload(dbsession, rows["2001"]).external_link == "https://app.datadoghq.eu/monitors/2001"


def test_an_id_missing_from_every_page_fails_its_monitor(
  datadog_registry, dbsession, make, datadog_api, monkeypatch
):
  monkeypatch.setattr(checks, "PAGE_SIZE", 10)
  references = [str(ident) for ident in range(2000, 2011)] + ["5000"]
  rows = {reference: watched(make, reference, name=f"Monitor {reference}") for reference in references}
  outcome = run_datadog(datadog_registry)
  assert (outcome.outcome, outcome.failed) == ("partial", 1)
  assert outcome.errors == [
    f"Monitor 5000 (#{rows['5000'].id}): LookupError: no Datadog monitor 5000 "
    "(unknown id, or not readable with these keys)"
  ]
  # Every page was read (43 monitors): the fifth, shorter than a page, is the last.
  pages = [query["page"] for _host, _path, query in datadog_api.requests]
  assert pages == ["0", "1", "2", "3", "4"]


def test_the_suffix_rule_serves_datadog_suffixed_monitors(
  datadog_registry, dbsession, make, datadog_api, monkeypatch
):
  plain = watched(make, "1003", name="First account")
  suffixed = watched(make, "1003", name="Second account", integration="datadog_eu")
  monkeypatch.setitem(datadog_registry.settings, "prodmanager.integration_suffix", "eu")
  outcome = run_datadog(datadog_registry)
  assert (outcome.seen, outcome.changed) == (1, 1)
  assert (reload(dbsession, plain).status.value, reload(dbsession, suffixed).status.value) == ("ok", "alert")
  assert dbsession.get(IntegrationRun, outcome.run_id).matched == "datadog_eu"


def test_the_calls_go_through_the_configured_proxy(
  datadog_registry, dbsession, make, datadog_api, monkeypatch
):
  monkeypatch.setitem(
    datadog_registry.settings, "prodmanager.datadog.api_url", "http://api.datadoghq.invalid"
  )
  monkeypatch.setitem(datadog_registry.settings, "prodmanager.datadog.proxy", datadog_api.url)
  row = watched(make, "1003")
  assert run_datadog(datadog_registry).changed == 1
  assert reload(dbsession, row).status.value == "alert"
  assert datadog_api.requests == [("api.datadoghq.invalid", "/api/v1/monitor/1003", {})]


def test_without_an_api_url_the_client_calls_the_api_of_the_site(
  datadog_registry, dbsession, make, datadog_api, monkeypatch
):
  # Through the local proxy, which refuses the tunnel: what the client asked for is recorded.
  monkeypatch.setitem(datadog_registry.settings, "prodmanager.datadog.api_url", "")
  monkeypatch.setitem(datadog_registry.settings, "prodmanager.datadog.site", "us5.datadoghq.com")
  monkeypatch.setitem(datadog_registry.settings, "prodmanager.datadog.proxy", datadog_api.url)
  row = watched(make, "1003")
  outcome = run_datadog(datadog_registry)
  assert datadog_api.requests == [("CONNECT", "api.us5.datadoghq.com:443", {})]
  assert outcome.outcome == "failed"
  assert outcome.errors[0].startswith(f"Checkout (#{row.id}): DatadogError: Datadog cannot be reached: ")
  assert reload(dbsession, row).status.value == "ok"


@pytest.mark.parametrize(
  ("variable", "value", "message"),
  [
    ("DD_SITE", "https://datadoghq.eu", "DD_SITE='https://datadoghq.eu': expected a Datadog site"),
    (
      "DD_MONITOR_HOSTNAME",
      "app.datadoghq.eu/x",
      "DD_MONITOR_HOSTNAME='app.datadoghq.eu/x': expected a host name",
    ),
    ("DD_API_URL", "api.datadoghq.eu", "DD_API_URL='api.datadoghq.eu': expected the API's base URL"),
    ("DD_PROXY_HTTPS", "socks5://proxy:1080", "DD_PROXY_HTTPS='socks5://proxy:1080': expected a proxy URL"),
    ("DD_TIMEOUT", "0", "DD_TIMEOUT='0': expected a number of seconds between 0 and 300"),
    (
      "PM_DATADOG_INTERVAL",
      "5",
      "PM_DATADOG_INTERVAL='5': expected 0 (not scheduled) or 10 to 604800 seconds",
    ),
  ],
)
def test_bad_settings_stop_startup_naming_the_variable(
  app_settings, enabled_plugins, variable, value, message
):
  with pytest.raises(ConfigurationError) as raised:
    make_app(sorted({*enabled_plugins, "datadog"}), app_settings, environ={variable: value})
  assert message in str(raised.value)


def test_0_22_variables_configure_the_integration(app_settings, enabled_plugins):
  environ = {
    "DD_API_KEY": "api-key-022",
    "DD_APPLICATION_KEY": "app-key-022",
    "DD_SITE": "datadoghq.eu",
    "PM_DATADOG_INTERVAL": "120",
  }
  app = make_app(sorted({*enabled_plugins, "datadog"}), app_settings, environ=environ)
  try:
    settings = app.registry.settings
    assert settings["prodmanager.datadog.api_key"] == "api-key-022"
    assert settings["prodmanager.datadog.application_key"] == "app-key-022"
    assert settings["prodmanager.datadog.site"] == "datadoghq.eu"
    # 0.22's default: the links' host is DD_SITE when DD_MONITOR_HOSTNAME is not set.
    assert checks.monitor_link(settings, 42) == "https://datadoghq.eu/monitors/42"
    assert app_state(app.registry).integrations["datadog"].interval(settings) == 120
  finally:
    app_state(app.registry).db_engine.dispose()
