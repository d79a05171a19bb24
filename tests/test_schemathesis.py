"""Property-based run of schemathesis against a live server and the served OpenAPI document.

Bounded by examples (a fixed seed and a few examples per operation), not by time, so that every
phase it runs goes to its end within `make test`. It fails on any 5xx, on any status code the
document does not list, on any response that breaks the document (body schema, content type,
headers), and on the warnings that mean part of the API was not really tested: operations that only
ever answered 404 (no row to act on), rejected nearly every valid request (the document promises
less than the API checks), needed credentials the run did not have, or were rate limited.

Each operation on one row (``/{id}``, ``/{jti}``) gets a row of its own, created through the API
before the run and handed to schemathesis as that operation's path parameter: a delete then removes
only its own row, never the one another operation is tested on. An operation on a comment
(``/{id}/events/{event_id}``) gets a comment of its own on that row too. The rows every create refers to (a
scope and a service) and fixed, ordered dates are handed the same way, since the document cannot say
"the end after the start" or "a scope that exists".
"""

import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from prodmanager.testing import TEST_SECRET, running_server

pytestmark = pytest.mark.slow

CHECKS = (
  "not_a_server_error,status_code_conformance,content_type_conformance,"
  "response_schema_conformance,response_headers_conformance"
)
# The warnings that mean "not tested" (schemathesis.readthedocs.io, reference/warnings): any of them
# fails the run, and the test lists the operations it names.
FAIL_ON = (
  "missing_auth",
  "missing_test_data",
  "validation_mismatch",
  "rate_limited",
  "method_not_allowed",
  "unsupported_regex",
  "unresolvable_reference",
  "missing_deserializer",
)
# Values fixed on one operation, each for a reason the document cannot state.
FIXED = {
  # The token name (8-16) and description (12-32) lengths are checked by the service, after the
  # administrator secret, so that every create with a wrong secret costs one attempt of the secret
  # throttle whatever else is wrong (tests/test_proxy_headers.py). Declared in the document, they
  # would be refused before the secret is looked at; undeclared, most generated values are refused.
  "POST /api/token/create": {"body.name": "schemathes", "body.description": "schemathesis run"},
  # A required name may be blank in the document, since creates and updates share the field patterns
  # (prodmanager/api/schemas.py, field_pattern); the create refuses it ("this field is required").
  # With this seed most names generated for the scope create are blank.
  "POST /api/scope": {"body.name": "Schemathesis scope 2"},
}
START = "2026-01-01T00:00"
END = "2026-01-02T00:00"
ROW_PATH = re.compile(r"^/(?:api/)?(?P<resource>[a-z_]+)/\{(?P<key>id|jti)\}")


@pytest.fixture
def server(tmp_path, enabled_plugins):
  """A live server whose secret throttle does not close on the wrong secrets schemathesis sends."""
  env = {
    "PM_INSTANCE_PATH": str(tmp_path / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_DEMO": "false",
    "PM_STANDALONE": "true",
    "PM_PLUGINS": " ".join(enabled_plugins),
    "PM_LOGIN_RATELIMIT": "1000000",
  }
  with running_server(tmp_path / "server", env) as url:
    yield url


def call(url: str, path: str, data: dict | None = None, headers: dict | None = None):
  body = None if data is None else json.dumps(data).encode()
  request = urllib.request.Request(
    f"{url}{path}", data=body, headers={"Content-Type": "application/json", **(headers or {})}
  )
  with urllib.request.urlopen(request, timeout=30) as response:
    return json.loads(response.read())


def create_token(url: str, permissions: list[str], name: str) -> str:
  body = urllib.parse.urlencode(
    {"secret": TEST_SECRET, "name": name, "description": "schemathesis run", "permissions": permissions},
    doseq=True,
  ).encode()
  request = urllib.request.Request(f"{url}/api/token/create", data=body)
  with urllib.request.urlopen(request, timeout=30) as response:
    return json.loads(response.read())


def create_body(document: dict, resource: str, name: str, bound: dict) -> dict:
  """A valid create body for ``resource``, read from the document's required fields."""
  schema = document["paths"][f"/api/{resource}"]["post"]["requestBody"]["content"]["application/json"][
    "schema"
  ]
  body = {}
  for field in schema.get("required", []):
    spec = schema["properties"][field]
    if field in bound:
      body[field] = bound[field]
    elif "enum" in spec:
      body[field] = spec["enum"][0]
    elif field == "name":
      body[field] = name
    else:
      raise AssertionError(f"no value known for the required field {resource}.{field}")
  return body


def write_config(folder: Path, token: str, bound: dict, rows: list[tuple[str, str, object]]) -> Path:
  """schemathesis.toml: the warnings that fail the run, the shared values, one row per operation.

  The token operations get the administrator secret and no API token (with one they answer 403, as
  documented); every other operation gets the API token.
  """
  secret = {"X-ProdManager-Secret": TEST_SECRET}
  bearer = {"Authorization": f"Bearer {token}"}

  def headers_of(name: str) -> dict:
    return secret if name.split(" ", 1)[1].startswith("/api/token") else bearer

  def inline(table: dict) -> str:
    return "{ " + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in table.items()) + " }"

  lines = ["[warnings]", f"fail-on = {json.dumps(list(FAIL_ON))}", "", "[parameters]"]
  lines += [f'"body.{field}" = {json.dumps(value)}' for field, value in bound.items()]
  lines.append(f'"body.secret" = "{TEST_SECRET}"')
  blocks = [
    (
      f"include-name = {json.dumps(name)}",
      {f"path.{key}": value for key, value in parameters.items()},
      headers_of(name),
    )
    for name, parameters in rows
  ]
  blocks += [
    (f"include-name = {json.dumps(name)}", values, headers_of(name)) for name, values in FIXED.items()
  ]
  blocks.append(('include-path-regex = "^/api/token"', None, secret))
  blocks.append(('exclude-path-regex = "^/api/token"', None, bearer))
  for selector, parameters, headers in blocks:
    lines += ["", "[[operations]]", selector, f"headers = {inline(headers)}"]
    if parameters:
      lines.append(f"parameters = {inline(parameters)}")
  path = folder / "schemathesis.toml"
  path.write_text("\n".join(lines) + "\n", encoding="utf-8")
  return path


