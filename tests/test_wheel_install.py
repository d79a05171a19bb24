"""ProdManager installs like any Python application: from wheels, without the source tree.

The wheels of the core and of every first-party plugin are built (``pip wheel``) from a copy of the
sources and installed, without ``-e``, into a fresh virtual environment, whose ``prodmanager``
command then runs from a work folder outside the source tree: ``migrate`` finds the core's
migrations in the installed package (``prodmanager.migrations``), and ``serve`` (standalone:
migrate and demo data) answers ``/health/ready`` and ``/api/scope``.
"""

import json
import os
import shutil
import subprocess
import urllib.request
import venv
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from prodmanager.migrate import current
from prodmanager.testing import TEST_SECRET, running_server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
STARTUP_DEADLINE = 120  # seconds: only a bound for a server that never comes up, not a measure
IGNORED = shutil.ignore_patterns(
  ".*", "build", "dist", "*.egg-info", "__pycache__", "instance", "site", "tests", "docs"
)


def first_party_plugins() -> list[Path]:
  return sorted(path.parent for path in (REPO / "plugins").glob("*/setup.cfg"))


# What would make an installed command use the project's environment instead of its own.
PROJECT_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")


def clean_environ(**extra: str) -> dict[str, str]:
  """The environment without the project's virtual environment, PYTHONPATH or PM_* settings."""
  environ = {
    key: value
    for key, value in os.environ.items()
    if not key.startswith("PM_") and key not in ("HOST", "PORT", *PROJECT_VARIABLES)
  }
  environ.update(extra)
  return environ


def run(*command, cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
  result = subprocess.run(
    [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
  )
  assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
  return result


@pytest.fixture
def installed(tmp_path_factory) -> Path:
  """A fresh virtual environment holding the wheels of the core and every first-party plugin: its bin folder."""
  base = tmp_path_factory.mktemp("wheels")
  sources = base / "src"
  # A copy, so that building leaves no build/ or egg-info folders in the checkout.
  shutil.copytree(REPO, sources, ignore=IGNORED)
  plugins = [sources / "plugins" / path.name for path in first_party_plugins()]
  environment = base / "venv"
  venv.create(environment, with_pip=True)
  bin_folder = environment / "bin"
  env = clean_environ()
  # The build backend comes into the new environment itself, so that one pip run builds every wheel
  # (no isolated build environment per distribution).
  run(bin_folder / "python", "-m", "pip", "install", "-q", "setuptools>=70.1,<82", cwd=base, env=env)
  wheels = base / "dist"
  run(
    bin_folder / "python",
    *("-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", wheels),
    sources,
    *plugins,
    cwd=base,
    env=env,
  )
  built = sorted(wheel.name for wheel in wheels.glob("*.whl"))
  assert len(built) == 1 + len(plugins), built
  run(bin_folder / "python", "-m", "pip", "install", "-q", *sorted(wheels.glob("*.whl")), cwd=base, env=env)
  return bin_folder


def test_the_installed_wheels_carry_the_migrations_migrate_and_serve(installed, tmp_path):
  """One test for the three checks: the wheels and their environment (a minute and a half) are
  built once, where separate tests spread over the pytest-xdist workers built them once per worker."""
  for check in (
    the_wheel_carries_the_core_migrations,
    migrate_from_an_installed_wheel,
    serve_from_an_installed_wheel,
  ):
    folder = tmp_path / check.__name__
    folder.mkdir()
    check(installed, folder)


def the_wheel_carries_the_core_migrations(installed, tmp_path):
  probe = run(
    installed / "python",
    "-c",
    "import prodmanager, prodmanager.migrate as m; print(prodmanager.__file__); print(m.core_migrations())",
    cwd=tmp_path,
    env=clean_environ(),
  )
  package, migrations = probe.stdout.split()
  site_packages = installed.parent / "lib"
  assert Path(package).is_relative_to(site_packages), package
  assert Path(migrations).is_relative_to(site_packages), migrations
  assert (Path(migrations) / "env.py").is_file()
  assert sorted(path.name for path in (Path(migrations) / "versions").glob("*.py")) == sorted(
    path.name for path in (REPO / "migrations" / "versions").glob("*.py")
  )


def migrate_from_an_installed_wheel(installed, tmp_path):
  env = clean_environ(PM_INSTANCE_PATH=str(tmp_path / "instance"))
  run(installed / "prodmanager", "migrate", cwd=tmp_path, env=env)
  heads = run(
    installed / "python",
    "-c",
    "import sys, prodmanager.migrate as m; print(' '.join(sorted(m.current(sys.argv[1]))))",
    f"sqlite:///{tmp_path / 'instance' / 'prodmanager.sqlite'}",
    cwd=tmp_path,
    env=env,
  ).stdout.split()
  assert heads == first_party_heads(tmp_path / "reference.sqlite")


def first_party_heads(database: Path) -> list[str]:
  """The revisions a database is at once migrated from the sources' folders (the core's and the
  first-party plugins'), here: what the installed wheels must reach."""
  uri = f"sqlite:///{database}"
  cfg = Config()
  cfg.set_main_option("script_location", str(REPO / "migrations"))
  cfg.set_main_option("path_separator", "os")
  folders = [REPO / "migrations" / "versions"]
  folders += sorted({path.parent for path in (REPO / "plugins").glob("*/prodmanager_*/migrations/*.py")})
  cfg.set_main_option("version_locations", os.pathsep.join(str(folder) for folder in folders))
  cfg.attributes["url"] = uri
  command.upgrade(cfg, "heads")
  return sorted(current(uri))


def serve_from_an_installed_wheel(installed, tmp_path):
  """``serve`` answers ``/health/ready`` and the API, with the demo data the installed plugins load."""
  env = dict(
    PM_INSTANCE_PATH=str(tmp_path / "instance"),
    PM_SECRET_KEY=TEST_SECRET,
    PM_DEMO="true",
    PM_STANDALONE="true",
  )
  with running_server(
    tmp_path, env, command=str(installed / "prodmanager"), timeout=STARTUP_DEADLINE, drop=PROJECT_VARIABLES
  ) as url:
    with urllib.request.urlopen(f"{url}/health/ready", timeout=10) as response:
      assert response.status == 200
    with urllib.request.urlopen(f"{url}/api/scope", timeout=10) as response:
      assert response.status == 200
      scopes = json.loads(response.read())
    # The demo data was loaded by the standalone start: the installed plugins' loaders ran.
    names = [scope["name"] for scope in scopes["items"]]
    assert "France DC01" in names, names
