"""Errors: JSON {"message", "reasons"} with the right status on /api, error pages elsewhere, no internals."""

import re

import pytest

from prodmanager.state import app_state

LEAKS = ("Traceback", 'File "', "sqlalchemy", "psycopg2", "sqlite3", '.py"', "line ", "Exception", "Error:")


def scope_count(dbsession) -> int:
  from prodmanager_scope.models import Scope

  return dbsession.query(Scope).count()


def assert_json_error(response, status: int):
  assert response.status_int == status
  assert response.content_type == "application/json"
  body = response.json
  assert set(body) == {"message", "reasons"}
  assert isinstance(body["message"], str) and body["message"]
  assert isinstance(body["reasons"], dict)
  for field, messages in body["reasons"].items():
    assert isinstance(field, str)
    assert messages and all(isinstance(message, str) for message in messages)
  assert_no_leak(response)
  return body


def assert_no_leak(response):
  for leak in LEAKS:
    assert leak not in response.text, f"{leak!r} in the body of a {response.status} response"


@pytest.fixture
def scope(webapp, token_headers):
  return webapp.post("/api/scope/create", {"name": "Existing scope"}, headers=token_headers).json


def test_unknown_api_path_is_json_404(webapp):
  body = assert_json_error(webapp.get("/api/unknown", status=404), 404)
  assert "/api/unknown" in body["reasons"]["resource"][0]


@pytest.mark.parametrize(
  "path",
  [
    "/api/scope/abc",
    "/api/scope/0",
    "/api/scope/999999",
    "/api/scope/-1",
    "/api/scope/1.5",
    "/api/scope/99999999999999999999999",
    "/api/nothing/1",
  ],
)
def test_unknown_object_is_json_404(webapp, path):
  assert_json_error(webapp.get(path, status=404), 404)


def test_unknown_object_write_is_json_404(webapp, token_headers):
  assert_json_error(
    webapp.post("/api/scope/999999/update", {"name": "x"}, headers=token_headers, status=404), 404
  )
  assert_json_error(webapp.post("/api/scope/999999/delete", headers=token_headers, status=404), 404)
  assert_json_error(webapp.delete("/api/scope/999999", headers=token_headers, status=404), 404)


def test_wrong_method_is_json_405(webapp, token_headers, scope):
  body = assert_json_error(webapp.put(f"/api/scope/{scope['id']}", headers=token_headers, status=405), 405)
  assert "PUT" in body["message"]
  assert_json_error(webapp.put("/api/scope", status=405), 405)
  assert_json_error(webapp.delete("/api/scope/create", headers=token_headers, status=405), 405)
  assert_json_error(webapp.get("/api/token/create", status=405), 405)


def test_put_on_missing_object(webapp):
  # Whether the object exists or not, the method is never accepted.
  response = webapp.put("/api/scope/1", status="*")
  assert response.status_int in (404, 405)
  assert_json_error(response, response.status_int)


def test_body_over_one_mebibyte_is_json_413(webapp, token_headers, dbsession):
  payload = '{"name": "' + "x" * (1024 * 1024) + '"}'
  response = webapp.post(
    "/api/scope/create", payload, content_type="application/json", headers=token_headers, status=413
  )
  body = assert_json_error(response, 413)
  assert "body" in body["reasons"]
  assert scope_count(dbsession) == 0


def test_body_of_exactly_the_limit_is_not_413(webapp, token_headers):
  payload = b"name=" + b"x" * (1024 * 1024 - 5)
  response = webapp.post(
    "/api/scope/create",
    payload,
    content_type="application/x-www-form-urlencoded",
    headers=token_headers,
    status="*",
  )
  assert response.status_int == 400  # too long a name, but not too large a request


def test_html_body_over_the_limit_is_413(webapp, operator, dbsession):
  response = webapp.post(
    "/scope/create", {"name": "x" * (1024 * 1024 + 1), "csrf_token": operator()}, status=413
  )
  assert_no_leak(response)
  assert scope_count(dbsession) == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/csv"])
def test_unsupported_content_type_is_json_415(webapp, token_headers, dbsession, content_type):
  response = webapp.post(
    "/api/scope/create", "name=Plain", content_type=content_type, headers=token_headers, status=415
  )
  body = assert_json_error(response, 415)
  assert "content_type" in body["reasons"]
  assert scope_count(dbsession) == 0


def test_invalid_json_is_json_400(webapp, token_headers, dbsession):
  response = webapp.post(
    "/api/scope/create", '{"name": ', content_type="application/json", headers=token_headers, status=400
  )
  assert_json_error(response, 400)
  assert scope_count(dbsession) == 0


