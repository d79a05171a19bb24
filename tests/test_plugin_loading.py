"""The plugin loader fails well: only enabled plugins are imported, and an enabled plugin that cannot
be used stops startup with one line naming it and the cause.

The plugins here are small distributions written into a temporary folder (a package and its
``.dist-info`` with the entry point) put on ``sys.path``: importlib.metadata finds them like any
installed distribution.
"""

import os
import sys
import textwrap
from pathlib import Path

import pytest

import prodmanager
from prodmanager.plugins import PluginError, installed_plugins, resolve
from prodmanager.settings import ConfigurationError
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET

FIRST_PARTY = "scope service monitor incident maintenance announcement statuspage"


def write_distribution(
  root: Path, plugin_id: str, source: str, *, entry_point: str | None = None, files: dict | None = None
) -> str:
  """A distribution ``pmtest-<id>`` 0.1 whose package ``pmtest_<id>`` has ``source`` as its ``__init__``."""
  package = f"pmtest_{plugin_id}"
  (root / package).mkdir(parents=True)
  (root / package / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
  for name, text in (files or {}).items():
    path = root / package / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
  dist_info = root / f"pmtest_{plugin_id}-0.1.dist-info"
  dist_info.mkdir()
  (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: pmtest-{plugin_id}\nVersion: 0.1\n")
  (dist_info / "entry_points.txt").write_text(
    f"[prodmanager.plugins]\n{entry_point or plugin_id} = {package}\n", encoding="utf-8"
  )
  return package


@pytest.fixture
def site(tmp_path, monkeypatch):
  """A folder on sys.path where tests install throwaway plugin distributions."""
  folder = tmp_path / "site"
  folder.mkdir()
  monkeypatch.syspath_prepend(str(folder))
  yield folder
  for name in [name for name in sys.modules if name.startswith("pmtest_")]:
    del sys.modules[name]


@pytest.fixture
def settings(tmp_path, monkeypatch):
  """Application settings on a SQLite file of the test's own (building the app does not touch it)."""
  for key in [key for key in os.environ if key.startswith("PM_")]:
    monkeypatch.delenv(key)
  return {
    "prodmanager.database_uri": f"sqlite:///{tmp_path / 'app.sqlite'}",
    "prodmanager.secret_key": TEST_SECRET,
    "prodmanager.instance_path": str(tmp_path / "instance"),
    "prodmanager.plugins": FIRST_PARTY,
  }


def build(settings: dict):
  config = prodmanager.make_config(settings)
  app_state(config.registry).db_engine.dispose()
  return config.registry


BROKEN = """\
  from pathlib import Path

  Path(__file__).with_name("imported").write_text("yes")
  import pmtest_no_such_module  # noqa: F401
  """

RAISING_INCLUDEME = """\
  plugin_info = {"id": "raising", "requires": ["scope"]}


  def includeme(config):
    raise ValueError("the moon is in the wrong phase")
  """


def test_installed_plugins_imports_nothing(site):
  write_distribution(site, "broken", BROKEN)
  found = installed_plugins()
  assert found["broken"].distribution == "pmtest-broken"
  assert found["broken"].version == "0.1"
  assert not (site / "pmtest_broken" / "imported").exists()
  # Asking why it cannot be used is what imports it.
  assert "ModuleNotFoundError: No module named 'pmtest_no_such_module'" in found["broken"].error
  assert (site / "pmtest_broken" / "imported").exists()


def test_a_broken_plugin_that_is_not_enabled_stops_nothing(site, settings):
  write_distribution(site, "broken", BROKEN)
  registry = build(settings)
  assert sorted(plugin.id for plugin in app_state(registry).plugins) == sorted(FIRST_PARTY.split())
  assert not (site / "pmtest_broken" / "imported").exists(), "a plugin that is not enabled was imported"


def test_an_enabled_plugin_that_fails_to_import_stops_startup_in_one_line(site, settings):
  write_distribution(site, "broken", BROKEN)
  with pytest.raises(PluginError) as info:
    build({**settings, "prodmanager.plugins": FIRST_PARTY + " broken"})
  message = str(info.value)
  assert "\n" not in message
  assert message.startswith("plugin 'broken' (pmtest-broken 0.1) cannot be imported: ModuleNotFoundError")
  assert f"{site / 'pmtest_broken' / '__init__.py'}:4" in message  # where: the plugin's line


def test_with_star_a_broken_installed_plugin_counts_as_enabled(site, settings):
  # Whether it is opt-in is written in the package that fails to import: it cannot be left out.
  write_distribution(site, "broken", BROKEN)
  with pytest.raises(PluginError, match=r"^plugin 'broken' \(pmtest-broken 0.1\) cannot be imported: "):
    build({**settings, "prodmanager.plugins": "*"})


def test_a_syntax_error_is_reported_with_its_line(site, settings):
  write_distribution(site, "typo", "plugin_info = {'id': 'typo'\ndef includeme(config):\n  pass\n")
  with pytest.raises(PluginError) as info:
    build({**settings, "prodmanager.plugins": FIRST_PARTY + " typo"})
  message = str(info.value)
  assert "\n" not in message
  assert "plugin 'typo' (pmtest-typo 0.1) cannot be imported: SyntaxError" in message
  assert f"{site / 'pmtest_typo' / '__init__.py'}:1" in message


def test_an_includeme_that_raises_stops_startup_in_one_line(site, settings):
  write_distribution(site, "raising", RAISING_INCLUDEME)
  with pytest.raises(PluginError) as info:
    build({**settings, "prodmanager.plugins": FIRST_PARTY + " raising"})
  message = str(info.value)
  assert "\n" not in message
  assert message.startswith(
    "plugin 'raising' (pmtest-raising 0.1): includeme failed: ValueError: the moon is in the wrong phase (at "
  )
  assert f"{site / 'pmtest_raising' / '__init__.py'}:5)" in message


def test_a_plugin_without_includeme_is_named(site, settings):
  write_distribution(site, "bare", "plugin_info = {'id': 'bare'}\n")
  with pytest.raises(
    PluginError, match=r"plugin 'bare' \(pmtest-bare 0.1\) pmtest_bare must expose includeme"
  ):
    build({**settings, "prodmanager.plugins": FIRST_PARTY + " bare"})


def test_the_entry_point_name_is_the_plugin_id(site):
  write_distribution(site, "named", "plugin_info = {'id': 'other'}\ndef includeme(config):\n  pass\n")
  with pytest.raises(PluginError, match="entry point is named 'named' but its plugin_info says id 'other'"):
    resolve(["named"])


def test_two_distributions_claiming_one_id_are_both_refused(site, settings):
  write_distribution(
    site, "rival", "plugin_info = {'id': 'scope'}\ndef includeme(config):\n  pass\n", entry_point="scope"
  )
  found = installed_plugins()
  assert "prodmanager-scope" in found["scope"].error.replace("_", "-")
  assert "pmtest-rival" in found["scope"].error
  with pytest.raises(PluginError, match="claims the same id"):
    build(settings)
  # A list without that id still starts.
  assert [
    plugin.id for plugin in app_state(build({**settings, "prodmanager.plugins": "service"})).plugins
  ] == ["service"]


def test_a_requirement_is_not_imported_to_be_refused(site, settings):
  write_distribution(site, "broken", BROKEN)
  write_distribution(
    site, "needy", "plugin_info = {'id': 'needy', 'requires': ['broken']}\ndef includeme(config):\n  pass\n"
  )
  with pytest.raises(ConfigurationError, match="'needy' requires 'broken', which is not enabled"):
    resolve(["needy"])
  assert not (site / "pmtest_broken" / "imported").exists()
