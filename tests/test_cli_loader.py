"""The ``prodmanager`` command with plugins that fail: real subprocesses of the command.

A broken plugin that is installed but not enabled leaves ``plugins``, ``migrate`` and ``serve``
working; an enabled one stops startup with one line; Pyramid's conflicts and failed directives are
a short message with both claimants' file:line; all exit with status 2, without a traceback. The
throwaway plugins are distributions in a temporary folder put on the command's PYTHONPATH.
"""

import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from test_orphaned_migrations import GONE, MIGRATION, REVISION
from test_plugin_loading import BROKEN, RAISING_INCLUDEME, write_distribution

from prodmanager.testing import TEST_SECRET, prodmanager_command, running_server

FIRST_PARTY = "scope service monitor incident maintenance announcement statuspage"

RIVAL = """\
  from prodmanager_scope.services import ScopeService

  plugin_info = {"id": "rival", "requires": ["scope"]}


  def includeme(config):
    config.add_resource_type("scope", ScopeService)
  """

FAILING_ACTION = """\
  plugin_info = {"id": "failing"}


  def includeme(config):
    config.add_view(lambda request: {}, route_name="pmtest_no_such_route", renderer="json")
  """


@pytest.fixture
def site(tmp_path) -> Path:
  folder = tmp_path / "site"
  folder.mkdir()
  return folder


