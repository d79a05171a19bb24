"""Our payloads compared, field by field, with payloads that Statuspage pages really publish, and
checked against the JSON Schemas of the OpenAPI fragment (written from Statuspage's public docs).

The references, in ``fixtures/`` (long texts shortened; values otherwise as published):

* ``statuspage_docs_summary.json``: the example response of ``GET /api/v2/summary.json`` in the API
  documentation every Statuspage page serves at ``<page>/api`` (e.g. https://metastatuspage.com/api,
  https://confluence.status.atlassian.com/api), one item of each list kept. The published example
  lacks a comma after ``"status"``; it is restored here.
* ``htx_summary.json``: a summary.json payload of a live Statuspage page
  (https://status-swap.huobigroup.com/api/v2/summary.json) as HTX publishes it in its API
  documentation; it carries the newer fields (``time_zone``, ``started_at``, ``components`` of
  incidents, ``affected_components``, component groups).

Compatibility, recursively: every key of a reference object is in ours; a value has the same JSON
type as the reference's (a ``null`` in the reference accepts any type; ours may be ``null`` only for
the fields Statuspage documents as nullable); dates are ISO 8601 with an offset; a list of objects
is compared item by item with the reference's items.
"""

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest

from prodmanager.db import utcnow
from prodmanager.testing import event_diff
from prodmanager_statuspage.testing import ENDPOINTS, at

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCES = ("statuspage_docs_summary.json", "htx_summary.json")
NULLABLE = {
  "description",
  "group_id",
  "start_date",
  "monitoring_at",
  "resolved_at",
  "updated_at",
  "affected_components",
  "custom_tweet",
  "tweet_id",
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# Which part of a summary.json each endpoint answers.
PARTS = {
  "summary.json": ("page", "status", "components", "incidents", "scheduled_maintenances"),
  "status.json": ("page", "status"),
  "components.json": ("page", "components"),
  "incidents.json": ("page", "incidents"),
  "incidents/unresolved.json": ("page", "incidents"),
  "scheduled-maintenances.json": ("page", "scheduled_maintenances"),
  "scheduled-maintenances/upcoming.json": ("page", "scheduled_maintenances"),
  "scheduled-maintenances/active.json": ("page", "scheduled_maintenances"),
}
SCHEMAS = {
  "summary.json": "StatuspageSummary",
  "status.json": "StatuspageStatusResponse",
  "components.json": "StatuspageComponents",
  "incidents.json": "StatuspageIncidents",
  "incidents/unresolved.json": "StatuspageIncidents",
  "scheduled-maintenances.json": "StatuspageMaintenances",
  "scheduled-maintenances/upcoming.json": "StatuspageMaintenances",
  "scheduled-maintenances/active.json": "StatuspageMaintenances",
}


def json_type(value) -> str:
  if value is None:
    return "null"
  if isinstance(value, bool):
    return "boolean"
  if isinstance(value, int | float):
    return "number"
  return {str: "string", list: "array", dict: "object"}[type(value)]


def incompatibilities(reference, ours, path: str = "$", key: str = "") -> list[str]:
  """Every way ``ours`` differs in shape from ``reference`` (empty when compatible)."""
  if reference is None:
    return []
  if ours is None:
    return [] if key in NULLABLE else [f"{path}: null where the reference has {json_type(reference)}"]
  if json_type(reference) != json_type(ours):
    return [f"{path}: {json_type(ours)} where the reference has {json_type(reference)}"]
  problems = []
  if isinstance(reference, dict):
    for name, value in reference.items():
      if name not in ours:
        problems.append(f"{path}.{name}: missing")
      else:
        problems.extend(incompatibilities(value, ours[name], f"{path}.{name}", name))
  elif isinstance(reference, list) and reference:
    if not ours:
      problems.append(f"{path}: empty, the reference's items cannot be compared")
    for index, item in enumerate(ours):
      for expected in reference:
        problems.extend(incompatibilities(expected, item, f"{path}[{index}]", key))
  elif isinstance(reference, str) and DATE.match(reference) and not DATE.match(ours):
    problems.append(f"{path}: {ours!r} is not an ISO 8601 date with an offset like {reference!r}")
  return problems


def test_the_comparison_catches_differences():
  reference = {"a": {"b": [{"c": 1, "d": "2014-05-14T14:22:39.441-06:00"}]}, "e": None}
  assert incompatibilities(reference, {"a": {"b": [{"c": 2, "d": "2024-01-01T00:00:00.000Z"}]}, "e": 3}) == []
  assert incompatibilities(reference, {"a": {"b": [{"c": "1", "d": "yesterday"}]}}) == [
    "$.a.b[0].c: string where the reference has number",
    "$.a.b[0].d: 'yesterday' is not an ISO 8601 date with an offset like '2014-05-14T14:22:39.441-06:00'",
    "$.e: missing",
  ]
  assert incompatibilities(reference, {"a": {"b": []}, "e": 1}) == [
    "$.a.b: empty, the reference's items cannot be compared"
  ]
  assert incompatibilities({"description": "x", "name": "y"}, {"description": None, "name": None}) == [
    "$.name: null where the reference has string"
  ]


@pytest.fixture
def populated(world):
  """A page where every list has items and every nullable field that can be set is set."""
  world.paris.description, world.compute.description = "The Paris datacenter", "Virtual machines"
  world.db.flush()
  world.monitor(status="ok", since=at())
  world.monitor(status="warning", since=at(minutes=1))
  events = [
    ("create", event_diff(description=[None, "Slow logins"], status=[None, "active"]), True),
    ("comment", "Investigating", False),
    ("update", event_diff(status=["active", "stable"]), True),
  ]
  world.incident(status="stable", severity="moderate", events=events, stable_date=at(minutes=2))
  maintenance_events = [
    ("create", event_diff(description=[None, "Reboots"], status=[None, "scheduled"]), True),
    ("update", event_diff(status=["scheduled", "in-progress"]), True),
  ]
  world.maintenance(
    status="in-progress",
    start=at(),
    hours=10**5,
    events=maintenance_events,
    start_date=at(minutes=3),
  )
  world.maintenance(
    name="Next one",
    start=utcnow() + dt.timedelta(days=3),
    events=maintenance_events[:1],
  )
  return world


@pytest.mark.parametrize("reference_name", REFERENCES)
@pytest.mark.parametrize("path", ENDPOINTS)
def test_shapes_match_published_payloads(populated, v2, path, reference_name):
  reference = json.loads((FIXTURES / reference_name).read_text())
  ours = v2(path)
  assert set(ours) == set(PARTS[path])
  problems = incompatibilities({part: reference[part] for part in PARTS[path]}, ours)
  assert not problems, "\n".join(problems)


@pytest.fixture
def schemas(webapp):
  """The JSON Schemas of the served OpenAPI document, with its components to resolve references."""
  document = webapp.get("/api/openapi.json").json

  def validator(name: str):
    schema = {**document, "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(
      schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

  return validator


@pytest.mark.parametrize("path", ENDPOINTS)
def test_payloads_follow_the_json_schemas(populated, v2, schemas, path):
  validator = schemas(SCHEMAS[path])
  errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(v2(path))]
  assert not errors, "\n".join(errors)


@pytest.mark.one_backend  # what it checks does not depend on the database
def test_the_json_schemas_accept_a_published_payload(schemas):
  """The schemas, written from the documentation, accept a real page's payload, and refuse it as
  soon as something documented is wrong."""
  published = json.loads((FIXTURES / "htx_summary.json").read_text())
  validator = schemas("StatuspageSummary")
  assert list(validator.iter_errors(published)) == []
  for path in ENDPOINTS:
    part = {name: published[name] for name in PARTS[path]}
    assert list(schemas(SCHEMAS[path]).iter_errors(part)) == [], path
  broken = json.loads(json.dumps(published))
  broken["components"][0]["status"] = "on_fire"
  del broken["incidents"][0]["incident_updates"][0]["display_at"]
  broken["status"]["indicator"] = "bad"
  broken["page"]["updated_at"] = "yesterday"
  messages = sorted(error.message for error in validator.iter_errors(broken))
  assert len(messages) == 4, messages
