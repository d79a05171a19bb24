"""Property-based run of schemathesis against a live server and the served OpenAPI document.

Bounded (a fixed seed and a few examples per operation) so that it fits in `make test`; it fails on
any 5xx, on any status code the document does not list, and on any response that breaks the
document (body schema, content type).
"""

import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from prodmanager.testing import TEST_SECRET

pytestmark = pytest.mark.slow

# One worker: with several, hypothesis compiles strategies in threads and CPython 3.11 can fail with
# "AST constructor recursion depth mismatch", a runtime error of the tool, not a finding.
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def create_token(url: str, registry_permissions: list[str]) -> str:
  body = urllib.parse.urlencode(
    {
      "secret": TEST_SECRET,
      "name": "schemathes",
      "description": "schemathesis run",
      "permissions": registry_permissions,
    },
    doseq=True,
  ).encode()
  with urllib.request.urlopen(
    urllib.request.Request(f"{url}/api/token/create", data=body), timeout=30
  ) as response:
    return json.loads(response.read())


def test_schemathesis_finds_no_server_error_and_no_broken_response(live_server, tmp_path):
  schemathesis = Path(sys.executable).with_name("schemathesis")
  if not schemathesis.exists():
    pytest.skip("schemathesis is not installed (make install-test installs it)")
  with urllib.request.urlopen(f"{live_server}/api/openapi.json", timeout=30) as response:
    document = json.loads(response.read())
  permissions = sorted(
    {
      f"{path.split('/')[2]}_api"
      for path in document["paths"]
      if path.startswith("/api/") and path.split("/")[2] not in ("token", "weather", "v2")
    }
  )
  token = create_token(live_server, permissions)
  run = subprocess.run(
    [
      str(schemathesis),
      "run",
      f"{live_server}/api/openapi.json",
      "--url",
      live_server,
      "--checks",
      CHECKS,
      "--max-examples",
      "6",
      "--seed",
      "20261124",
      "--phases",
      "examples,coverage,fuzzing",
      "--header",
      f"Authorization: Bearer {token}",
      "--request-timeout",
      "20",
      "--max-failures",
      "20",
      "--output-truncate",
      "false",
      "--no-color",
      "--max-time",
      "150",
      "--workers",
      "1",
    ],
    capture_output=True,
    text=True,
    timeout=400,
    cwd=tmp_path,
  )
  assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
