"""The http integration against real local servers: statuses, expectations, redirects, timeouts,
TLS verification and proxies (docs/integrations.md, "http")."""

import pytest

from prodmanager.runs import run_integration
from prodmanager.settings import ConfigurationError
from prodmanager.state import app_state
from prodmanager.testing import make_app
from prodmanager_monitor.models import Monitor


def run_http(registry):
  return run_integration(registry, app_state(registry).integrations["http"], force=True)


def status_after_run(registry, dbsession, make, link, reference=None, status="warning"):
  row = make.monitor(
    name="Checked", integration="http", external_link=link, external_reference=reference, status=status
  )
  outcome = run_http(registry)
  dbsession.expire_all()
  return dbsession.get(Monitor, row.id).status.value, outcome


@pytest.mark.parametrize(
  ("path", "expected"),
  [
    ("/ok", "ok"),
    ("/created", "ok"),
    ("/empty", "ok"),
    ("/moved", "ok"),
    ("/missing", "alert"),
    ("/fail", "alert"),
    ("/moved-to-fail", "alert"),
    ("/loop", "alert"),
  ],
)
def test_2xx_and_3xx_are_ok_anything_else_is_an_alert(
  http_registry, dbsession, make, http_server, path, expected
):
  status, outcome = status_after_run(http_registry, dbsession, make, http_server.url + path)
  assert status == expected
  assert (outcome.seen, outcome.changed, outcome.failed) == (1, 1, 0)


def test_a_timeout_is_an_alert(http_registry, dbsession, make, http_server):
  status, outcome = status_after_run(http_registry, dbsession, make, http_server.url + "/slow", status="ok")
  assert (status, outcome.failed) == ("alert", 0)


def test_a_refused_connection_is_an_alert(http_registry, dbsession, make):
  import socket

  with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
  status, _outcome = status_after_run(
    http_registry, dbsession, make, f"http://127.0.0.1:{port}/", status="ok"
  )
  assert status == "alert"


@pytest.mark.parametrize(
  ("path", "reference", "expected"),
  [
    ("/empty", "status=204", "ok"),
    ("/ok", "status=204", "alert"),
    ("/missing", "status=404", "ok"),
    ("/created", "status=200-201", "ok"),
    ("/ok", "keyword=ready", "ok"),
    ("/ok", "keyword=maintenance", "alert"),
    ("/ok", "status=200&keyword=ready", "ok"),
    ("/fail", "keyword=internal", "alert"),
  ],
)
def test_an_expected_status_or_keyword_refines_ok(
  http_registry, dbsession, make, http_server, path, reference, expected
):
  status, outcome = status_after_run(http_registry, dbsession, make, http_server.url + path, reference)
  assert (status, outcome.failed) == (expected, 0)


@pytest.mark.parametrize(
  ("link", "reference", "message"),
  [
    ("ftp://files.example.com/", None, "expected an http:// or https:// URL"),
    ("/ok", "status=abc", "status expects a code (204) or a range (200-299)"),
    ("/ok", "status=300-200", "the status range ends before it starts"),
    ("/ok", "colour=red", "unknown colour (expected status, keyword)"),
    ("/ok", "keyword=", "keyword is empty"),
  ],
)
def test_a_monitor_configured_wrongly_fails_with_a_clear_error(
  http_registry, dbsession, make, http_server, link, reference, message
):
  link = http_server.url + link if link.startswith("/") else link
  status, outcome = status_after_run(http_registry, dbsession, make, link, reference)
  assert (status, outcome.failed, outcome.outcome) == ("warning", 1, "failed")
  assert message in outcome.errors[0] and outcome.errors[0].startswith("Checked (#")


def test_a_monitor_without_url_is_left_alone(http_registry, dbsession, make):
  status, outcome = status_after_run(http_registry, dbsession, make, None)
  assert (status, outcome.skipped, outcome.failed) == ("warning", 1, 0)


def test_redirects_are_judged_themselves_when_not_followed(
  http_registry, dbsession, make, http_server, monkeypatch
):
  monkeypatch.setitem(http_registry.settings, "prodmanager.http.allow_redirect", False)
  assert status_after_run(http_registry, dbsession, make, http_server.url + "/moved-to-fail")[0] == "ok"
  assert (
    status_after_run(http_registry, dbsession, make, http_server.url + "/moved", "status=200")[0] == "alert"
  )


