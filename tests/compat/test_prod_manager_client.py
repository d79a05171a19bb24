"""Compatibility with the third-party client ``prod-manager`` 0.2.0 (PyPI) against a live server.

The client's import name, ``prodmanager``, is our core package's too, so it runs in a virtual
environment of its own (``.venv-compat/`` at the repository root, created once and reused) through
``client_script.py``; the server is a real ``prodmanager serve`` subprocess on a free port.

What the client does that the server must accept: ``update()`` posts back *every* attribute of the
object it fetched as form data (``id``, the counts, ``links`` as repeated keys, None values
dropped), ``count()`` asks for ``per_page=0`` and reads ``x-total``, ``list()`` follows
``x-total-pages``, and any status other than 200 is an error. On incidents and maintenances the
re-sent attributes include ``events`` (a list of dicts, which requests form-encodes as their keys)
and every date at the API's minute precision: the server ignores what is not a field and keeps a
date equal to the stored one to the minute (with its seconds). Comments go through the client's
``make_request`` (it has no method for them), as a 0.22 user did; a second client without a token
reads as anonymous.
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
from legacy_tokens import mint_022

from prodmanager.testing import TEST_SECRET, missing_service

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CLIENT_VENV = REPO / ".venv-compat"
CLIENT_REQUIREMENT = "prod-manager==0.2.0"
CLIENT_SCRIPT = Path(__file__).with_name("client_script.py")
TOKEN_NAME = "compatclient"
PERMISSIONS = [
  "announcement_api",
  "incident_api",
  "maintenance_api",
  "monitor_api",
  "scope_api",
  "service_api",
]


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
      missing_service(
        f"cannot install {CLIENT_REQUIREMENT} from the package index: {pip.stderr.strip()[-500:]}"
      )
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


def events(body: dict) -> list[tuple]:
  """A timeline as (type, content, internal), without the event dates."""
  return [(event["type"], event["content"], event["internal"]) for event in body["events"]]


def last_diff(body: dict) -> dict:
  """The changes recorded by the last (update) event of a timeline."""
  event = body["events"][-1]
  assert (event["type"], event["internal"]) == ("update", True)
  return json.loads(event["content"])


def without(body: dict, *keys: str) -> dict:
  return {key: value for key, value in body.items() if key not in keys}


def check_incidents(seen: dict, scope_id: int, service_id: int) -> None:
  created = seen["created"]
  assert (created["name"], created["description"], created["severity"], created["status"]) == (
    "Compat incident",
    "The API answers *slowly*",
    "high",
    "active",
  )
  assert (created["scope"], created["service"], created["start_impact_date"]) == (
    scope_id,
    service_id,
    "2024-05-01T12:00",
  )
  assert (created["investigation_date"], created["stable_date"], created["resolve_date"]) == (None,) * 3
  assert [event[0] for event in events(created)] == ["create"] and created["events"][0]["internal"] is True
  assert seen["got"] == created

  # Each status change through update() (which re-sent events, links, creation_date and the dates
  # at minute precision) changed the status and filled its milestone date, nothing else.
  investigating = seen["investigating"]
  assert investigating["status"] == "investigating" and investigating["investigation_date"]
  assert investigating["resolve_date"] is None
  assert without(investigating, "status", "investigation_date", "events") == without(
    created, "status", "investigation_date", "events"
  )
  assert last_diff(investigating) == {
    "investigation_date": [None, investigating["investigation_date"]],
    "status": ["active", "investigating"],
  }
  resolved = seen["resolved"]
  assert resolved["status"] == "resolved" and resolved["resolve_date"] >= resolved["investigation_date"]
  assert without(resolved, "status", "resolve_date", "events") == without(
    investigating, "status", "resolve_date", "events"
  )
  assert last_diff(resolved) == {
    "resolve_date": [None, resolved["resolve_date"]],
    "status": ["investigating", "resolved"],
  }

  # The compat comment endpoint answers 200 with the incident, its comment last.
  assert seen["comment_public"]["id"] == created["id"]
  assert events(seen["comment_public"])[-1] == ("comment", "Fixed by a restart", False)
  assert events(seen["comment_internal"])[-1] == ("comment", "The disk was full", True)
  # update() once more, with the comments in the re-sent events: only the name changed.
  renamed = seen["renamed"]
  assert without(renamed, "name", "events") == without(resolved, "name", "events")
  assert last_diff(renamed) == {"name": ["Compat incident", "Compat incident renamed"]}
  assert seen["refetched"] == renamed
  assert [event[0] for event in events(renamed)] == [
    "create",
    "update",
    "update",
    "comment",
    "comment",
    "update",
  ]
  # The token holder sees every event; an anonymous reader the public comment only.
  anonymous = seen["anonymous"]
  assert events(anonymous) == [("comment", "Fixed by a restart", False)]
  assert without(anonymous, "events") == without(renamed, "events")

  other = seen["other"]
  assert (other["status"], other["severity"], other["description"]) == ("active", "low", "")
  assert [item["id"] for item in seen["listed_resolved"]] == [created["id"]]
  assert [item["id"] for item in seen["listed_active"]] == [other["id"]]
  assert seen["listed_resolved"][0] == renamed
  # start_impact_date was created at 12:00:30: the updates' minute-precision echo kept the seconds.
  assert seen["seconds_kept"] == {"15": [], "45": [created["id"]]}
  assert seen["count"] == 2
  assert seen["weather"] == {"active": 1, "investigating": 0, "stable": 0, "resolved": 1}
  assert seen["after_delete"]["count"] == 0
  assert seen["after_delete"]["get"]["status"] == 404 and seen["after_delete"]["get"]["body"]["message"]


def check_maintenances(seen: dict, scope_id: int, service_id: int) -> None:
  created = seen["created"]
  assert (created["name"], created["description"], created["status"], created["service_status"]) == (
    "Compat maintenance",
    "Database upgrade",
    "scheduled",
    "degraded",
  )
  assert (created["scope"], created["service"]) == (scope_id, service_id)
  assert (created["scheduled_start_date"], created["scheduled_end_date"]) == (
    "2030-01-15T22:00",
    "2030-01-16T02:00",
  )
  assert (created["start_date"], created["end_date"]) == (None, None)
  assert seen["got"] == created

  in_progress = seen["in_progress"]
  assert (
    in_progress["status"] == "in-progress" and in_progress["start_date"] and in_progress["end_date"] is None
  )
  assert without(in_progress, "status", "start_date", "events") == without(
    created, "status", "start_date", "events"
  )
  assert last_diff(in_progress) == {
    "start_date": [None, in_progress["start_date"]],
    "status": ["scheduled", "in-progress"],
  }
  succeeded = seen["succeeded"]
  assert succeeded["status"] == "succeed" and succeeded["end_date"] >= succeeded["start_date"]
  assert without(succeeded, "status", "end_date", "events") == without(
    in_progress, "status", "end_date", "events"
  )
  assert last_diff(succeeded) == {
    "end_date": [None, succeeded["end_date"]],
    "status": ["in-progress", "succeed"],
  }

  commented = seen["commented"]
  assert without(commented, "events") == without(succeeded, "events")
  assert events(commented) == [*events(succeeded), ("comment", "Done ahead of time", False)]
  assert events(seen["anonymous"]) == [("comment", "Done ahead of time", False)]

  calendar = seen["calendar"]
  assert calendar["content_type"].split(";")[0] == "text/calendar"
  lines = calendar["text"].splitlines()
  assert lines[0] == "BEGIN:VCALENDAR" and lines.count("BEGIN:VEVENT") == 1
  assert {"SUMMARY:Compat maintenance", "DTSTART:20300115T220030Z", "DTEND:20300116T020000Z"} <= set(lines)

  other = seen["other"]
  assert (other["status"], other["service_status"], other["description"]) == ("scheduled", "down", "")
  assert [item["id"] for item in seen["listed_succeed"]] == [created["id"]]
  assert [item["id"] for item in seen["listed_scheduled"]] == [other["id"]]
  assert seen["seconds_kept"] == {"15": [], "45": [created["id"]]}
  assert seen["count"] == 2
  assert seen["weather"] == {"scheduled": 1, "in-progress": 0, "succeed": 1, "failed": 0, "canceled": 0}
  assert seen["after_delete"]["count"] == 0
  assert seen["after_delete"]["get"]["status"] == 404 and seen["after_delete"]["get"]["body"]["message"]


def check_announcements(seen: dict, scope_id: int, service_id: int) -> None:
  created = seen["created"]
  # Created without a description: stored as empty text (0.22 answered 500).
  assert (created["name"], created["description"], created["level"]) == ("Compat announcement", "", "medium")
  assert (created["scope"], created["service"]) == (scope_id, service_id)
  assert (created["start_date"], created["end_date"]) == ("2030-03-01T00:00", "2030-03-31T23:59")
  assert "events" not in created
  assert seen["got"] == created
  assert seen["updated"] == {**created, "level": "high"}
  assert seen["refetched"] == seen["updated"]
  later = seen["later"]
  assert [item["id"] for item in seen["listed_window"]] == [created["id"]]
  assert seen["listed_window"][0] == seen["updated"]
  assert [item["id"] for item in seen["listed_after"]] == [later["id"]]
  # start_date was created at 00:00:30: update(level=...) echoed it to the minute, seconds kept.
  assert seen["seconds_kept"] == {"15": [], "45": [created["id"]]}
  assert seen["count"] == 2
  assert seen["weather"] == {"high": 1, "medium": 0, "low": 1}
  assert seen["after_delete"]["count"] == 0
  assert seen["after_delete"]["get"]["status"] == 404 and seen["after_delete"]["get"]["body"]["message"]


@pytest.mark.parametrize("minted_by", ["this server", "0.22"])
def test_prod_manager_client(client_python, live_server, minted_by):
  """The whole script, with a token of this server, and with one that 0.22 minted (signed with the
  secret itself, valid for a year), which a 0.22 user's scripts hold on the day of the switch."""
  if minted_by == "0.22":
    token = mint_022(PERMISSIONS, name=TOKEN_NAME, description="the compatibility test")
  else:
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

  check_incidents(result["incident"], scope_id, service_id)
  check_maintenances(result["maintenance"], scope_id, service_id)
  check_announcements(result["announcement"], scope_id, service_id)

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
  for path in ("/api/service", "/api/monitor", "/api/incident", "/api/maintenance", "/api/announcement"):
    status, headers, body = call(live_server, path)
    assert (status, headers["x-total"], body["items"]) == (200, "0", [])
  status, _, body = call(live_server, f"/api/scope/{scope_id}")
  assert status == 404 and body["message"]
  # The token is recorded, by what minted it, and listed for the administrator.
  request = urllib.request.Request(f"{live_server}/api/token", headers={"X-ProdManager-Secret": TEST_SECRET})
  with urllib.request.urlopen(request, timeout=30) as response:
    listed = json.loads(response.read())["items"]
  assert [(item["name"], item["status"]) for item in listed] == [(TOKEN_NAME, "active")]
  assert (listed[0]["created_by"] == "0.22") == (minted_by == "0.22")
