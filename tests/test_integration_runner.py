"""The integration runner (prodmanager.runs): which monitors an integration gets, what is written,
failures, the run timeout, run records, freshness, the once-per-interval rule and the locks."""

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select

from prodmanager.integrations import Integration, Verdict
from prodmanager.jobs import JobRunner, integration_jobs
from prodmanager.locks import try_lock
from prodmanager.runs import IntegrationCheck, IntegrationRun, WorkerSchedule, run_integration
from prodmanager.state import app_state
from prodmanager_monitor.models import Monitor, MonitorStatus


@pytest.fixture
def probe(registry):
  """``probe(check=...)`` registers the integration "probe" on the test application for the test."""
  integrations = app_state(registry).integrations
  added = []

  def register(check=None, check_all=None, name="probe", interval=60, prepare=None, close=None):
    integration = Integration(name, check, check_all, prepare, close, interval, "a probe for the tests")
    integrations.add(integration)
    added.append(name)
    return integration

  yield register
  for name in added:
    integrations.by_name.pop(name, None)


def statuses(dbsession, *rows) -> list[str]:
  dbsession.expire_all()
  return [dbsession.get(Monitor, row.id).status.value for row in rows]


def runs(dbsession) -> list[IntegrationRun]:
  dbsession.expire_all()
  return list(dbsession.scalars(select(IntegrationRun).order_by(IntegrationRun.id)))


def by_name(answers: dict):
  """A check answering from ``answers`` by monitor name (an exception instance is raised)."""

  def check(context, monitor):
    answer = answers[monitor.name]
    if isinstance(answer, Exception):
      raise answer
    return answer

  return check


def test_an_integration_gets_the_monitors_named_after_it_or_its_suffix(
  registry, dbsession, make, probe, monkeypatch
):
  seen = []
  integration = probe(check=lambda context, monitor: seen.append((context.matched, monitor.name)) or "ok")
  make.monitor(name="Mine", integration="probe")
  make.monitor(name="Suffixed", integration="probe_eu")
  make.monitor(name="Other", integration="probes")
  make.monitor(name="Manual")
  run_integration(registry, integration, force=True)
  assert seen == [("probe", "Mine")]
  seen.clear()
  monkeypatch.setitem(registry.settings, "prodmanager.integration_suffix", "eu")
  run_integration(registry, integration, force=True)
  assert seen == [("probe_eu", "Suffixed")]
  assert [run.matched for run in runs(dbsession)] == ["probe", "probe_eu"]


def test_monitors_are_written_only_when_their_status_changes(registry, dbsession, make, probe):
  answers = {"Web": "alert", "Api": "ok", "Db": Verdict("warning", "slow")}
  integration = probe(check=by_name(answers))
  web, api, db = (
    make.monitor(name=name, integration="probe", since=dt.datetime.now(dt.UTC)) for name in answers
  )
  before = len(make.monitor_history())
  first = run_integration(registry, integration, force=True)
  assert (first.outcome, first.seen, first.changed, first.failed) == ("ok", 3, 2, 0)
  assert statuses(dbsession, web, api, db) == ["alert", "ok", "warning"]
  history = make.monitor_history()[before:]
  assert sorted(history) == sorted([(web.id, "ok", "alert"), (db.id, "ok", "warning")])
  # The same answers again: nothing changes, no history row.
  second = run_integration(registry, integration, force=True)
  assert (second.changed, len(make.monitor_history()) - before) == (0, 2)
  answers["Web"] = "ok"
  third = run_integration(registry, integration, force=True)
  assert third.changed == 1 and make.monitor_history()[-1] == (web.id, "alert", "ok")


def test_a_status_change_emits_a_domain_event_naming_the_integration(registry, make, probe, domain_events):
  integration = probe(check=lambda context, monitor: "alert")
  row = make.monitor(name="Web", integration="probe")
  run_integration(registry, integration, force=True)
  changed = [event for event in domain_events if event.name == "monitor.status_changed"]
  assert [(event.id, event.data) for event in changed] == [
    (row.id, {"old": "ok", "new": "alert", "source": "probe"})
  ]


def test_a_failing_monitor_is_logged_and_skipped_never_aborting_the_run(
  registry, dbsession, make, probe, caplog
):
  answers = {"Broken": ConnectionError("refused"), "Odd": "purple", "Fine": "alert", "Quiet": None}
  integration = probe(check=by_name(answers))
  rows = [make.monitor(name=name, integration="probe", status="warning") for name in answers]
  outcome = run_integration(registry, integration, force=True)
  assert (outcome.outcome, outcome.seen, outcome.changed, outcome.failed, outcome.skipped) == (
    "partial",
    4,
    1,
    2,
    1,
  )
  assert statuses(dbsession, *rows) == ["warning", "warning", "alert", "warning"]
  (run,) = runs(dbsession)
  assert run.ended_at is not None and run.ended_at >= run.started_at
  assert (run.seen, run.changed, run.failed, run.skipped, run.outcome) == (4, 1, 2, 1, "partial")
  assert run.error_lines == [
    f"Broken (#{rows[0].id}): ConnectionError: refused",
    f"Odd (#{rows[1].id}): ValueError: status 'purple': expected one of ok, warning, alert",
  ]
  assert "Broken" in caplog.text and "refused" in caplog.text


