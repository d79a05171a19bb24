"""Every operation of the API document, walked: HEAD answers like GET without a body, a method the
document does not give a path is a 405 with ``Allow``, and the public /api/v2 endpoints answer the
CORS preflight."""

import re

import pytest

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def paths(webapp) -> dict[str, set[str]]:
  """Each documented path (placeholders filled with an unknown id) and its documented methods."""
  document = webapp.get("/api/openapi.json").json
  found = {}
  for path, item in document["paths"].items():
    concrete = re.sub(r"\{[^}]+\}", "999999", path)
    found[concrete] = {method.upper() for method in item if method.upper() in METHODS}
  assert len(found) > 40  # the whole document, plugins included
  return found


def test_head_answers_like_get_on_every_path(webapp, paths, token_headers):
  problems = []
  for path, methods in sorted(paths.items()):
    if "GET" not in methods:
      continue
    for headers in ({}, token_headers):
      get = webapp.get(path, headers=headers, expect_errors=True)
      head = webapp.head(path, headers=headers, expect_errors=True)
      if head.status_int != get.status_int or head.body or head.content_type != get.content_type:
        problems.append(
          f"HEAD {path}: {head.status} {head.content_type} {head.body[:60]!r}; GET {get.status}"
        )
      elif head.status_int == 200 and head.content_length != len(get.body):
        problems.append(f"HEAD {path}: Content-Length {head.content_length}, GET body {len(get.body)}")
  assert not problems, "\n".join(problems)


def test_undocumented_methods_are_405_with_allow(webapp, paths, token_headers):
  problems, checked = [], 0
  for path, methods in sorted(paths.items()):
    allowed = methods | ({"HEAD"} if "GET" in methods else set())
    expected = ", ".join(method for method in METHODS if method in allowed)
    for method in ("GET", *WRITE_METHODS):
      if method in methods:
        continue
      checked += 1
      response = webapp.request(path, method=method, headers=token_headers, expect_errors=True)
      if response.status_int != 405 or response.headers.get("Allow") != expected:
        problems.append(
          f"{method} {path}: {response.status}, Allow {response.headers.get('Allow')!r} != {expected!r}"
        )
      elif response.json["reasons"]["method"] != [f"{method} is not supported here; use {expected}"]:
        problems.append(f"{method} {path}: {response.json}")
  assert checked > 100
  assert not problems, "\n".join(problems)


def test_cors_preflight_on_every_public_read(webapp, paths):
  public = [path for path in paths if path.startswith("/api/v2/")]
  assert len(public) == 8
  for path in public:
    response = webapp.options(
      path,
      headers={"Origin": "https://dashboard.example", "Access-Control-Request-Method": "GET"},
      status=204,
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert response.body == b""


def test_head_keeps_the_etag_and_the_304(webapp):
  etag = webapp.get("/api/v2/components.json").headers["ETag"]
  head = webapp.head("/api/v2/components.json")
  assert head.headers["ETag"] == etag and head.headers["Cache-Control"] == "public, max-age=30"
  assert webapp.head("/api/v2/components.json", headers={"If-None-Match": etag}, status=304).body == b""
