"""Status badges: SVG and shields.io endpoint JSON for the page, scopes, services and monitors."""

import xml.etree.ElementTree as ET

import pytest

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def world(webapp, token_headers):
  scope = webapp.post_json("/api/scope", {"name": "France DC01"}, headers=token_headers).json
  service = webapp.post_json("/api/service", {"name": "Compute"}, headers=token_headers).json
  monitor = webapp.post_json(
    "/api/monitor",
    {"name": "Compute FR", "scope": scope["id"], "service": service["id"]},
    headers=token_headers,
  ).json
  return {"scope": scope, "service": service, "monitor": monitor}


def set_status(webapp, token_headers, monitor, status):
  webapp.patch_json(f"/api/monitor/{monitor['id']}", {"status": status}, headers=token_headers)


def svg_texts(response) -> list[str]:
  root = ET.fromstring(response.body)
  return [text.text for text in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
  ("status", "message", "color"),
  [("ok", "operational", "brightgreen"), ("warning", "degraded", "orange"), ("alert", "outage", "red")],
)
def test_page_badge_follows_the_worst_monitor(webapp, token_headers, world, status, message, color):
  set_status(webapp, token_headers, world["monitor"], status)
  assert webapp.get("/badge.json").json == {
    "schemaVersion": 1,
    "label": "status",
    "message": message,
    "color": color,
    "style": "flat",
  }
  response = webapp.get("/badge.svg")
  assert response.content_type == "image/svg+xml"
  assert response.headers["Cache-Control"] == "no-cache"
  assert svg_texts(response) == ["status", message]


@pytest.mark.parametrize("kind", ["scope", "service", "monitor"])
def test_resource_badges_use_the_name_and_the_status(webapp, token_headers, world, kind):
  set_status(webapp, token_headers, world["monitor"], "warning")
  row = world[kind]
  body = webapp.get(f"/{kind}/{row['id']}/badge.json").json
  assert (body["label"], body["message"], body["color"]) == (row["name"], "degraded", "orange")
  assert svg_texts(webapp.get(f"/{kind}/{row['id']}/badge.svg")) == [row["name"], "degraded"]


def test_a_scope_without_problem_is_operational_while_another_is_down(webapp, token_headers, world):
  other = webapp.post_json("/api/scope", {"name": "Japan DC01"}, headers=token_headers).json
  set_status(webapp, token_headers, world["monitor"], "alert")
  assert webapp.get(f"/scope/{other['id']}/badge.json").json["message"] == "operational"
  assert webapp.get(f"/scope/{world['scope']['id']}/badge.json").json["message"] == "outage"


def test_label_and_styles(webapp, world):
  response = webapp.get("/badge.svg", {"label": "Production", "style": "for-the-badge"})
  assert svg_texts(response) == ["PRODUCTION", "OPERATIONAL"]
  assert ET.fromstring(response.body).get("height") == "28"
  assert webapp.get("/badge.json", {"style": "flat-square"}).json["style"] == "flat-square"


def test_the_label_is_escaped(webapp, world):
  response = webapp.get("/badge.svg", {"label": "<script>alert(1)</script>"})
  assert b"<script>" not in response.body
  assert svg_texts(response)[0] == "<script>alert(1)</script>"


def test_bad_parameters_and_unknown_ids(webapp, world):
  response = webapp.get("/badge.json", {"style": "round"}, status=400)
  assert list(response.json["reasons"]) == ["style"]
  assert webapp.get("/badge.svg", {"style": "round"}, status=400)
  assert webapp.get("/badge.json", {"label": "x" * 65}, status=400).json["reasons"]["label"]
  assert webapp.get("/monitor/999999/badge.json", status=404).json["message"]
  webapp.get("/monitor/999999/badge.svg", status=404)


def test_badge_json_endpoints_are_documented(webapp):
  paths = webapp.get("/api/openapi.json").json["paths"]
  for path in (
    "/badge.json",
    "/scope/{id}/badge.json",
    "/service/{id}/badge.json",
    "/monitor/{id}/badge.json",
  ):
    assert "429" in paths[path]["get"]["responses"], path