def test_an_untrusted_certificate_is_an_alert_unless_verification_is_off(
  http_registry, dbsession, make, tls_server, monkeypatch
):
  assert status_after_run(http_registry, dbsession, make, tls_server.url + "/ok", status="ok")[0] == "alert"
  monkeypatch.setitem(http_registry.settings, "prodmanager.http.verify_cert", False)
  assert status_after_run(http_registry, dbsession, make, tls_server.url + "/ok", status="alert")[0] == "ok"


def test_checks_go_through_the_configured_proxy(http_registry, dbsession, make, http_server, monkeypatch):
  monkeypatch.setitem(http_registry.settings, "prodmanager.http.http_proxy", http_server.url)
  before = len(http_server.hits)
  status, _outcome = status_after_run(
    http_registry, dbsession, make, "http://status.example.invalid/health", "keyword=proxy"
  )
  assert status == "ok"
  assert http_server.hits[before:] == ["http://status.example.invalid/health"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_this_hosts_loopback_is_reached_without_the_proxy(
  http_registry, dbsession, make, http_server, monkeypatch, host
):
  # A proxy (here one that refuses every connection) cannot reach this host's loopback: make run's
  # demo monitor checks http://127.0.0.1:<port>/health, and turned red on machines with HTTP_PROXY.
  monkeypatch.setitem(http_registry.settings, "prodmanager.http.http_proxy", "http://127.0.0.1:1")
  url = http_server.url.replace("127.0.0.1", host) + "/ok"
  before = len(http_server.hits)
  status, _outcome = status_after_run(http_registry, dbsession, make, url, "keyword=ready")
  assert status == "ok"
  assert http_server.hits[before:] == ["/ok"]


def test_only_the_monitors_of_the_http_integration_are_checked(http_registry, dbsession, make, http_server):
  before = len(http_server.hits)
  make.monitor(name="Manual", external_link=http_server.url + "/ok?manual")
  make.monitor(name="Dns", integration="dns", external_link=http_server.url + "/ok?dns")
  make.monitor(name="Mine", integration="http", external_link=http_server.url + "/ok?mine")
  outcome = run_http(http_registry)
  assert outcome.seen == 1 and http_server.hits[before:] == ["/ok?mine"]


@pytest.mark.parametrize(
  ("variable", "value", "message"),
  [
    ("HTTP_TIMEOUT", "soon", "HTTP_TIMEOUT='soon': expected a number of seconds"),
    ("HTTP_TIMEOUT", "0", "HTTP_TIMEOUT='0': expected a number of seconds between 0 and 300"),
    ("HTTP_VERIFY_CERT", "maybe", "HTTP_VERIFY_CERT='maybe': expected a boolean"),
    ("HTTPS_PROXY", "ftp://proxy:3128", "HTTPS_PROXY='ftp://proxy:3128': expected a proxy URL"),
    ("PM_HTTP_INTERVAL", "5", "PM_HTTP_INTERVAL='5': expected 0 (not scheduled) or 10 to 604800 seconds"),
  ],
)
def test_bad_settings_stop_startup_naming_the_variable(
  app_settings, enabled_plugins, variable, value, message
):
  with pytest.raises(ConfigurationError) as raised:
    make_app(sorted({*enabled_plugins, "http"}), app_settings, environ={variable: value})
  assert message in str(raised.value)


def test_0_22_variables_configure_the_checks(app_settings, enabled_plugins):
  environ = {
    "HTTP_TIMEOUT": "2.5",
    "HTTP_VERIFY_CERT": "False",
    "HTTP_ALLOW_REDIRECT": "0",
    "HTTP_PROXY": "http://proxy:3128",
    "HTTPS_PROXY": "secure-proxy:3128",
    "PM_HTTP_INTERVAL": "300",
  }
  app = make_app(sorted({*enabled_plugins, "http"}), app_settings, environ=environ)
  try:
    settings = app.registry.settings
    assert settings["prodmanager.http.timeout"] == 2.5
    assert settings["prodmanager.http.verify_cert"] is False
    assert settings["prodmanager.http.allow_redirect"] is False
    assert settings["prodmanager.http.http_proxy"] == "http://proxy:3128"
    assert settings["prodmanager.http.https_proxy"] == "http://secure-proxy:3128"
    assert app_state(app.registry).integrations["http"].interval(settings) == 300
  finally:
    app_state(app.registry).db_engine.dispose()