def test_check_all_answers_for_every_monitor_at_once(registry, dbsession, make, probe):
  calls = []

  def check_all(context, monitors):
    calls.append([monitor.name for monitor in monitors])
    first, second, _third = monitors
    return {first.id: "alert", second.id: TimeoutError("no answer from the API")}

  integration = probe(check_all=check_all)
  rows = [make.monitor(name=name, integration="probe") for name in ("One", "Two", "Three")]
  outcome = run_integration(registry, integration, force=True)
  assert calls == [["One", "Two", "Three"]]
  assert (outcome.changed, outcome.failed, outcome.skipped, outcome.outcome) == (1, 1, 1, "partial")
  assert statuses(dbsession, *rows) == ["alert", "ok", "ok"]


def test_a_verdict_link_sets_the_external_link_only_when_it_differs(registry, dbsession, make, probe):
  links = {"Linked": "https://app.example.test/monitors/1", "Plain": None}
  integration = probe(check=lambda context, monitor: Verdict("ok", link=links[monitor.name]))
  linked = make.monitor(name="Linked", integration="probe", external_link="https://old.example.test/1")
  plain = make.monitor(name="Plain", integration="probe", external_link="https://kept.example.test/")
  writes = []
  target = app_state(registry).integrations.target
  original = target.set_link

  def counting(session, ident, link, *, source):
    writes.append((ident, link, source))
    return original(session, ident, link, source=source)

  target.set_link = counting
  try:
    before = len(make.monitor_history())
    first = run_integration(registry, integration, force=True)
    second = run_integration(registry, integration, force=True)
  finally:
    del target.set_link
  assert (first.changed, second.changed, len(make.monitor_history()) - before) == (0, 0, 0)
  dbsession.expire_all()
  assert dbsession.get(Monitor, linked.id).external_link == "https://app.example.test/monitors/1"
  assert dbsession.get(Monitor, plain.id).external_link == "https://kept.example.test/"
  # Written once: the second run's snapshot already had the link.
  assert writes == [(linked.id, "https://app.example.test/monitors/1", "probe")]


def test_a_batch_that_raises_fails_every_monitor(registry, dbsession, make, probe):
  def check_all(context, monitors):
    raise PermissionError("403 Forbidden: bad API key")

  integration = probe(check_all=check_all)
  make.monitor(name="One", integration="probe")
  make.monitor(name="Two", integration="probe")
  outcome = run_integration(registry, integration, force=True)
  assert (outcome.outcome, outcome.failed) == ("failed", 2)
  assert all("bad API key" in line for line in outcome.errors)


def test_prepare_gives_the_checks_their_state_and_close_always_runs(registry, make, probe):
  closed = []
  integration = probe(
    check=lambda context, monitor: context.state["status"],
    prepare=lambda context: {"status": "warning", "matched": context.matched},
    close=closed.append,
  )
  make.monitor(name="One", integration="probe")
  assert run_integration(registry, integration, force=True).changed == 1
  assert closed == [{"status": "warning", "matched": "probe"}]


def test_a_failing_prepare_fails_every_monitor_with_one_warning_line(registry, make, probe, caplog):
  # A setting left unset (JENKINS_URL) fails every run of the worker: one line each time, not a
  # traceback every minute (it stays in the debug logs).
  def prepare(context):
    raise RuntimeError("SOME_URL is not set")

  integration = probe(check=lambda context, monitor: "ok", prepare=prepare)
  make.monitor(name="One", integration="probe")
  make.monitor(name="Two", integration="probe")
  with caplog.at_level("INFO", logger="prodmanager.runs"):
    outcome = run_integration(registry, integration, force=True)
  assert (outcome.failed, outcome.changed) == (2, 0)
  assert any("RuntimeError: SOME_URL is not set" in line for line in outcome.errors)
  prepared = [record for record in caplog.records if "prepare failed" in record.getMessage()]
  assert [record.levelname for record in prepared] == ["WARNING"]
  assert prepared[0].getMessage() == "integration probe: prepare failed: RuntimeError: SOME_URL is not set"
  assert prepared[0].exc_info is None


