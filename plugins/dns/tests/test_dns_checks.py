"""The dns integration against a real local DNS server: addresses, CNAME chains (bounded), missing
names, timeouts, and its settings (docs/integrations.md, "dns")."""

import pytest

from prodmanager.runs import run_integration
from prodmanager.settings import ConfigurationError
from prodmanager.state import app_state
from prodmanager.testing import make_app
from prodmanager_monitor.models import Monitor


def status_after_run(registry, dbsession, make, name, status="warning"):
  row = make.monitor(name="Resolved", integration="dns", external_reference=name, status=status)
  outcome = run_integration(registry, app_state(registry).integrations["dns"], force=True)
  dbsession.expire_all()
  return dbsession.get(Monitor, row.id).status.value, outcome


@pytest.mark.parametrize(
  ("name", "expected"),
  [
    ("www.example.test", "ok"),
    ("v6.example.test", "ok"),
    ("both.example.test.", "ok"),
    ("alias.example.test", "ok"),
    ("hop1.example.test", "ok"),
    ("empty.example.test", "alert"),
    ("missing.example.test", "alert"),
    ("dangling.example.test", "alert"),
    ("loop1.example.test", "alert"),
    ("long0.example.test", "alert"),
    ("long5.example.test", "ok"),
  ],
)
def test_an_address_is_ok_no_address_is_an_alert(dns_registry, dbsession, make, name, expected):
  status, outcome = status_after_run(dns_registry, dbsession, make, name)
  assert (status, outcome.failed) == (expected, 0)


def test_a_chain_answered_one_hop_at_a_time_is_followed(dns_registry, dbsession, make, dns_server):
  before = len(dns_server.queries)
  assert status_after_run(dns_registry, dbsession, make, "hop1.example.test")[0] == "ok"
  asked = {name for name, _type in dns_server.queries[before:]}
  assert {"hop1.example.test.", "hop2.example.test.", "both.example.test."} <= asked


def test_a_nameserver_that_does_not_answer_is_an_alert(dns_registry, dbsession, make):
  status, outcome = status_after_run(dns_registry, dbsession, make, "silent.example.test", status="ok")
  assert (status, outcome.failed) == ("alert", 0)


def test_a_monitor_without_name_is_left_alone(dns_registry, dbsession, make):
  status, outcome = status_after_run(dns_registry, dbsession, make, None)
  assert (status, outcome.skipped) == ("warning", 1)


@pytest.mark.parametrize(
  "name",
  ["a" * 70 + ".example.test", "not a host!", "www.example.test/path", "-www.example.test", "*.example.test"],
)
def test_a_reference_that_is_not_a_host_name_fails_with_a_clear_error(dns_registry, dbsession, make, name):
  # dnspython would ask for "not a host!" and report NXDOMAIN: an alert for a typo in the monitor.
  status, outcome = status_after_run(dns_registry, dbsession, make, name)
  assert (status, outcome.failed) == ("warning", 1)
  assert "is not a host name" in outcome.errors[0]


def test_an_internationalised_name_is_a_host_name(dns_registry, dbsession, make):
  status, outcome = status_after_run(dns_registry, dbsession, make, "café.example.test")
  assert (status, outcome.failed) == ("alert", 0)  # asked for (xn--caf-dma.example.test), not refused


def test_the_suffix_selects_other_monitors(dns_registry, dbsession, make, monkeypatch):
  monkeypatch.setitem(dns_registry.settings, "prodmanager.integration_suffix", "lab")
  mine = make.monitor(name="Lab", integration="dns_lab", external_reference="missing.example.test")
  other = make.monitor(name="Prod", integration="dns", external_reference="missing.example.test")
  outcome = run_integration(dns_registry, app_state(dns_registry).integrations["dns"], force=True)
  dbsession.expire_all()
  assert outcome.seen == 1
  assert [dbsession.get(Monitor, row.id).status.value for row in (mine, other)] == ["alert", "ok"]


@pytest.mark.parametrize(
  ("variable", "value", "message"),
  [
    (
      "DNS_NAMESERVERS",
      "8.8.8.8,resolver",
      "expected IP addresses separated by commas ('resolver' is not one)",
    ),
    ("DNS_PORT", "dns", "DNS_PORT='dns': expected a port number"),
    ("DNS_PORT", "70000", "expected a port number between 1 and 65535"),
    ("DNS_TIMEOUT", "-1", "expected a number of seconds between 0 and 60"),
  ],
)
def test_bad_settings_stop_startup_naming_the_variable(
  app_settings, enabled_plugins, variable, value, message
):
  with pytest.raises(ConfigurationError) as raised:
    make_app(sorted({*enabled_plugins, "dns"}), app_settings, environ={variable: value})
  assert message in str(raised.value)


def test_0_22_variables_configure_the_resolver(app_settings, enabled_plugins):
  from prodmanager.integrations import integration_context
  from prodmanager_dns.checks import make_resolver

  environ = {"DNS_NAMESERVERS": "192.0.2.53, 2001:db8::53", "DNS_PORT": "5353"}
  app = make_app(sorted({*enabled_plugins, "dns"}), app_settings, environ=environ)
  try:
    integration = app_state(app.registry).integrations["dns"]
    resolver = make_resolver(integration_context(app.registry, integration))
    assert (resolver.nameservers, resolver.port) == (["192.0.2.53", "2001:db8::53"], 5353)
  finally:
    app_state(app.registry).db_engine.dispose()
