"""The jenkins integration against a local server speaking the Jenkins JSON API: the results'
mapping, folder paths, folders and missing jobs, credentials, failing Jenkins, settings
(docs/integrations.md, "jenkins")."""

import json

import pytest
from jenkins_fake import PREFIX, TOKEN, USERNAME, jenkins_settings

from prodmanager.runs import IntegrationRun, run_integration
from prodmanager.settings import ConfigurationError
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET, make_app
from prodmanager_monitor.models import Monitor

JOB_TREE = "_class,url,lastCompletedBuild[number,result,url]"


def run_jenkins(registry):
  return run_integration(registry, app_state(registry).integrations["jenkins"], force=True)


def status_of(dbsession, row) -> str:
  dbsession.expire_all()
  return dbsession.get(Monitor, row.id).status.value


def jenkins_monitor(make, reference, status="warning", name=None, integration="jenkins"):
  return make.monitor(
    name=name or f"Job {reference}", integration=integration, external_reference=reference, status=status
  )


@pytest.mark.parametrize(
  ("reference", "before", "after"),
  [
    ("app", "warning", "ok"),
    ("flaky", "ok", "warning"),
    ("broken", "ok", "alert"),
    ("team/backend/deploy prod", "ok", "alert"),
    ("team/backend/build", "alert", "ok"),
    ("shop/main", "alert", "ok"),
  ],
)
def test_the_last_completed_build_sets_the_status(
  jenkins_registry, dbsession, make, jenkins_server, reference, before, after
):
  row = jenkins_monitor(make, reference, before)
  outcome = run_jenkins(jenkins_registry)
  assert status_of(dbsession, row) == after
  assert (outcome.seen, outcome.changed, outcome.failed, outcome.outcome) == (1, 1, 0, "ok")


def test_a_job_path_is_read_at_its_folders_url_with_the_credentials(jenkins_registry, make, jenkins_server):
  jenkins_monitor(make, "team/backend/deploy prod")
  before = len(jenkins_server.requests)
  run_jenkins(jenkins_registry)
  assert jenkins_server.requests[before:] == [
    (f"{PREFIX}/api/json", "_class", True),
    (f"{PREFIX}/job/team/job/backend/job/deploy%20prod/api/json", JOB_TREE, True),
  ]


def test_the_monitor_links_to_the_job_page_under_jenkins_url(
  jenkins_registry, dbsession, make, jenkins_server
):
  row = make.monitor(
    name="Deploy",
    integration="jenkins",
    external_reference="team/backend/deploy prod",
    external_link="https://old-ci.example.com/job/deploy/",
  )
  kept = jenkins_monitor(make, "fresh")
  run_jenkins(jenkins_registry)
  dbsession.expire_all()
  page = f"{jenkins_server.url}/job/team/job/backend/job/deploy%20prod/"
  assert dbsession.get(Monitor, row.id).external_link == page
  # No completed build: nothing is said about the job, its link included.
  assert dbsession.get(Monitor, kept.id).external_link is None
  second = run_jenkins(jenkins_registry)
  dbsession.expire_all()
  assert (second.changed, dbsession.get(Monitor, row.id).external_link) == (0, page)


@pytest.mark.parametrize("reference", ["stopped", "skipped", "fresh"])
def test_aborted_not_built_and_never_completed_jobs_keep_the_status(
  jenkins_registry, dbsession, make, jenkins_server, reference
):
  row = jenkins_monitor(make, reference, "alert")
  outcome = run_jenkins(jenkins_registry)
  assert status_of(dbsession, row) == "alert"
  assert (outcome.changed, outcome.failed, outcome.skipped, outcome.outcome) == (0, 0, 1, "ok")


@pytest.mark.parametrize(
  ("reference", "message"),
  [
    ("team", "JenkinsError: 'team' is a folder (com.cloudbees.hudson.plugins.folder.Folder), not a job"),
    ("team/empty", "JenkinsError: 'team/empty' is a folder"),
    (
      "shop",
      "JenkinsError: 'shop' is a folder (org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject)",
    ),
    ("team/frontend/deploy", "JenkinsError: no job 'team/frontend/deploy' in Jenkins (HTTP 404)"),
    ("gone", "JenkinsError: no job 'gone' in Jenkins (HTTP 404)"),
    ("team//deploy", "ValueError: external_reference 'team//deploy': expected the job's full name"),
    ("error", "JenkinsError: job 'error': HTTP 500"),
    ("html", "JenkinsError: job 'html': the answer is not a JSON object"),
    (
      "moved",
      "JenkinsError: job 'moved': HTTP 302 to https://sso.example.com/login: set JENKINS_URL to the address",
    ),
  ],
)
def test_folders_missing_jobs_and_failing_answers_fail_the_monitor_only(
  jenkins_registry, dbsession, make, jenkins_server, reference, message
):
  bad = jenkins_monitor(make, reference, "ok", name="Bad")
  good = jenkins_monitor(make, "broken", "ok", name="Good")
  outcome = run_jenkins(jenkins_registry)
  assert (status_of(dbsession, bad), status_of(dbsession, good)) == ("ok", "alert")
  assert (outcome.seen, outcome.changed, outcome.failed, outcome.outcome) == (2, 1, 1, "partial")
  assert len(outcome.errors) == 1
  assert outcome.errors[0].startswith(f"Bad (#{bad.id}): {message}")