def test_the_run_timeout_fails_the_monitors_not_answered_in_time(
  registry, dbsession, make, probe, monkeypatch
):
  release = threading.Event()

  def check(context, monitor):
    if monitor.name == "Hangs":
      release.wait(30)
    return "alert"

  monkeypatch.setitem(registry.settings, "prodmanager.integration_run_timeout", 1)
  integration = probe(check=check)
  hangs = make.monitor(name="Hangs", integration="probe")
  quick = make.monitor(name="Quick", integration="probe")
  try:
    outcome = run_integration(registry, integration, force=True)
  finally:
    release.set()
  assert (outcome.outcome, outcome.changed, outcome.failed) == ("timeout", 1, 1)
  assert outcome.errors == [f"Hangs (#{hangs.id}): RunTimeout: no answer within the run timeout (1 s)"]
  assert statuses(dbsession, hangs, quick) == ["ok", "alert"]


def test_repeated_failures_show_no_data_since_on_the_monitor_page(
  registry, dbsession, make, probe, webapp, operator
):
  answers = {"Web": "ok"}
  integration = probe(check=by_name(answers))
  row = make.monitor(name="Web", integration="probe", status="ok")
  run_integration(registry, integration, force=True)
  page = webapp.get(f"/monitor/{row.id}")
  assert "No data since" not in page.text
  answers["Web"] = ConnectionError("connection refused by 10.0.0.7")
  for _ in range(2):
    run_integration(registry, integration, force=True)
  assert "No data since" not in webapp.get(f"/monitor/{row.id}").text  # 2 < PM_INTEGRATION_STALE_AFTER
  run_integration(registry, integration, force=True)
  dbsession.expire_all()
  check = dbsession.get(IntegrationCheck, row.id)
  assert (check.failures, check.integration) == (3, "probe")
  page = webapp.get(f"/monitor/{row.id}")
  status = page.html.select_one(".monitor-stale").get_text(" ", strip=True)
  assert status.startswith("No data since") and "its probe check failed 3 times in a row" in status
  assert "10.0.0.7" in page.text  # the operator sees the last error
  # An answer again: the status is shown again.
  answers["Web"] = "ok"
  run_integration(registry, integration, force=True)
  assert webapp.get(f"/monitor/{row.id}").html.select_one(".monitor-stale") is None


def test_visitors_see_no_data_since_without_the_error(registry, make, probe, webapp):
  integration = probe(
    check=lambda context, monitor: (_ for _ in ()).throw(OSError("host 10.0.0.7 unreachable"))
  )
  row = make.monitor(name="Web", integration="probe")
  for _ in range(3):
    run_integration(registry, integration, force=True)
  page = webapp.get(f"/monitor/{row.id}")
  assert "No data yet" in page.html.select_one(".monitor-stale").get_text()
  assert "10.0.0.7" not in page.text


def test_a_monitor_given_to_another_integration_loses_its_freshness_record(registry, dbsession, make, probe):
  integration = probe(check=lambda context, monitor: "ok")
  row = make.monitor(name="Web", integration="probe")
  run_integration(registry, integration, force=True)
  assert dbsession.get(IntegrationCheck, row.id) is not None
  row.integration = "manual"
  dbsession.flush()
  run_integration(registry, integration, force=True)
  dbsession.expire_all()
  assert dbsession.get(IntegrationCheck, row.id) is None


def test_an_integration_runs_once_per_interval_unless_forced(registry, dbsession, make, probe):
  calls = []
  integration = probe(check=lambda context, monitor: calls.append(monitor.id) or "ok", interval=60)
  make.monitor(name="Web", integration="probe")
  first = run_integration(registry, integration)
  second = run_integration(registry, integration)
  assert first.ran and not second.ran and "interval 60 s" in second.reason
  assert run_integration(registry, integration, force=True).ran
  assert len(calls) == 2 and len(runs(dbsession)) == 2
  assert dbsession.get(WorkerSchedule, "integration:probe") is not None


def test_a_run_held_by_another_process_is_skipped(registry, make, probe):
  integration = probe(check=lambda context, monitor: "ok")
  with try_lock(registry, "integration:probe", 60) as held:
    assert held
    outcome = run_integration(registry, integration, force=True)
  assert not outcome.ran and outcome.reason == "running in another process"


def test_the_worker_runs_the_scheduled_integrations(registry, dbsession, make, probe, monkeypatch):
  probe(check=lambda context, monitor: "alert", interval=60)
  probe(check=lambda context, monitor: "alert", name="manual", interval=0)
  row = make.monitor(name="Web", integration="probe")
  assert [job.name for job in integration_jobs(registry)] == ["integration probe"]
  outcomes = JobRunner(registry, jobs=integration_jobs(registry)).run_due()
  assert [(outcome.name, outcome.ok, outcome.skipped) for outcome in outcomes] == [
    ("integration probe", True, None)
  ]
  assert statuses(dbsession, row) == ["alert"]
  # A second worker started at the same time finds this interval taken.
  again = JobRunner(registry, jobs=integration_jobs(registry)).run_due()
  assert again[0].skipped and len(runs(dbsession)) == 1


