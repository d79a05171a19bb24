"""Every operation on an unknown id answers 404 with a body that says what was not found.

Tests that checked only the status of these answers would have passed on an empty body, a body
of another shape, or an HTML page on the API.
"""

import pytest

from prodmanager.state import app_state

UNKNOWN = 987654321
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def id_operations(document) -> list[tuple[str, str]]:
  return [
    (method, path)
    for path, item in document["paths"].items()
    if "{id}" in path or "{jti}" in path
    for method in item
    if method in HTTP_METHODS
  ]


@pytest.fixture(scope="module")
def document(registry):
  import json

  return json.loads(app_state(registry).openapi.json)


def test_every_id_operation_of_the_document_answers_a_json_404(webapp, registry, document, token_headers):
  from prodmanager.testing import TEST_SECRET

  operations = id_operations(document)
  assert len(operations) > 30  # every resource type's item paths, timelines, calendars, badges, tokens
  for method, path in operations:
    url = path.replace("{id}", str(UNKNOWN)).replace("{jti}", f"jti-{UNKNOWN}").replace("{event_id}", "1")
    headers = {**token_headers, "X-ProdManager-Secret": TEST_SECRET}
    kwargs = {"headers": headers, "status": "*"}
    if method in ("post", "put", "patch"):
      response = getattr(webapp, f"{method}_json")(url, {"comment": "x", "name": "xxxx"}, **kwargs)
    else:
      response = getattr(webapp, method)(url, **kwargs)
    assert response.status_int == 404, f"{method.upper()} {url}: {response.status}"
    assert response.content_type == "application/json", f"{method.upper()} {url}"
    body = response.json
    assert set(body) == {"message", "reasons"} and body["message"], f"{method.upper()} {url}: {body}"
    if "{jti}" in path:
      assert body["reasons"] == {"jti": [f"no token has the jti 'jti-{UNKNOWN}'"]}
    else:
      # The type named as 0.22 named it: reasons.scope, reasons.incident...
      parts = path.split("/")
      name = parts[parts.index("{id}") - 1]
      assert body["reasons"] == {name: [f"no {name} has the id {UNKNOWN}"]}, f"{method.upper()} {url}: {body}"


def test_every_item_page_of_every_type_answers_the_404_page(webapp, registry, operator):
  for name in app_state(registry).resource_types:
    for suffix in ("", "/update", "/delete", "/badge.svg"):
      url = f"/{name}/{UNKNOWN}{suffix}"
      page = webapp.get(url, status=404)
      assert page.content_type == "text/html", url
      assert page.html.select_one("h1#error-title").get_text(strip=True) == "Page not found", url
