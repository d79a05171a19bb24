"""Settings: INI values, PM_* environment overrides, parsing, validation and startup failures."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import prodmanager
from prodmanager.settings import ConfigurationError, read_settings
from prodmanager.testing import TEST_SECRET


def test_defaults_without_ini_or_environment(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  settings = read_settings({}, environ={})
  assert settings["prodmanager.mode"] == "development"
  assert settings["prodmanager.secret_key"] == "changeit"
  assert settings["prodmanager.lang"] == "en"
  assert settings["prodmanager.timezone"] == "UTC"
  assert settings["prodmanager.session_cookie_name"] == "session"
  assert settings["prodmanager.proxy_chain_count"] == 0
  assert settings["prodmanager.custom_css_sheet"] == ""
  assert settings["prodmanager.jwt_algorithm"] == "HS256"
  assert settings["prodmanager.jwt_issuer"] == "ProdManager"
  assert settings["prodmanager.jwt_max_lifetime_hours"] is None  # no maximum, as in 0.22
  assert settings["prodmanager.jwt_accept_legacy"] is True  # 0.22's tokens work during the move
  assert settings["prodmanager.plugins"] is None  # "*": every installed plugin
  assert settings["prodmanager.demo"] is False
  assert settings["prodmanager.standalone"] is True
  assert settings["prodmanager.robots_allow"] is False
  # The default instance folder is ./instance, made absolute.
  assert settings["prodmanager.instance_path"] == str((tmp_path / "instance").resolve())


def test_ini_values_are_read_and_parsed():
  ini = {
    "prodmanager.secret_key": "an-ini-secret",
    "prodmanager.lang": "fr",
    "prodmanager.timezone": "Europe/Paris",
    "prodmanager.proxy_chain_count": "2",
    "prodmanager.jwt_issuer": "ACME",
    "prodmanager.plugins": "scope, service",
    "prodmanager.demo": "yes",
    "unrelated.key": "ignored",
  }
  settings = read_settings(ini, environ={})
  assert settings["prodmanager.secret_key"] == "an-ini-secret"
  assert settings["prodmanager.lang"] == "fr"
  assert settings["prodmanager.timezone"] == "Europe/Paris"
  assert settings["prodmanager.proxy_chain_count"] == 2
  assert settings["prodmanager.jwt_issuer"] == "ACME"
  assert settings["prodmanager.plugins"] == ["scope", "service"]
  assert settings["prodmanager.demo"] is True
  assert "unrelated.key" not in settings  # only prodmanager.* settings come out


def test_environment_overrides_ini():
  ini = {"prodmanager.lang": "fr", "prodmanager.secret_key": "from-the-ini-file"}
  settings = read_settings(ini, environ={"PM_LANG": "en", "PM_SECRET_KEY": "from-the-environment"})
  assert settings["prodmanager.lang"] == "en"
  assert settings["prodmanager.secret_key"] == "from-the-environment"


def test_environment_is_read_from_os_environ_by_default(monkeypatch):
  monkeypatch.setenv("PM_JWT_ISSUER", "FromOsEnviron")
  assert read_settings({"prodmanager.jwt_issuer": "FromIni"})["prodmanager.jwt_issuer"] == "FromOsEnviron"


@pytest.mark.parametrize(
  ("variable", "key", "ini_value", "raw", "expected"),
  [
    ("PM_SECRET_KEY", "secret_key", "ini-secret", "a-long-random-secret", "a-long-random-secret"),
    (
      "PM_DATABASE_URI",
      "database_uri",
      "sqlite:////tmp/ini.sqlite",
      "postgresql://pm:pw@db:5432/prodmanager",
      "postgresql://pm:pw@db:5432/prodmanager",
    ),
    ("PM_LANG", "lang", "en", "fr", "fr"),
    ("PM_SESSION_COOKIE_NAME", "session_cookie_name", "session", "pm_session", "pm_session"),
    ("PM_PROXY_CHAIN_COUNT", "proxy_chain_count", "0", "2", 2),
    (
      "PM_CUSTOM_CSS_SHEET",
      "custom_css_sheet",
      "",
      "https://cdn.example.com/theme.css",
      "https://cdn.example.com/theme.css",
    ),
    ("PM_CUSTOM_CSS_SHEET", "custom_css_sheet", "", "/static/local.css", "/static/local.css"),
    ("PM_JWT_ALGORITHM", "jwt_algorithm", "HS256", "HS512", "HS512"),
    ("PM_JWT_ISSUER", "jwt_issuer", "ProdManager", "ACME Status", "ACME Status"),
    ("PM_JWT_MAX_LIFETIME_HOURS", "jwt_max_lifetime_hours", "720", "24", 24),
    ("PM_JWT_MAX_LIFETIME_HOURS", "jwt_max_lifetime_hours", "720", "", None),
    ("PM_JWT_ACCEPT_LEGACY", "jwt_accept_legacy", "true", "false", False),
    ("PM_TIMEZONE", "timezone", "UTC", "Europe/Paris", "Europe/Paris"),
    ("PM_MODE", "mode", "development", "production", "production"),
    ("PM_PLUGINS", "plugins", "*", "scope service", ["scope", "service"]),
    ("PM_DEMO", "demo", "false", "true", True),
    ("PM_STANDALONE", "standalone", "true", "false", False),
    ("PM_ROBOTS_ALLOW", "robots_allow", "false", "on", True),
    ("PM_REDIS_URI", "redis_uri", "", "redis://cache:6379/1", "redis://cache:6379/1"),
    ("PM_API_RATELIMIT_ENABLED", "api_ratelimit_enabled", "false", "true", True),
    ("PM_API_RATELIMIT_DEFAULT", "api_ratelimit_default", "60", "30", 30),
    ("PM_API_RATELIMIT_LOGGED", "api_ratelimit_logged", "1500", "5000", 5000),
    ("PM_API_RATELIMIT_PERIOD_HOURS", "api_ratelimit_period_hours", "1", "24", 24),
    ("PM_LOGIN_RATELIMIT", "login_ratelimit", "10", "5", 5),
    ("PM_METRICS_TOKEN", "metrics_token", "", "a-scrape-token", "a-scrape-token"),
  ],
)
def test_each_variable_overrides_its_ini_key(variable, key, ini_value, raw, expected):
  # Production mode needs a real secret; give one so that only the variable under test matters.
  ini = (
    {f"prodmanager.{key}": ini_value, "prodmanager.secret_key": "ini-secret"}
    if key != "secret_key"
    else {f"prodmanager.{key}": ini_value}
  )
  assert read_settings(ini, environ={})[f"prodmanager.{key}"] != expected
  assert read_settings(ini, environ={variable: raw})[f"prodmanager.{key}"] == expected


def test_values_are_stripped():
  settings = read_settings({}, environ={"PM_LANG": "  fr \n", "PM_PROXY_CHAIN_COUNT": " 3 "})
  assert settings["prodmanager.lang"] == "fr"
  assert settings["prodmanager.proxy_chain_count"] == 3


@pytest.mark.parametrize("raw", ["true", "t", "1", "yes", "on", "y", "TRUE", "Yes", " on "])
def test_true_booleans(raw):
  assert read_settings({}, environ={"PM_DEMO": raw})["prodmanager.demo"] is True


@pytest.mark.parametrize("raw", ["false", "f", "0", "no", "off", "n", "FALSE", "Off", ""])
def test_false_booleans(raw):
  assert read_settings({"prodmanager.demo": "true"}, environ={"PM_DEMO": raw})["prodmanager.demo"] is False


@pytest.mark.parametrize(
  ("variable", "raw"),
  [
    ("PM_LANG", "de"),
    ("PM_TIMEZONE", "Mars/Base"),
    ("PM_PROXY_CHAIN_COUNT", "abc"),
    ("PM_PROXY_CHAIN_COUNT", "-1"),
    ("PM_PROXY_CHAIN_COUNT", "11"),
    ("PM_JWT_ALGORITHM", "none"),
    ("PM_JWT_ALGORITHM", "RS256"),
    ("PM_JWT_MAX_LIFETIME_HOURS", "0"),
    ("PM_JWT_MAX_LIFETIME_HOURS", "a month"),
    ("PM_DATABASE_URI", "mysql://x"),
    ("PM_DATABASE_URI", "not a url"),
    ("PM_CUSTOM_CSS_SHEET", "javascript:alert(1)"),
    ("PM_SECRET_KEY", "abc"),
    ("PM_MODE", "staging"),
    ("PM_DEMO", "maybe"),
    ("PM_ROBOTS_ALLOW", "2"),
    ("PM_REDIS_URI", "127.0.0.1:6379"),
    ("PM_API_RATELIMIT_ENABLED", "maybe"),
    ("PM_API_RATELIMIT_PERIOD_HOURS", "0"),
    ("PM_LOGIN_RATELIMIT", "many"),
    ("PM_METRICS_TOKEN", "short"),
  ],
)
def test_invalid_value_names_the_variable(variable, raw):
  with pytest.raises(ConfigurationError) as info:
    read_settings({}, environ={variable: raw})
  message = str(info.value)
  assert variable in message
  assert repr(raw) in message  # the offending value is shown...
  assert "expected" in message or "must" in message  # ...with what is expected instead


def test_invalid_ini_value_names_the_ini_key():
  with pytest.raises(ConfigurationError) as info:
    read_settings({"prodmanager.lang": "de"}, environ={})
  assert "prodmanager.lang='de'" in str(info.value)
  assert "en, fr" in str(info.value)


def test_every_error_is_reported_at_once():
  with pytest.raises(ConfigurationError) as info:
    read_settings({}, environ={"PM_LANG": "de", "PM_TIMEZONE": "Mars/Base", "PM_JWT_ALGORITHM": "none"})
  message = str(info.value)
  for variable in ("PM_LANG", "PM_TIMEZONE", "PM_JWT_ALGORITHM"):
    assert variable in message


def test_production_refuses_the_default_secret():
  with pytest.raises(ConfigurationError) as info:
    read_settings({"prodmanager.mode": "production"}, environ={})
  assert "PM_SECRET_KEY" in str(info.value)
  assert "changeit" in str(info.value)
  with pytest.raises(ConfigurationError, match="PM_SECRET_KEY"):
    read_settings({}, environ={"PM_MODE": "production", "PM_SECRET_KEY": "changeit"})


@pytest.mark.parametrize("secret", ["Changeit", "CHANGEIT", "changeIT"])
def test_production_refuses_the_default_secret_in_any_letter_case(secret):
  with pytest.raises(ConfigurationError) as info:
    read_settings({}, environ={"PM_MODE": "production", "PM_SECRET_KEY": secret})
  assert str(info.value) == (
    "Invalid configuration:\n  PM_SECRET_KEY: the default secret 'changeit' (in any letter case) is "
    "refused in production mode; set a long random value"
  )


def test_a_short_secret_is_accepted_with_a_warning_at_startup_in_production(tmp_path, caplog):
  settings = {
    "prodmanager.mode": "production",
    "prodmanager.secret_key": "fifteen-chars-x",
    "prodmanager.instance_path": str(tmp_path),
  }
  with caplog.at_level(logging.WARNING, logger="prodmanager.security"):
    prodmanager.main({}, **settings)  # 0.22 installations keep their secret: it still starts
  warnings = [record.getMessage() for record in caplog.records if record.name == "prodmanager.security"]
  assert len(warnings) == 1
  assert warnings[0].startswith("WEAK SECRET: PM_SECRET_KEY is only 15 characters long: anyone who guesses")
  assert "at least 16 characters" in warnings[0]
  caplog.clear()
  with caplog.at_level(logging.WARNING, logger="prodmanager.security"):
    prodmanager.main({}, **{**settings, "prodmanager.secret_key": "sixteen-chars-xy"})
    prodmanager.main({}, **{**settings, "prodmanager.mode": "development"})
  assert not [record for record in caplog.records if record.name == "prodmanager.security"]


def test_production_accepts_a_real_secret_and_development_the_default_one():
  settings = read_settings(
    {"prodmanager.mode": "production"}, environ={"PM_SECRET_KEY": "a-long-random-secret"}
  )
  assert settings["prodmanager.mode"] == "production"
  assert read_settings({}, environ={})["prodmanager.secret_key"] == "changeit"


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
  instance = tmp_path / "data"
  settings = read_settings({}, environ={"PM_INSTANCE_PATH": str(instance)})
  assert settings["prodmanager.instance_path"] == str(instance.resolve())
  assert settings["prodmanager.database_uri"] == f"sqlite:///{instance.resolve() / 'prodmanager.sqlite'}"


def test_an_instance_folder_of_022_keeps_its_sqlite_file(tmp_path):
  instance = tmp_path / "data"
  instance.mkdir()
  (instance / "ProManager.sqlite").write_bytes(b"")  # 0.22's default file, in its kept volume
  settings = read_settings({}, environ={"PM_INSTANCE_PATH": str(instance)})
  assert settings["prodmanager.database_uri"] == f"sqlite:///{instance.resolve() / 'ProManager.sqlite'}"
  # Ours wins once it exists; PM_DATABASE_URI always.
  (instance / "prodmanager.sqlite").write_bytes(b"")
  settings = read_settings({}, environ={"PM_INSTANCE_PATH": str(instance)})
  assert settings["prodmanager.database_uri"] == f"sqlite:///{instance.resolve() / 'prodmanager.sqlite'}"
  other = f"sqlite:///{tmp_path / 'other.sqlite'}"
  settings = read_settings({}, environ={"PM_INSTANCE_PATH": str(instance), "PM_DATABASE_URI": other})
  assert settings["prodmanager.database_uri"] == other


def test_relative_instance_folder_is_made_absolute(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  settings = read_settings({"prodmanager.instance_path": "var/pm"}, environ={})
  assert Path(settings["prodmanager.instance_path"]) == (tmp_path / "var" / "pm").resolve()
  assert settings["prodmanager.database_uri"].startswith(f"sqlite:///{tmp_path.resolve()}")


def test_explicit_database_uri_wins_over_the_instance_folder(tmp_path):
  settings = read_settings(
    {"prodmanager.database_uri": "postgresql://db/pm"}, environ={"PM_INSTANCE_PATH": str(tmp_path)}
  )
  assert settings["prodmanager.database_uri"] == "postgresql://db/pm"


def test_main_with_a_bad_setting_fails_before_serving(tmp_path):
  settings = {"prodmanager.instance_path": str(tmp_path), "prodmanager.secret_key": TEST_SECRET}
  with pytest.raises(ConfigurationError, match="PM_LANG='de'"):
    prodmanager.make_wsgi_app(settings, environ={"PM_LANG": "de"})
  # Nothing was created: the settings are checked before the database is touched.
  assert list(tmp_path.iterdir()) == []


def test_main_with_a_bad_ini_setting_fails(tmp_path):
  settings = {"prodmanager.instance_path": str(tmp_path), "prodmanager.timezone": "Mars/Base"}
  with pytest.raises(ConfigurationError, match="prodmanager.timezone='Mars/Base'"):
    prodmanager.make_wsgi_app(settings, environ={})


def test_main_reads_the_process_environment(tmp_path, monkeypatch):
  # The paste entry point (production.ini) has no other source of PM_* variables than the process.
  monkeypatch.setenv("PM_TIMEZONE", "Mars/Base")
  settings = {"prodmanager.instance_path": str(tmp_path), "prodmanager.secret_key": TEST_SECRET}
  with pytest.raises(ConfigurationError, match="PM_TIMEZONE='Mars/Base'"):
    prodmanager.main({}, **settings)


@pytest.mark.parametrize(("variable", "raw"), [("PM_LANG", "de"), ("PM_DATABASE_URI", "mysql://x")])
def test_cli_reports_a_bad_setting_without_traceback(tmp_path, variable, raw):
  executable = Path(sys.executable).with_name("prodmanager")
  environ = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
  environ.update({variable: raw, "PM_INSTANCE_PATH": str(tmp_path / "instance")})
  # In an empty folder: no development.ini is picked up, only the environment counts.
  result = subprocess.run(
    [str(executable), "serve", "--port", "0"],
    cwd=tmp_path,
    env=environ,
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert result.returncode == 2
  assert f"{variable}={raw!r}" in result.stderr
  assert result.stderr.startswith("error: ")
  assert "Traceback" not in result.stderr + result.stdout
  assert not (tmp_path / "instance").exists()  # not migrated, not served