def warned_operations(output: str) -> str:
  """The WARNINGS section of the report: each warning and the operations it names."""
  start = output.find(" WARNINGS ")
  end = output.find(" SUMMARY ", start)
  return output[start:end] if start != -1 else ""


def test_schemathesis_finds_no_server_error_and_tests_every_operation(server, tmp_path):
  schemathesis = Path(sys.executable).with_name("schemathesis")
  if not schemathesis.exists():
    pytest.skip("schemathesis is not installed (make install-test installs it)")
  document = call(server, "/api/openapi.json")
  permissions = sorted(
    {
      f"{path.split('/')[2]}_api"
      for path in document["paths"]
      if path.startswith("/api/") and path.split("/")[2] not in ("token", "weather", "v2")
    }
  )
  token = create_token(server, permissions, "schemathes")
  auth = {"Authorization": f"Bearer {token}"}
  bound = {
    "scope": call(server, "/api/scope", {"name": "Schemathesis scope"}, auth)["id"],
    "service": call(server, "/api/service", {"name": "Schemathesis service"}, auth)["id"],
    "start_date": START,
    "end_date": END,
    "scheduled_start_date": START,
    "scheduled_end_date": END,
  }
  rows = []
  for path, operations in document["paths"].items():
    match = ROW_PATH.match(path)
    if not match:
      continue
    resource, key = match["resource"], match["key"]
    for method in operations:
      if method not in ("get", "post", "patch", "put", "delete"):
        continue
      name = f"Schemathesis {len(rows)}"
      if key == "jti":
        revocable = create_token(server, [], name)
        value = call(server, "/api/token/whoami", headers={"Authorization": f"Bearer {revocable}"})[
          "payload"
        ]["jti"]
      else:
        value = call(server, f"/api/{resource}", create_body(document, resource, name, bound), auth)["id"]
      parameters = {key: value}
      if "{event_id}" in path:
        # A comment of its own on that row, to edit or delete.
        comment = call(server, f"/api/{resource}/{value}/events", {"comment": name}, auth)
        parameters["event_id"] = comment["id"]
      rows.append((f"{method.upper()} {path}", parameters))
  assert rows, "the document has no operation on one row: the pattern above is out of date"
  config = write_config(tmp_path, token, bound, rows)
  run = subprocess.run(
    [
      str(schemathesis),
      "--config-file",
      str(config),
      "run",
      f"{server}/api/openapi.json",
      "--url",
      server,
      "--checks",
      CHECKS,
      "--max-examples",
      "6",
      "--seed",
      "20261124",
      "--phases",
      "fuzzing,stateful",
      "--request-timeout",
      "20",
      "--max-failures",
      "20",
      "--output-truncate",
      "false",
      "--no-color",
      # One worker: with several, hypothesis compiles strategies in threads and CPython 3.11 can
      # fail with "AST constructor recursion depth mismatch", a runtime error of the tool.
      "--workers",
      "1",
      # too_slow measures how fast the machine generates data, not the API: on a loaded CI machine it
      # failed a run whose requests were all answered correctly.
      "--suppress-health-check",
      "too_slow",
    ],
    capture_output=True,
    text=True,
    timeout=400,
    cwd=tmp_path,
  )
  warnings = warned_operations(run.stdout)
  assert not warnings, f"schemathesis left operations untested:\n{warnings}"
  assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
  # Every phase ran to its end, the stateful one included.
  for phase in ("Fuzzing", "Stateful"):
    assert f"✅ {phase}" in run.stdout, run.stdout[-5000:]