def test_invalid_json_is_never_echoed(webapp, token_headers, dbsession):
  payload = '{"name": "' + "x" * 900_000
  response = webapp.post(
    "/api/scope/create", payload, content_type="application/json", headers=token_headers, status=400
  )
  assert response.json == {
    "message": "Invalid request",
    "reasons": {"body": ["the body is not valid application/json"]},
  }
  french = webapp.post(
    "/api/scope/create",
    payload,
    content_type="application/json",
    headers={**token_headers, "Accept-Language": "fr"},
    status=400,
  )
  assert french.json == {
    "message": "Requête invalide",
    "reasons": {"body": ["le corps n'est pas du application/json valide"]},
  }
  assert scope_count(dbsession) == 0


@pytest.mark.parametrize("payload", [b'{"name": "\xff\xfe"}', b"\xff" * 1000], ids=["in a string", "whole"])
def test_invalid_utf8_json_is_a_short_400(webapp, token_headers, dbsession, payload):
  response = webapp.post(
    "/api/scope/create", payload, content_type="application/json", headers=token_headers, status=400
  )
  assert response.json == {
    "message": "Invalid request",
    "reasons": {"body": ["the body is not valid application/json"]},
  }
  assert scope_count(dbsession) == 0


def test_a_bad_query_value_is_not_echoed(webapp):
  response = webapp.get("/api/scope", {"page": "x" * 5000}, status=400)
  assert len(response.body) < 300
  assert set(response.json["reasons"]) == {"page"}
  assert "xxxxx" not in response.text


def test_validation_error_names_the_field(webapp, token_headers, dbsession):
  body = assert_json_error(
    webapp.post_json("/api/scope/create", {"name": "ab"}, headers=token_headers, status=400), 400
  )
  assert "name" in body["reasons"]
  body = assert_json_error(webapp.post_json("/api/scope/create", {}, headers=token_headers, status=400), 400)
  assert "name" in body["reasons"]
  assert scope_count(dbsession) == 0


def test_a_nullable_field_of_the_wrong_type_names_its_type(webapp, token_headers, dbsession):
  """A description may be null: the reason says so in a sentence, not as a JSON Schema type list."""
  response = webapp.post_json(
    "/api/scope/create", {"name": "typed", "description": 12}, headers=token_headers, status=400
  )
  assert assert_json_error(response, 400)["reasons"] == {
    "description": ["expected a value of type string or null"]
  }
  assert scope_count(dbsession) == 0


def test_bad_query_parameter_is_json_400(webapp):
  body = assert_json_error(webapp.get("/api/scope", {"page": "abc"}, status=400), 400)
  assert "page" in body["reasons"]


def test_conflict_is_json_409(webapp, token_headers, scope, dbsession):
  body = assert_json_error(
    webapp.post("/api/scope/create", {"name": scope["name"]}, headers=token_headers, status=409), 409
  )
  assert "name" in body["reasons"]
  assert scope_count(dbsession) == 1


def test_missing_permission_is_json_403(webapp, make_token, scope):
  assert_json_error(webapp.post(f"/api/scope/{scope['id']}/delete", headers=make_token([]), status=403), 403)


def test_missing_token_is_json_401(webapp, scope):
  response = webapp.post(f"/api/scope/{scope['id']}/delete", status=401)
  assert_json_error(response, 401)
  assert response.headers["WWW-Authenticate"] == "Bearer"


def test_html_404_is_a_page_with_the_layout(webapp):
  response = webapp.get("/no/such/page", status=404)
  assert response.content_type == "text/html"
  assert '<html lang="en">' in response.text
  assert 'class="site-nav"' in response.text
  assert 'href="/scope"' in response.text
  assert "Error 404" in response.text
  assert_no_leak(response)


def test_html_404_for_an_unknown_object(webapp):
  for path in ("/scope/999999", "/scope/abc", "/scope/999999/update"):
    response = webapp.get(path, status=404)
    assert response.content_type == "text/html"
    assert_no_leak(response)


def test_html_404_is_translated(webapp, registry):
  response = webapp.get("/no/such/page", headers={"Accept-Language": "fr"}, status=404)
  assert '<html lang="fr">' in response.text
  assert app_state(registry).catalogues.messages["fr"]["errors.not_found"] in response.text


def test_html_csrf_error_is_a_page(webapp, operator, dbsession):
  response = webapp.post("/scope/create", {"name": "No token"}, status=400)
  assert response.content_type == "text/html"
  assert re.search(r"<h1[^>]*>", response.text)
  assert_no_leak(response)
  assert scope_count(dbsession) == 0