def test_two_workers_run_a_job_once_per_interval(registry, dbsession):
  from prodmanager.jobs import Job

  calls = []
  job = Job("count", lambda context: calls.append(1), 60.0, "counts its runs")
  first = JobRunner(registry, jobs=[job]).run_due()
  second = JobRunner(registry, jobs=[job]).run_due()
  assert calls == [1]
  assert first[0].skipped is None and second[0].skipped == "started in this interval by another process"


def test_the_operators_page_lists_integrations_and_runs(registry, make, probe, webapp, operator):
  integration = probe(check=by_name({"Web": ConnectionError("refused")}))
  make.monitor(name="Web", integration="probe")
  run_integration(registry, integration, force=True)
  page = webapp.get("/integrations")
  rows = [row.get_text(" ", strip=True) for row in page.html.select("tbody tr")]
  assert any(text.startswith("probe a probe for the tests integration = probe every 60 s") for text in rows)
  assert any("failed" in text and "ConnectionError: refused" in text for text in rows)


def test_the_operators_page_fits_a_phone_and_colours_the_outcomes(registry, make, probe, webapp, operator):
  # Its tables stack on a phone (a label on every cell) instead of running off the screen, and a
  # failed run is a red badge, an ok one green (they were grey, so a failure did not stand out).
  integration = probe(check=by_name({"Web": ConnectionError("refused")}))
  make.monitor(name="Web", integration="probe")
  run_integration(registry, integration, force=True)
  page = webapp.get("/integrations", headers={"Accept-Language": "fr"})
  tables = page.html.select("table")
  assert len(tables) == 2
  for table in tables:
    assert {"table-stack", "integrations-table"} <= set(table["class"])
    assert table.parent.name == "div" and "table-wrap" in table.parent["class"]
    for cell in table.select("tbody td"):
      assert cell.get("data-label", "").strip(), cell
  assert (
    page.html.select_one("tbody td[data-label='Résultat'] .badge-run-failed").get_text(strip=True) == "échec"
  )
  tones = webapp.get("/tones.css").text
  red = next(rule for rule in tones.splitlines() if "var(--red-bg)" in rule)
  green = next(rule for rule in tones.splitlines() if "var(--green-bg)" in rule)
  assert ".badge-run-failed" in red and ".badge-run-timeout" in red and ".badge-run-ok" in green


def test_the_operators_page_is_for_operators(webapp):
  response = webapp.get("/integrations", status="*")
  assert response.status_int in (302, 303, 403)
  assert "Recent runs" not in response.text


def test_metrics_show_the_recorded_runs(registry, make, probe, webapp):
  integration = probe(check=by_name({"Web": "alert", "Db": OSError("down")}))
  make.monitor(name="Web", integration="probe")
  make.monitor(name="Db", integration="probe")
  run_integration(registry, integration, force=True)
  text = webapp.get("/metrics").text
  assert 'prodmanager_integration_runs{integration="probe",outcome="partial"} 1.0' in text
  assert 'prodmanager_integration_last_run_monitors{integration="probe",result="changed"} 1.0' in text
  assert 'prodmanager_integration_last_run_monitors{integration="probe",result="failed"} 1.0' in text
  assert 'prodmanager_integration_last_run_start_timestamp_seconds{integration="probe"}' in text


def test_errors_are_stored_as_a_bounded_list(registry, dbsession, make, probe):
  integration = probe(check=lambda context, monitor: (_ for _ in ()).throw(RuntimeError("x" * 2000)))
  for number in range(12):
    make.monitor(name=f"Monitor {number}", integration="probe")
  outcome = run_integration(registry, integration, force=True)
  (run,) = runs(dbsession)
  assert outcome.failed == 12 and len(json.loads(run.errors)) == 10
  assert all(len(line) <= 500 for line in run.error_lines)


def test_a_monitor_deleted_while_its_check_runs_is_skipped(registry, dbsession, make, probe):
  def check(context, monitor):
    return "alert"

  integration = probe(check=check)
  row = make.monitor(name="Gone", integration="probe")
  target = app_state(registry).integrations.target
  with pytest.raises(LookupError):
    target.set_status(dbsession, row.id + 1000, "alert", source="probe")
  assert MonitorStatus.OK == row.status
  assert run_integration(registry, integration, force=True).changed == 1
