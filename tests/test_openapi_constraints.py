"""The OpenAPI document says what the API accepts and how its operations chain together.

Links lead from every create to the operations on the created row (schemathesis' stateful phase,
and any client, follow them); field schemas carry the real constraints (no control characters,
non-blank names of the minimum length, dates in the accepted formats and years, ids >= 1), and a
value they refuse is answered with the field's own message.
"""

import json
import re

import pytest

from prodmanager.api.schemas import DATE_PATTERN, ID_PATTERN, text_pattern
from prodmanager.fields import Text, parse_datetime
from prodmanager.state import app_state


@pytest.fixture(scope="module")
def document(registry):
  return json.loads(app_state(registry).openapi.json)


def operation_ids(document) -> dict[str, str]:
  return {
    operation["operationId"]: path
    for path, item in document["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict) and "operationId" in operation
  }


def test_every_create_links_to_every_operation_on_the_created_row(document, registry):
  known = operation_ids(document)
  for name in app_state(registry).resource_types:
    on_row = sorted(
      operation_id
      for operation_id, path in known.items()
      if path.startswith((f"/api/{name}/{{id}}", f"/{name}/{{id}}/"))
    )
    assert f"get_{name}" in on_row and f"patch_{name}" in on_row and f"delete_{name}_rest" in on_row
    for path, code in ((f"/api/{name}", "201"), (f"/api/{name}/create", "200")):
      links = document["paths"][path]["post"]["responses"][code]["links"]
      assert sorted(links) == on_row, path
      for link in links.values():
        assert link["operationId"] in known
        assert link["parameters"] == {"path.id": "$response.body#/id"}


def test_incident_links_reach_the_timeline_and_maintenance_links_the_calendar(document):
  incident = document["paths"]["/api/incident"]["post"]["responses"]["201"]["links"]
  assert {"comment_incident", "list_incident_events", "create_incident_event"} <= set(incident)
  maintenance = document["paths"]["/api/maintenance"]["post"]["responses"]["201"]["links"]
  assert "maintenance_calendar" in maintenance


def test_references_are_positive_ids(document):
  schema = document["paths"]["/api/incident"]["post"]["requestBody"]["content"]["application/json"]["schema"]
  scope = schema["properties"]["scope"]
  assert scope["minimum"] == 1 and scope["pattern"].endswith(ID_PATTERN)
  form = document["paths"]["/api/incident"]["post"]["requestBody"]["content"][
    "application/x-www-form-urlencoded"
  ]["schema"]
  assert form["properties"]["scope"]["pattern"].endswith(ID_PATTERN)


@pytest.mark.parametrize(
  "value, accepted",
  [
    ("Paris DC", True),
    ("  Lyon  ", True),
    ("abc", False),  # shorter than 4
    ("  ab  ", False),  # 2 once stripped
    ("nul\x00name", False),
    ("vt\x0bname", False),
    ("tab\tname", True),
    ("Réseau 東京", True),
  ],
)
def test_the_name_pattern_agrees_with_the_field(value, accepted):
  field = Text("name", required=True, min_length=4)
  assert bool(re.search(text_pattern(field), value)) is accepted
  try:
    field.parse(value, None)
    parsed = True
  except ValueError:
    parsed = False
  assert parsed is accepted


@pytest.mark.parametrize(
  "value, accepted",
  [
    ("2024-05-01T13:45", True),
    ("2024-05-01 13:45", True),
    ("2024-05-01", True),
    ("2024-05-01T13:45:30", True),
    ("2024-05-01T13:45:30.123456", True),
    ("2024-05-01T13:45Z", True),
    ("2024-05-01T13:45+02:00", True),
    ("2024-05-01T13:45-0330", True),
    ("1970-01-01T00:00", True),
    ("1969-12-31T23:59", False),
    ("10000-01-01T00:00", False),
    ("2024-13-01T00:00", False),
    ("2024-05-01T24:00", False),
    ("tomorrow", False),
  ],
)
def test_the_date_pattern_agrees_with_parse_datetime(value, accepted):
  assert bool(re.search(DATE_PATTERN, value)) is accepted
  try:
    parse_datetime(value)
    parsed = True
  except ValueError:
    parsed = False
  assert parsed is accepted


def test_a_value_the_document_refuses_gets_the_field_message(webapp, token_headers):
  response = webapp.post_json("/api/scope", {"name": "ab\u0000cd"}, headers=token_headers, status=400)
  assert response.json["reasons"] == {"name": ["must not contain control characters (found U+0000)"]}
  response = webapp.post_json(
    "/api/scope", {"name": "Good name", "description": "x"}, headers=token_headers, status=201
  )
  response = webapp.post_json(
    "/api/incident",
    {"name": "Some incident", "severity": "high", "scope": -3, "service": 1},
    headers=token_headers,
    status=400,
  )
  assert response.json["reasons"]["scope"] == ["expected a positive integer id"]
