"""Input that cannot be read as text is a 400 with the usual headers, never the server's 500: a path
or query that is not UTF-8 once percent-decoded, a form likewise, a lone surrogate in JSON, a CRLF
in the login's ``next``."""

import pytest
from webtest import TestApp

from prodmanager.request_checks import MAX_FORM_FIELDS, MAX_QUERY_BYTES, MAX_QUERY_PARAMETERS
from prodmanager.testing import TEST_SECRET


@pytest.fixture
def client(wsgi_app, connection):
  """Without cookies: webtest's cookie jar itself cannot read an undecodable URL."""
  return TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})


def assert_usual_headers(response):
  assert response.headers["X-Content-Type-Options"] == "nosniff"
  assert response.headers["X-Frame-Options"] == "DENY"
  assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
  ("path", "field"),
  [
    ("/api/scope?q=%ff", "q"),
    ("/api/%ff", "path"),
    ("/api/scope/%c3%28", "path"),
    ("/api/scope?%ff=1", "query"),
    ("/api/v2/summary.json?x=%ed%a0%80", "x"),  # an encoded surrogate is not UTF-8 either
  ],
)
def test_api_answers_json_400(client, path, field):
  response = client.get(path, status=400)
  assert response.content_type == "application/json"
  assert response.json["message"] == "Invalid request"
  assert "UTF-8" in response.json["reasons"][field][0]
  assert_usual_headers(response)


@pytest.mark.parametrize(
  "path",
  [
    "/%ff",
    "/health?x=%ff",
    "/badge.svg?label=%ff",
    "/login?next=%ff",
    "/scope/%ff",
    "/history.atom?scope=%fe",
  ],
)
def test_pages_answer_the_error_page(client, path):
  response = client.get(path, status=400)
  assert response.content_type == "text/html"
  assert '<h1 id="error-title">Bad request</h1>' in response.text
  assert '<html lang="en">' in response.text  # the layout, not the server's plain text
  assert_usual_headers(response)


def test_form_body_that_is_not_utf8(client, token_headers):
  response = client.post(
    "/api/scope",
    "name=%ff",
    headers={**token_headers, "Content-Type": "application/x-www-form-urlencoded"},
    status=400,
  )
  assert response.json["reasons"]["body"] == ["the form is not valid UTF-8 once percent-decoded"]


def test_lone_surrogate_in_json_names_the_field(webapp, token_headers, dbsession):
  from prodmanager_scope.models import Scope

  response = webapp.post_json("/api/scope", {"name": "sur\ud800rogate"}, headers=token_headers, status=400)
  assert response.json["message"] == "Invalid JSON body"
  assert "lone surrogate" in response.json["reasons"]["name"][0]
  assert dbsession.query(Scope).count() == 0
  # A surrogate pair is a character (U+1F600), and an escaped backslash before "ud800" is text.
  created = webapp.post_json("/api/scope", {"name": "smile \U0001f600 \\ud800"}, headers=token_headers).json
  assert created["name"] == "smile \U0001f600 \\ud800"


def test_lone_surrogate_in_a_token_request(client):
  body = f'{{"secret": "{TEST_SECRET}", "name": "t\\udfff", "description": "d", "permissions": []}}'
  response = client.post("/api/token/create", body, headers={"Content-Type": "application/json"}, status=400)
  assert "lone surrogate" in response.json["reasons"]["name"][0]


def test_crlf_in_the_login_destination_lands_on_the_home_page(webapp):
  form = webapp.get("/login").forms["login-form"]
  form["secret"] = TEST_SECRET
  form["next"] = "/scope\r\nSet-Cookie: planted=1"
  response = form.submit(status=303)
  assert response.location == "http://localhost/"
  assert "planted" not in str(response.headers)


def test_too_many_query_parameters(client):
  query = "&".join(f"p{number}=1" for number in range(MAX_QUERY_PARAMETERS + 1))
  response = client.get(f"/api/scope?per_page=1&{query}", status=400)
  assert response.json["reasons"]["query"] == [
    f"at most {MAX_QUERY_PARAMETERS} query parameters are accepted"
  ]
  page = client.get(f"/scope?{query}", status=400)
  assert "Bad request" in page.text


def test_too_long_query_string(client):
  response = client.get("/api/scope?q=" + "a" * MAX_QUERY_BYTES, status=400)
  assert response.json["reasons"]["query"] == [f"the query string is longer than {MAX_QUERY_BYTES} bytes"]


def test_the_limits_leave_room_for_every_real_list(client):
  filters = "&".join(f"scope={number}" for number in range(1, 51))  # a filter takes up to 50 values
  assert client.get(f"/api/monitor?per_page=1&{filters}").status_int == 200


def test_too_many_form_fields(client, token_headers):
  body = "&".join(f"f{number}=1" for number in range(MAX_FORM_FIELDS + 1))
  response = client.post(
    "/api/scope",
    body,
    headers={**token_headers, "Content-Type": "application/x-www-form-urlencoded"},
    status=400,
  )
  assert response.json["reasons"]["body"] == [f"at most {MAX_FORM_FIELDS} form fields are accepted"]


def test_refusals_are_in_the_client_language(client):
  response = client.get("/api/scope?q=%ff", headers={"Accept-Language": "fr"}, status=400)
  assert response.json == {
    "message": "Requête invalide",
    "reasons": {"q": ["pas de l'UTF-8 valide une fois décodé"]},
  }
  refused = client.put("/api/scope", headers={"Accept-Language": "fr"}, status=405).json
  assert refused["reasons"]["method"] == ["PUT n'est pas accepté ici ; utilisez GET, HEAD, POST"]