@pytest.fixture
def environ(tmp_path, site) -> dict[str, str]:
  """The command's environment: the throwaway plugins on its path, a SQLite file of its own."""
  return {
    "PYTHONPATH": str(site),
    "PM_INSTANCE_PATH": str(tmp_path / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_PLUGINS": FIRST_PARTY,
    "PM_DEMO": "false",
  }


def prodmanager(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
  full = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
  full.update(env)
  return subprocess.run(
    [prodmanager_command(), *args], env=full, cwd=cwd, capture_output=True, text=True, timeout=180
  )


def assert_short_error(result: subprocess.CompletedProcess) -> list[str]:
  assert result.returncode == 2, result
  assert "Traceback" not in result.stderr, result.stderr
  lines = result.stderr.strip().splitlines()
  # Log lines (INFO: migrating...) may come first; the error is what follows them.
  starts = [index for index, line in enumerate(lines) if line.startswith("error: ")]
  assert starts, result.stderr
  return lines[starts[0] :]


def table(stdout: str) -> dict[str, list[str]]:
  """``prodmanager plugins``' rows by plugin id (cells split on runs of two spaces or more)."""
  import re

  rows = {}
  for line in stdout.splitlines()[1:]:
    cells = re.split(r"\s{2,}", line.strip())
    if len(cells) >= 7:
      rows[cells[0]] = cells
  return rows


def test_plugins_lists_a_broken_plugin_that_is_not_enabled_with_its_cause(site, environ, tmp_path):
  write_distribution(site, "cracked", BROKEN)
  result = prodmanager("plugins", env=environ, cwd=tmp_path)
  assert result.returncode == 0, result
  rows = table(result.stdout)
  assert rows["cracked"] == ["cracked", "pmtest-cracked", "0.1", "no: broken", "-", "?", "?"]
  assert (
    "broken: cracked: cannot be imported: ModuleNotFoundError: No module named 'pmtest_no_such_module'"
    in (result.stdout)
  )
  scope = rows["scope"]
  assert scope[1].replace("_", "-") == "prodmanager-scope"
  assert scope[3:7] == ["yes", scope[4], "-", "scope@a1c0de5c0001"]
  assert rows["monitor"][5] == "scope, service"
  # Enabled ones first, in load order.
  orders = [int(cells[4]) for cells in rows.values() if cells[3] == "yes"]
  assert orders == list(range(1, len(FIRST_PARTY.split()) + 1))
  if "example" in rows:  # the plugin guide's example, installed by make install-test
    assert rows["example"][3] == "no: not listed"


def test_plugins_answers_when_star_meets_a_broken_plugin(site, environ, tmp_path):
  write_distribution(site, "cracked", BROKEN)
  result = prodmanager("plugins", env={**environ, "PM_PLUGINS": "*"}, cwd=tmp_path)
  lines = assert_short_error(result)
  assert lines == [lines[0]]
  assert lines[0].startswith(
    "error: plugin 'cracked' (pmtest-cracked 0.1) cannot be imported: ModuleNotFoundError"
  )
  rows = table(result.stdout)
  assert rows["cracked"][3] == "no: broken"
  assert rows["scope"][3] == "no: startup fails"
  if "example" in rows:
    assert rows["example"][3] == "no: opt-in"


def test_migrate_and_serve_work_with_a_broken_plugin_that_is_not_enabled(site, environ, tmp_path):
  write_distribution(site, "cracked", BROKEN)
  migrated = prodmanager("migrate", env=environ, cwd=tmp_path)
  assert migrated.returncode == 0, migrated
  assert "plugin 'cracked' (pmtest-cracked 0.1) cannot be imported" in migrated.stderr  # a warning
  assert "its migrations are skipped" in migrated.stderr
  with running_server(tmp_path / "server", {**environ, "PM_STANDALONE": "true"}) as url:
    with urllib.request.urlopen(f"{url}/api/scope", timeout=10) as response:
      assert response.status == 200


def test_serve_with_an_enabled_broken_plugin_says_so_in_one_line(site, environ, tmp_path):
  write_distribution(site, "cracked", BROKEN)
  result = prodmanager("serve", env={**environ, "PM_PLUGINS": FIRST_PARTY + " cracked"}, cwd=tmp_path)
  lines = assert_short_error(result)
  errors = [line for line in lines if line.startswith("error: ")]
  assert errors == [
    "error: plugin 'cracked' (pmtest-cracked 0.1) cannot be imported: ModuleNotFoundError: "
    f"No module named 'pmtest_no_such_module' (at {site / 'pmtest_cracked' / '__init__.py'}:4)"
  ]


def test_serve_with_an_includeme_that_raises_says_so_in_one_line(site, environ, tmp_path):
  write_distribution(site, "raising", RAISING_INCLUDEME)
  result = prodmanager(
    "serve", env={**environ, "PM_PLUGINS": FIRST_PARTY + " raising", "PM_STANDALONE": "false"}, cwd=tmp_path
  )
  lines = assert_short_error(result)
  assert lines == [
    "error: plugin 'raising' (pmtest-raising 0.1): includeme failed: ValueError: the moon is in the wrong "
    f"phase (at {site / 'pmtest_raising' / '__init__.py'}:5)"
  ]


def test_a_conflict_between_two_plugins_names_both_claimants(site, environ, tmp_path):
  write_distribution(site, "rival", RIVAL)
  result = prodmanager(
    "serve", env={**environ, "PM_PLUGINS": FIRST_PARTY + " rival", "PM_STANDALONE": "false"}, cwd=tmp_path
  )
  lines = assert_short_error(result)
  assert len(lines) == 1, lines
  line = lines[0]
  assert line.startswith("error: configuration conflict: ")
  assert "'scope'" in line
  rival_file = str(site / "pmtest_rival" / "__init__.py")
  claimants = line.partition(" is claimed by ")[2].split(" and by ")
  assert len(claimants) == 2, line
  assert f"{rival_file}:7" in claimants, line
  # The other claim is the scope plugin's own line, the one calling the core's register_group helper
  # (which calls add_resource_type on its behalf), never the helper's line in prodmanager/groups.py.
  (other,) = [claimant for claimant in claimants if claimant != f"{rival_file}:7"]
  file, _, number = other.rpartition(":")
  assert Path(file).name == "__init__.py" and Path(file).parent.name == "prodmanager_scope", other
  assert "register_group(" in Path(file).read_text().splitlines()[int(number) - 1], other


def test_a_directive_that_fails_is_a_short_message_with_its_place(site, environ, tmp_path):
  write_distribution(site, "failing", FAILING_ACTION)
  result = prodmanager(
    "serve", env={**environ, "PM_PLUGINS": FIRST_PARTY + " failing", "PM_STANDALONE": "false"}, cwd=tmp_path
  )
  lines = assert_short_error(result)
  init = site / "pmtest_failing" / "__init__.py"
  assert len(lines) == 1, lines
  assert lines[0].startswith(
    f"error: configuration failed at {init}:5: ConfigurationError: No route named pmtest_no_such_route found"
  ), lines


def test_migrate_and_serve_explain_a_revision_left_by_an_uninstalled_plugin(site, environ, tmp_path):
  write_distribution(site, "gone", GONE, files={f"migrations/{REVISION}_create_gone.py": MIGRATION})
  assert prodmanager("migrate", env=environ, cwd=tmp_path).returncode == 0
  shutil.rmtree(site / "pmtest_gone-0.1.dist-info")
  shutil.rmtree(site / "pmtest_gone")
  for command in (["migrate"], ["serve", "--port", "1"]):
    lines = assert_short_error(prodmanager(*command, env={**environ, "PM_STANDALONE": "true"}, cwd=tmp_path))
    assert (
      lines[0]
      == "error: the database holds revisions that neither the core nor any installed plugin provides:"
    )
    assert lines[1].startswith(
      f"  revision {REVISION}, head of the branch 'gone' of the plugin 'gone' (pmtest-gone 0.1)"
    )
    assert f"`prodmanager migrate --forget {REVISION}`" in "\n".join(lines)
  forgotten = prodmanager("migrate", "--forget", "gone", env=environ, cwd=tmp_path)
  assert forgotten.returncode == 0, forgotten
  assert f"Revision {REVISION} forgotten" in forgotten.stderr
  again = prodmanager("migrate", env=environ, cwd=tmp_path)
  assert again.returncode == 0, again
  assert REVISION not in again.stderr.rpartition("Database at")[2]