def test_a_jenkins_slower_than_the_timeout_fails_the_monitor_without_alerting(
  jenkins_registry, dbsession, make, jenkins_server
):
  row = jenkins_monitor(make, "slow", "ok")
  outcome = run_jenkins(jenkins_registry)
  assert status_of(dbsession, row) == "ok"
  assert outcome.outcome == "failed"
  assert "job 'slow': no answer within 1.5 s (JENKINS_TIMEOUT" in outcome.errors[0]


def test_a_monitor_without_job_path_is_left_alone(jenkins_registry, dbsession, make, jenkins_server):
  row = jenkins_monitor(make, None)
  outcome = run_jenkins(jenkins_registry)
  assert (status_of(dbsession, row), outcome.skipped, outcome.failed) == ("warning", 1, 0)


def test_the_status_is_written_only_when_it_changes(jenkins_registry, dbsession, make, jenkins_server):
  row = jenkins_monitor(make, "app", "warning")
  first = run_jenkins(jenkins_registry)
  second = run_jenkins(jenkins_registry)
  jenkins_server.set_result("app", "FAILURE")
  third = run_jenkins(jenkins_registry)
  fourth = run_jenkins(jenkins_registry)
  assert [run.changed for run in (first, second, third, fourth)] == [1, 0, 1, 0]
  assert status_of(dbsession, row) == "alert"
  history = [(old, new) for ident, old, new in make.monitor_history() if ident == row.id]
  assert history == [("warning", "ok"), ("ok", "alert")]


def test_refused_credentials_fail_the_run_with_one_clear_error(
  jenkins_registry, dbsession, make, jenkins_server, monkeypatch
):
  monkeypatch.setitem(jenkins_registry.settings, "prodmanager.jenkins.token", "not-the-token")
  rows = [jenkins_monitor(make, "app", "alert"), jenkins_monitor(make, "broken", "ok")]
  before = len(jenkins_server.requests)
  outcome = run_jenkins(jenkins_registry)
  assert [status_of(dbsession, row) for row in rows] == ["alert", "ok"]
  assert (outcome.outcome, outcome.failed, outcome.changed) == ("failed", 2, 0)
  assert all(
    "refused the credentials (HTTP 401): check JENKINS_USERNAME and JENKINS_TOKEN" in line
    for line in outcome.errors
  )
  # One call (the credentials' check), made with the wrong token, and no call per job.
  assert jenkins_server.requests[before:] == [(f"{PREFIX}/api/json", "_class", False)]
  run = dbsession.get(IntegrationRun, outcome.run_id)
  assert run.outcome == "failed" and run.failed == 2 and "HTTP 401" in json.loads(run.errors)[0]


def test_anonymous_access_refused_by_jenkins_is_a_clear_error(
  jenkins_registry, dbsession, make, jenkins_server, monkeypatch
):
  monkeypatch.setitem(jenkins_registry.settings, "prodmanager.jenkins.username", "")
  monkeypatch.setitem(jenkins_registry.settings, "prodmanager.jenkins.token", "")
  jenkins_monitor(make, "app")
  outcome = run_jenkins(jenkins_registry)
  assert outcome.outcome == "failed"
  assert "refused read access to anonymous access (no JENKINS_USERNAME) (HTTP 403)" in outcome.errors[0]


def test_a_username_without_token_is_a_configuration_error(
  jenkins_registry, make, jenkins_server, monkeypatch
):
  monkeypatch.setitem(jenkins_registry.settings, "prodmanager.jenkins.token", "")
  jenkins_monitor(make, "app")
  before = len(jenkins_server.requests)
  outcome = run_jenkins(jenkins_registry)
  assert outcome.outcome == "failed"
  assert "JENKINS_USERNAME and JENKINS_TOKEN go together" in outcome.errors[0]
  assert jenkins_server.requests[before:] == []


