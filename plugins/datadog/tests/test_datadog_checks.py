"""The datadog integration against a local server speaking the Datadog monitor API, read by the
official client: the state mapping, links, unknown ids and references, refused keys, server errors
and timeouts, writes only on change, paging, the suffix rule and the command line
(docs/integrations.md, "datadog")."""

import pytest

from prodmanager.runs import run_integration
from prodmanager.state import app_state
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
