"""The one definition of an API path, shared by security, rate limits, body limits and errors."""

import pytest

from prodmanager.paths import is_api_path, is_json_path


@pytest.mark.parametrize(
  ("path", "api", "json"),
  [
    ("/api", True, True),
    ("/api/", True, True),
    ("/api/scope/3", True, True),
    ("/apis", False, False),
    ("/apiscope", False, False),
    ("/scope/api", False, False),
    ("/scope/3/badge.json", False, True),
    ("/", False, False),
  ],
)
def test_api_and_json_paths(path, api, json):
  assert (is_api_path(path), is_json_path(path)) == (api, json)


def test_a_too_large_body_on_the_api_answers_json_and_elsewhere_text(webapp):
  from prodmanager.tweens import MAX_BODY_BYTES

  body = b"x" * (MAX_BODY_BYTES + 1)
  api = webapp.post("/api", body, content_type="application/octet-stream", status=413)
  assert api.json["message"] == "Request body too large"
  page = webapp.post("/login", body, content_type="application/octet-stream", status=413)
  assert page.content_type == "text/plain"