def test_without_jenkins_url_the_run_records_a_configuration_error(
  other_jenkins_app, dbsession, make, jenkins_server
):
  app = other_jenkins_app({"jenkins.username": USERNAME, "jenkins.token": TOKEN})
  row = jenkins_monitor(make, "app", "alert")
  outcome = run_jenkins(app.registry)
  assert status_of(dbsession, row) == "alert"
  assert (outcome.outcome, outcome.failed) == ("failed", 1)
  run = dbsession.get(IntegrationRun, outcome.run_id)
  assert run.outcome == "failed"
  assert "JenkinsError: JENKINS_URL is not set" in json.loads(run.errors)[0]


def test_a_wrong_jenkins_url_is_a_clear_error(other_jenkins_app, make, jenkins_server):
  app = other_jenkins_app(jenkins_settings(jenkins_server.url.removesuffix(PREFIX) + "/ci"))
  jenkins_monitor(make, "app")
  outcome = run_jenkins(app.registry)
  assert outcome.outcome == "failed"
  assert "no JSON API there (HTTP 404): check JENKINS_URL" in outcome.errors[0]


def test_an_unreachable_jenkins_fails_the_run_and_alerts_nothing(other_jenkins_app, dbsession, make):
  import socket

  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
  app = other_jenkins_app(jenkins_settings(f"http://127.0.0.1:{port}"))
  row = jenkins_monitor(make, "app", "ok")
  outcome = run_jenkins(app.registry)
  assert (status_of(dbsession, row), outcome.outcome) == ("ok", "failed")
  assert "ConnectError" in outcome.errors[0]


def test_the_suffix_chooses_the_monitors(other_jenkins_app, dbsession, make, jenkins_server):
  app = other_jenkins_app(jenkins_settings(jenkins_server.url), {"PM_INTEGRATION_SUFFIX": "eu"})
  plain = jenkins_monitor(make, "app", "warning", name="Plain")
  europe = jenkins_monitor(make, "broken", "warning", name="Europe", integration="jenkins_eu")
  other = jenkins_monitor(make, "flaky", "ok", name="Other", integration="jenkins_us")
  before = len(jenkins_server.requests)
  outcome = run_jenkins(app.registry)
  assert (outcome.seen, outcome.changed) == (1, 1)
  assert [status_of(dbsession, row) for row in (plain, europe, other)] == ["warning", "alert", "ok"]
  assert [path for path, _tree, _auth in jenkins_server.requests[before:]] == [
    f"{PREFIX}/api/json",
    f"{PREFIX}/job/broken/api/json",
  ]
  run = dbsession.get(IntegrationRun, outcome.run_id)
  assert (run.integration, run.matched) == ("jenkins", "jenkins_eu")


def test_only_the_monitors_of_the_jenkins_integration_are_checked(
  jenkins_registry, dbsession, make, jenkins_server
):
  manual = make.monitor(name="Manual", external_reference="app", status="warning")
  http = make.monitor(name="Http", integration="http", external_reference="app", status="warning")
  mine = jenkins_monitor(make, "app", "warning")
  outcome = run_jenkins(jenkins_registry)
  assert outcome.seen == 1
  assert [status_of(dbsession, row) for row in (manual, http, mine)] == ["warning", "warning", "ok"]


def test_an_untrusted_certificate_fails_unless_its_ca_is_given(
  other_jenkins_app, dbsession, make, tls_jenkins_server, certificate_authority, tmp_path
):
  row = jenkins_monitor(make, "app", "warning")
  untrusted = other_jenkins_app(jenkins_settings(tls_jenkins_server.url))
  outcome = run_jenkins(untrusted.registry)
  assert (status_of(dbsession, row), outcome.outcome) == ("warning", "failed")
  assert "CERTIFICATE_VERIFY_FAILED" in outcome.errors[0]
  bundle = tmp_path / "company-ca.pem"
  certificate_authority.cert_pem.write_to_path(str(bundle))
  trusted = other_jenkins_app(
    jenkins_settings(tls_jenkins_server.url, **{"jenkins.verify_cert": str(bundle)})
  )
  assert run_jenkins(trusted.registry).outcome == "ok"
  assert status_of(dbsession, row) == "ok"
  unverified = other_jenkins_app(jenkins_settings(tls_jenkins_server.url, **{"jenkins.verify_cert": "false"}))
  tls_jenkins_server.set_result("app", "UNSTABLE")
  assert run_jenkins(unverified.registry).outcome == "ok"
  assert status_of(dbsession, row) == "warning"


