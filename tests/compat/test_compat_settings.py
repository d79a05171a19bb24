"""0.22's environment variables: each one is read, or named at startup as no longer used, never
silently ignored; ``SERVER``/``PORT`` of its image still say where ``prodmanager serve`` listens."""

import argparse
import logging

import pytest

from prodmanager.cli.serve import listen_address
from prodmanager.settings import ConfigurationError, read_settings, settings_report
from prodmanager.testing import make_app

RETIRED = {
  "PM_STATS_ENABLED": "True",
  "PM_SQLALCHEMY_ECHO": "True",
  "PM_DEBUG": "True",
  "PM_PROFILING": "True",
  "PM_DISABLE_VERSION_CHECK": "True",
  "PM_DISABLE_HELLO": "True",
  "PM_HELLO_ENDPOINT": "https://hello.example.com",
}


def startup_warnings(caplog, app_settings, environ) -> list[str]:
  caplog.clear()
  with caplog.at_level(logging.WARNING, logger="prodmanager.compat"):
    app = make_app(settings=app_settings, environ=environ)
  return app, [record.getMessage() for record in caplog.records if record.name == "prodmanager.compat"]


@pytest.mark.parametrize("variable", sorted(RETIRED))
def test_each_retired_variable_is_named_at_startup(caplog, app_settings, variable):
  _app, warnings = startup_warnings(caplog, app_settings, {variable: RETIRED[variable]})
  assert len(warnings) == 1
  assert warnings[0].startswith(f"0.22 setting: {variable}={RETIRED[variable]!r} is no longer")


def test_nothing_is_said_when_none_is_set(caplog, app_settings):
  assert startup_warnings(caplog, app_settings, {})[1] == []


def test_retired_variables_are_in_the_settings_report(caplog, app_settings):
  app, _ = startup_warnings(caplog, app_settings, dict(RETIRED))
  report = "\n".join(settings_report(app.registry, dict(RETIRED)))
  for variable, value in RETIRED.items():
    assert f"({variable}) = {value!r} [environment]" in report
  # Any value 0.22 took is taken: nothing reads them, and they must not stop a start.
  make_app(settings=app_settings, environ={"PM_DEBUG": "sometimes"})


def test_openid_variables_say_that_openid_login_is_not_available_yet(caplog, app_settings):
  environ = {
    "PM_OPENID_ENABLED": "True",
    "PM_OPENID_DISCOVER_URL": "https://sso.example.com/.well-known/openid-configuration",
    "PM_OPENID_CLIENT_ID": "prodmanager",
  }
  _app, warnings = startup_warnings(caplog, app_settings, environ)
  assert len(warnings) == 1
  assert "PM_OPENID_CLIENT_ID, PM_OPENID_DISCOVER_URL, PM_OPENID_ENABLED are set" in warnings[0]
  assert "OpenID Connect login is not available yet" in warnings[0]


def args(host=None, port=None):
  return argparse.Namespace(host=host, port=port)


def test_server_and_port_of_the_0_22_image_are_honoured(monkeypatch):
  monkeypatch.delenv("HOST", raising=False)
  monkeypatch.setenv("SERVER", "0.0.0.0")
  monkeypatch.setenv("PORT", "8181")
  assert listen_address(args(), {}) == {"host": "0.0.0.0", "port": 8181}
  # HOST, then the options, win over it.
  monkeypatch.setenv("HOST", "127.0.0.2")
  assert listen_address(args(), {})["host"] == "127.0.0.2"
  assert listen_address(args(host="127.0.0.3", port=9000), {}) == {"host": "127.0.0.3", "port": 9000}
  monkeypatch.setenv("PORT", "eighty")
  with pytest.raises(ConfigurationError, match="eighty"):
    listen_address(args(), {})


@pytest.mark.parametrize("value", ["css/custom.css", "custom.css", "themes/dark-1.css"])
def test_custom_css_in_0_22s_form_is_accepted(value):
  assert read_settings({}, {"PM_CUSTOM_CSS_SHEET": value})["prodmanager.custom_css_sheet"] == value


@pytest.mark.parametrize(
  "value",
  ["../secret.css", "css/../../x.css", "css//x.css", "css\\x.css", "css/{x}.css", "my file.css", "./x.css"],
)
def test_a_relative_sheet_outside_its_folder_is_refused(value):
  with pytest.raises(ConfigurationError, match="PM_CUSTOM_CSS_SHEET"):
    read_settings({}, {"PM_CUSTOM_CSS_SHEET": value})
