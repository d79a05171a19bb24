"""A plugin's command (add_cli_command), jobs (add_job) and settings (add_setting), through the real
``prodmanager`` executable: the plugin is installed for the subprocess only (a ``.dist-info`` with its
entry point in a folder on PYTHONPATH), so the other tests never see it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PLUGIN = """
from pathlib import Path

from sqlalchemy import func, select

plugin_info = {"id": "partscli", "requires": ["scope"]}


def count_scopes(context, args):
  from prodmanager_scope.models import Scope

  with context.session() as session:
    count = session.scalar(select(func.count()).select_from(Scope))
  print(f"{args.label}: {count} scopes, out={context.settings['prodmanager.partscli.out']}")
  return 3 if args.fail else 0


def tick(context):
  if context.settings["prodmanager.partscli.fail"]:
    raise RuntimeError("tick refused on purpose")
  with Path(context.settings["prodmanager.partscli.out"]).open("a", encoding="utf-8") as stream:
    stream.write("tick\\n")


def includeme(config):
  config.add_setting("prodmanager.partscli.out", env="PM_PARTSCLI_OUT")
  config.add_setting("prodmanager.partscli.fail", env="PM_PARTSCLI_FAIL", type=bool, default="false")

  def arguments(parser):
    parser.add_argument("--label", default="parts")
    parser.add_argument("--fail", action="store_true")

  config.add_cli_command("parts-count", count_scopes, help="count the scopes", arguments=arguments)
  config.add_job("tick", tick, every=1)
"""


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
  """A migrated SQLite installation whose enabled plugins include ``partscli``; returns ``run(*args)``
  (a finished ``prodmanager`` process), the environment and the folder."""
  folder = tmp_path_factory.mktemp("partscli")
  site = folder / "site"
  (site / "parts_cli_plugin").mkdir(parents=True)
  (site / "parts_cli_plugin" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
  dist_info = site / "parts_cli_plugin-0.1.dist-info"
  dist_info.mkdir()
  (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: parts-cli-plugin\nVersion: 0.1\n")
  (dist_info / "entry_points.txt").write_text("[prodmanager.plugins]\npartscli = parts_cli_plugin\n")
  environ = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
  environ.update(
    PYTHONPATH=str(site),
    PM_DATABASE_URI=f"sqlite:///{folder / 'parts.sqlite'}",
    PM_INSTANCE_PATH=str(folder / "instance"),
    PM_PLUGINS="scope service partscli",
    PM_PARTSCLI_OUT=str(folder / "ticks.txt"),
  )
  executable = str(Path(sys.executable).with_name("prodmanager"))

  def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
      [executable, *args], cwd=folder, env={**environ, **extra}, capture_output=True, text=True, timeout=180
    )

  migrated = run("migrate")
  assert migrated.returncode == 0, migrated.stderr
  return run, environ, folder, executable


def test_a_plugin_command_runs_with_its_arguments_and_exit_status(installation):
  run, _environ, folder, _executable = installation
  result = run("parts-count", "--label", "Counted")
  assert result.returncode == 0, result.stderr
  assert result.stdout.strip() == f"Counted: 0 scopes, out={folder / 'ticks.txt'}"
  assert run("parts-count", "--fail").returncode == 3


def test_a_plugin_command_has_its_own_help(installation):
  run, *_ = installation
  result = run("parts-count", "--help")
  assert result.returncode == 0
  assert "count the scopes" in result.stdout and "--label" in result.stdout and "--config" in result.stdout


def test_an_unknown_command_is_refused_after_looking_at_the_plugins(installation):
  run, *_ = installation
  result = run("no-such-command")
  assert result.returncode == 2
  assert "invalid choice: 'no-such-command'" in result.stderr
  assert "parts-count" in result.stderr  # the plugin's command is among the choices


def test_a_bad_plugin_setting_stops_the_command_naming_the_variable(installation):
  run, *_ = installation
  result = run("worker", "--once", PM_PARTSCLI_FAIL="maybe", PM_LANG="de")
  assert result.returncode == 2
  assert "PM_PARTSCLI_FAIL='maybe': expected a boolean" in result.stderr
  assert "PM_LANG='de': expected one of en, fr" in result.stderr  # the core's, in the same message
  assert "Traceback" not in result.stderr


def test_worker_once_runs_the_due_jobs_and_reports_failures(installation):
  run, _environ, folder, _executable = installation
  ticks = folder / "ticks.txt"
  ticks.unlink(missing_ok=True)
  result = run("worker", "--once")
  assert result.returncode == 0, result.stderr
  assert ticks.read_text(encoding="utf-8") == "tick\n"
  assert "worker: 1 job(s): tick" in result.stderr
  failed = run("worker", "--once", PM_PARTSCLI_FAIL="true")
  assert failed.returncode == 1
  assert "job tick failed" in failed.stderr and "RuntimeError: tick refused on purpose" in failed.stderr
  assert ticks.read_text(encoding="utf-8") == "tick\n"


def test_the_worker_runs_jobs_at_their_interval_until_sigterm(installation):
  _run, environ, folder, executable = installation
  ticks = folder / "ticks.txt"
  ticks.unlink(missing_ok=True)
  log_path = folder / "worker.log"
  with log_path.open("wb") as log:
    process = subprocess.Popen(
      [executable, "worker"], cwd=folder, env=environ, stdout=log, stderr=subprocess.STDOUT
    )
    try:
      # Waits for a condition, not for a duration: the job runs at start, then every second.
      deadline = time.monotonic() + 120
      while time.monotonic() < deadline and process.poll() is None:
        if ticks.exists() and ticks.read_text(encoding="utf-8").count("tick") >= 2:
          break
        time.sleep(0.1)
      assert process.poll() is None, log_path.read_text(encoding="utf-8")
      assert ticks.read_text(encoding="utf-8").count("tick") >= 2
      process.send_signal(signal.SIGTERM)
      assert process.wait(timeout=60) == 0
    finally:
      if process.poll() is None:
        process.kill()
        process.wait()
  output = log_path.read_text(encoding="utf-8")
  assert "worker: SIGTERM received" in output and "worker: stopped" in output