@pytest.mark.parametrize(
  ("variable", "value", "message"),
  [
    (
      "JENKINS_URL",
      "ci.example.com",
      "JENKINS_URL='ci.example.com': expected the http:// or https:// address",
    ),
    (
      "JENKINS_URL",
      "https://ci.example.com/?x=1",
      "JENKINS_URL='https://ci.example.com/?x=1': expected the address",
    ),
    ("JENKINS_TIMEOUT", "soon", "JENKINS_TIMEOUT='soon': expected a number of seconds"),
    ("JENKINS_TIMEOUT", "0", "JENKINS_TIMEOUT='0': expected a number of seconds between 0 and 120"),
    ("JENKINS_VERIFY_CERT", "/no/such/ca.pem", "JENKINS_VERIFY_CERT='/no/such/ca.pem': expected true, false"),
    (
      "PM_JENKINS_INTERVAL",
      "5",
      "PM_JENKINS_INTERVAL='5': expected 0 (not scheduled) or 10 to 604800 seconds",
    ),
  ],
)
def test_bad_settings_stop_startup_naming_the_variable(
  app_settings, enabled_plugins, variable, value, message
):
  with pytest.raises(ConfigurationError) as raised:
    make_app(sorted({*enabled_plugins, "jenkins"}), app_settings, environ={variable: value})
  assert message in str(raised.value)


def test_0_22_variables_configure_the_integration(app_settings, enabled_plugins):
  environ = {
    "JENKINS_URL": "https://ci.example.com/jenkins/",
    "JENKINS_USERNAME": "robot",
    "JENKINS_TOKEN": "11aa22bb33cc",
    "JENKINS_TIMEOUT": "20",
    "JENKINS_VERIFY_CERT": "no",
    "PM_JENKINS_INTERVAL": "300",
  }
  app = make_app(sorted({*enabled_plugins, "jenkins"}), app_settings, environ=environ)
  try:
    settings = app.registry.settings
    assert settings["prodmanager.jenkins.url"] == "https://ci.example.com/jenkins"
    assert settings["prodmanager.jenkins.username"] == "robot"
    assert settings["prodmanager.jenkins.token"] == "11aa22bb33cc"
    assert settings["prodmanager.jenkins.timeout"] == 20.0
    assert settings["prodmanager.jenkins.verify_cert"] is False
    integration = app_state(app.registry).integrations["jenkins"]
    assert integration.interval(settings) == 300
    assert "prodmanager.jenkins.token" in integration.settings
  finally:
    app_state(app.registry).db_engine.dispose()


def test_the_token_is_never_shown(app_settings, enabled_plugins):
  from prodmanager.settings import settings_report

  app = make_app(
    sorted({*enabled_plugins, "jenkins"}), app_settings, environ={"JENKINS_TOKEN": "11aa22bb33cc"}
  )
  try:
    report = "\n".join(settings_report(app.registry, {"JENKINS_TOKEN": "11aa22bb33cc"}))
    assert "JENKINS_TOKEN" in report and "11aa22bb33cc" not in report
  finally:
    app_state(app.registry).db_engine.dispose()


def test_a_monitor_created_through_the_api_is_set_by_the_next_run_and_shown_to_operators(
  jenkins_client, jenkins_registry, make, make_token, jenkins_server
):
  scope, service = make.scope(name="Production"), make.service(name="CI")
  created = jenkins_client.post_json(
    "/api/monitor",
    {
      "name": "Production deploy",
      "scope": scope.id,
      "service": service.id,
      "integration": "jenkins",
      "external_reference": "team/backend/deploy prod",
    },
    headers=make_token(["monitor_api"]),
    status=201,
  ).json
  assert created["status"] == "ok"
  outcome = run_jenkins(jenkins_registry)
  assert (outcome.seen, outcome.changed) == (1, 1)
  shown = jenkins_client.get(f"/api/monitor/{created['id']}").json
  assert (shown["status"], shown["external_link"]) == (
    "alert",
    f"{jenkins_server.url}/job/team/job/backend/job/deploy%20prod/",
  )
  page = jenkins_client.get(f"/monitor/{created['id']}")
  assert "Production deploy" in page.text
  login = jenkins_client.get("/login").forms["login-form"]
  login["secret"] = TEST_SECRET
  login.submit(status=303)
  runs = jenkins_client.get("/integrations")
  assert "jenkins" in runs.text and "last completed build of each monitor" in runs.text


def test_the_plugin_is_installed_and_enabled_by_default():
  from prodmanager.plugins import installed_plugins

  plugin = installed_plugins()["jenkins"]
  assert (plugin.distribution, plugin.requires, plugin.enabled_by_default) == (
    "prodmanager-jenkins",
    ["monitor"],
    True,
  )
