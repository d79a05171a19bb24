"""Compatibility with the third-party client ``prod-manager`` 0.2.0 (PyPI) against a live server.

The client's import name, ``prodmanager``, is our core package's too, so it runs in a virtual
environment of its own (``.venv-compat/`` at the repository root, created once and reused) through
``client_script.py``; the server is a real ``prodmanager serve`` subprocess on a free port.

What the client does that the server must accept: ``update()`` posts back *every* attribute of the
object it fetched as form data (``id``, the counts, ``links`` as repeated keys, None values
dropped), ``count()`` asks for ``per_page=0`` and reads ``x-total``, ``list()`` follows
``x-total-pages``, and any status other than 200 is an error.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from prodmanager.testing import TEST_SECRET

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CLIENT_VENV = REPO / ".venv-compat"
CLIENT_REQUIREMENT = "prod-manager==0.2.0"
CLIENT_SCRIPT = Path(__file__).with_name("client_script.py")
TOKEN_NAME = "compatclient"
PERMISSIONS = ["monitor_api", "scope_api", "service_api"]


def run_client(python: Path, *args: str, timeout: int) -> subprocess.CompletedProcess:
  """Run the client's interpreter in isolated mode (-I) from its own folder: neither our repository
  (whose ``prodmanager`` package has the client's import name) nor PYTHONPATH is on its path."""
  env = {
    key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
  }
  return subprocess.run(
    [str(python), "-I", *args], capture_output=True, text=True, env=env, cwd=CLIENT_VENV, timeout=timeout
  )


def client_version(python: Path) -> str | None:
  if not python.exists():
    return None
  check = run_client(
    python,
    "-c",
    "import prodmanager.client, importlib.metadata as m; print(m.version('prod-manager'))",
    timeout=60,
  )
  return check.stdout.strip() if check.returncode == 0 else None


@pytest.fixture(scope="session")
def client_python() -> Path:
  """The interpreter of a virtual environment holding prod-manager 0.2.0 (skips when it cannot be installed)."""
  python = CLIENT_VENV / "bin" / "python"
  # Test workers may get here together: one creates the environment, the others wait and reuse it.
  with open(REPO / ".venv-compat.lock", "w") as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    if client_version(python) == "0.2.0":
      return python
    shutil.rmtree(CLIENT_VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(CLIENT_VENV)], check=True, timeout=300)
    pip = run_client(
      python, "-m", "pip", "install", "-q", "--disable-pip-version-check", CLIENT_REQUIREMENT, timeout=600
    )
    if pip.returncode != 0:
      shutil.rmtree(CLIENT_VENV, ignore_errors=True)
      pytest.skip(f"cannot install {CLIENT_REQUIREMENT} from the package index: {pip.stderr.strip()[-500:]}")
  assert client_version(python) == "0.2.0"
  return python


def call(url: str, path: str, data: dict | None = None, token: str | None = None):
  """A request from the test process: (status, headers, JSON body)."""
  body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
  request = urllib.request.Request(url + path, data=body)
  if token:
    request.add_header("Authorization", f"Bearer {token}")
  try:
    with urllib.request.urlopen(request, timeout=30) as response:
      return response.status, response.headers, json.loads(response.read() or b"null")
  except urllib.error.HTTPError as error:
    return error.code, error.headers, json.loads(error.read() or b"null")


def test_prod_manager_client(client_python, live_server):
  status, _, token = call(
    live_server,
    "/api/token/create",
    {
      "secret": TEST_SECRET,
      "name": TOKEN_NAME,
      "description": "the compatibility test",
      "permissions": PERMISSIONS,
    },
  )
  assert status == 200, token
  run = run_client(client_python, str(CLIENT_SCRIPT), live_server, token, timeout=300)
  assert run.returncode == 0, f"client script failed:\n{run.stderr}\n{run.stdout}"
  result = json.loads(run.stdout.strip().splitlines()[-1])

  # The third-party package was imported, not our core package of the same name.
  assert result["client"]["version"] == "0.2.0"
  assert Path(result["client"]["module"]).resolve().is_relative_to(CLIENT_VENV.resolve())

  # whoami's payload holds the token's claims (0.22: the name is the audience, the description the subject).
  assert (result["whoami"]["aud"], result["whoami"]["sub"]) == (TOKEN_NAME, "the compatibility test")
  assert set(PERMISSIONS) <= set(result["whoami"]["permissions"])

  for name in ("scope", "service"):
    seen = result[name]
    created = seen["created"]
    assert created["name"] == f"Compat {name}"
    assert created["description"] == f"A {name} made by the client"
    assert seen["got"] == created
    # update() re-sent every attribute (id, counts, links as repeated keys): only the name changed.
    assert seen["updated"] == {**created, "name": f"Compat {name} renamed"}
    assert seen["refetched"] == seen["updated"]

  scope = result["scope"]
  # 26 scopes listed 10 per page: the client followed x-total-pages through 3 pages.
  assert scope["list_requests"] == [{"per_page": "10", "page": str(page)} for page in (1, 2, 3)]
  assert len({item["id"] for item in scope["listed"]}) == 26
  assert {item["name"] for item in scope["listed"]} == {"Compat scope renamed"} | {
    f"Page scope {number:02}" for number in range(1, 26)
  }
  assert scope["count"] == 26
  assert result["service"]["count"] == 1

  monitor = result["monitor"]
  scope_id, service_id = scope["created"]["id"], result["service"]["created"]["id"]
  created = monitor["created"]
  assert (created["name"], created["status"], created["scope"], created["service"]) == (
    "Compat monitor",
    "warning",
    scope_id,
    service_id,
  )
  assert created["description"] == "Watched by the client"
  assert created["external_reference"] == "compat-ref"
  assert created["integration"] is None and created["external_link"] is None
  assert monitor["got"] == created
  # None values were not sent back by update(): they stay None; status, scope and service are kept.
  assert monitor["updated"] == {**created, "name": "Compat monitor renamed"}
  assert monitor["refetched"] == monitor["updated"]
  assert sorted(item["name"] for item in monitor["listed"]) == ["Compat monitor 2", "Compat monitor renamed"]
  assert monitor["count"] == 2
  assert monitor["weather"] == {"ok": 0, "warning": 1, "alert": 1}
  assert monitor["scope_with_monitors"]["monitors_count"] == {"ok": 0, "warning": 1, "alert": 1}

  refused = scope["delete_refused"]
  assert refused["status"] == 403 and refused["body"]["message"]
  after = result["after_delete"]
  assert (after["scope_count"], after["service_count"], after["monitor_count"]) == (25, 0, 0)
  assert after["scope_get"]["status"] == 404 and after["scope_get"]["body"]["message"]

  # The server's state, seen from outside the client.
  status, headers, body = call(live_server, "/api/scope?per_page=50")
  assert status == 200 and headers["x-total"] == "25"
  assert sorted(item["name"] for item in body["items"]) == [
    f"Page scope {number:02}" for number in range(1, 26)
  ]
  for path in ("/api/service", "/api/monitor"):
    status, headers, body = call(live_server, path)
    assert (status, headers["x-total"], body["items"]) == (200, "0", [])
  status, _, body = call(live_server, f"/api/scope/{scope_id}")
  assert status == 404 and body["message"]
