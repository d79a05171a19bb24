"""The OpenAPI document: served as YAML and JSON, valid 3.1, matching the routes, with the error
responses documented, and every documented operation exercised (successes and errors)."""

import re
from urllib.parse import urlparse

import pytest
import yaml
from openapi_spec_validator import validate
from pyramid.interfaces import IRoutesMapper

from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WRITE_METHODS = ("post", "patch", "delete")
GARBAGE = {"Authorization": "Bearer garbage"}

# A valid object of each resource type, given the ids of objects created before it (types are
# created in dependency order). A plugin adding a resource type adds its sample here.
SAMPLES = {
  "scope": lambda ids, suffix: {"name": f"Contract scope {suffix}"},
  "service": lambda ids, suffix: {"name": f"Contract service {suffix}"},
  "monitor": lambda ids, suffix: {
    "name": f"Contract monitor {suffix}",
    "scope": ids["scope"],
    "service": ids["service"],
  },
  "incident": lambda ids, suffix: {
    "name": f"Contract incident {suffix}",
    "severity": "high",
    "scope": ids["scope"],
    "service": ids["service"],
  },
  "announcement": lambda ids, suffix: {
    "name": f"Contract announcement {suffix}",
    "level": "medium",
    "scope": ids["scope"],
    "service": ids["service"],
    "start_date": "2030-01-01T00:00",
    "end_date": "2030-01-31T00:00",
  },
  "maintenance": lambda ids, suffix: {
    "name": f"Contract maintenance {suffix}",
    "service_status": "degraded",
    "scope": ids["scope"],
    "service": ids["service"],
    "scheduled_start_date": "2030-01-01T00:00",
    "scheduled_end_date": "2030-01-01T02:00",
  },
}


@pytest.fixture
def document(webapp) -> dict:
  return webapp.get("/api/openapi.json").json


def operations(document: dict):
  for path, item in document["paths"].items():
    for method, operation in item.items():
      if method in METHODS:
        yield method, path, operation


def documented_statuses(document: dict, method: str, path: str) -> set[int]:
  return {int(code) for code in document["paths"][path][method]["responses"] if code.isdigit()}


@pytest.mark.one_backend  # the document, not the data
def test_yaml_and_json_are_the_same_document(webapp):
  as_yaml = webapp.get("/api/openapi.yaml")
  assert "yaml" in as_yaml.content_type
  as_json = webapp.get("/api/openapi.json")
  assert as_json.content_type == "application/json"
  assert yaml.safe_load(as_yaml.text) == as_json.json


@pytest.mark.one_backend  # the document, not the data
def test_document_is_valid_openapi_3_1(document):
  assert document["openapi"].startswith("3.1.")
  assert document["info"]["version"]  # its own version, independent of the application's
  validate(document)


@pytest.mark.one_backend  # the document, not the data
def test_operation_ids_are_unique(document):
  ids = [operation["operationId"] for _method, _path, operation in operations(document)]
  assert len(ids) == len(set(ids))


@pytest.mark.one_backend  # the document, not the data
def test_every_error_response_uses_the_error_schema(document):
  responses = document["components"]["responses"]
  for code in ("400", "401", "403", "404", "409", "413", "415", "429", "500", "503"):
    schema = responses[f"E{code}"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Error"}
  assert document["components"]["schemas"]["Error"]["required"] == ["message", "reasons"]


def registered_views(registry) -> set[tuple[str, str]]:
  """(method, route pattern) of every view attached to a route."""
  mapper = registry.queryUtility(IRoutesMapper)
  patterns = {route.name: route.pattern for route in mapper.get_routes()}
  found = set()
  for entry in registry.introspector.get_category("views"):
    view = entry["introspectable"]
    route_name = view["route_name"]
    if route_name not in patterns:
      continue
    methods = view["request_methods"]
    methods = [methods] if isinstance(methods, str) else (methods or METHODS)
    for method in methods:
      found.add((method.lower(), patterns[route_name]))
  return found


@pytest.mark.one_backend  # the document, not the data
def test_every_documented_operation_has_a_route_and_a_view(document, registry):
  views = registered_views(registry)
  missing = [(method, path) for method, path, _ in operations(document) if (method, path) not in views]
  assert not missing, f"documented but not served: {missing}"


@pytest.mark.one_backend  # the document, not the data
def test_every_api_route_is_documented(document, registry):
  views = registered_views(registry)
  documented = {(method, path) for method, path, _ in operations(document)}
  undocumented = sorted(
    (method, path)
    for method, path in views
    if path.startswith("/api/")
    and not path.startswith("/api/openapi.")
    and (method, path) not in documented
    and method != "head"
  )
  assert not undocumented, f"served but not documented: {undocumented}"


@pytest.mark.one_backend  # the document, not the data
def test_every_operation_documents_its_errors(document):
  problems = []
  for method, path, operation in operations(document):
    codes = set(operation["responses"])
    # Every operation, /api or not: the common failures (issue 4's contract).
    wanted = {"400", "401", "403", "404", "429", "500", "503"}
    if method in WRITE_METHODS:
      wanted |= {"409", "413", "415"}
    missing = wanted - codes
    if missing:
      problems.append(f"{method.upper()} {path}: {sorted(missing)}")
    if not any(code.startswith("2") for code in codes):
      problems.append(f"{method.upper()} {path}: no success response")
  assert not problems, "\n".join(problems)


class Exerciser:
  """Sends requests for documented operations and records what each operation answered."""

  def __init__(self, webapp, document):
    self.webapp = webapp
    self.document = document
    self.answered: dict[tuple[str, str], set[int]] = {}

  def call(self, method: str, template: str, status: int, url: str | None = None, **kwargs):
    url = url or template
    assert (method, template) in {(m, p) for m, p, _ in operations(self.document)}, (
      f"{method} {template} undocumented"
    )
    documented = documented_statuses(self.document, method, template)
    assert status in documented, f"{method.upper()} {template}: the expected {status} is not documented"
    if "json" in kwargs:
      kwargs["params"] = kwargs.pop("json")
      response = getattr(self.webapp, f"{method}_json")(url, status="*", **kwargs)
    else:
      response = getattr(self.webapp, method)(url, status="*", **kwargs)
    assert response.status_int == status, (
      f"{method.upper()} {url}: {response.status_int} instead of {status}: {response.text[:500]}"
    )
    if status >= 400 and template.startswith("/api/"):
      assert response.content_type == "application/json"
      assert set(response.json) == {"message", "reasons"}
    self.answered.setdefault((method, template), set()).add(status)
    return response


def resource_type_order(registry) -> list[str]:
  names = list(app_state(registry).resource_types)
  missing = [name for name in names if name not in SAMPLES]
  assert not missing, f"add a sample object for {missing} to SAMPLES"
  return [name for name in SAMPLES if name in names]


def test_every_documented_operation_is_exercised(webapp, document, registry, make_token, token_headers):
  api = Exerciser(webapp, document)
  no_permission = make_token([])
  big = b"x" * (1024 * 1024 + 1)

  # Core operations.
  token = api.call(
    "post",
    "/api/token/create",
    200,
    params={"secret": TEST_SECRET, "name": "contract", "description": "contract test token"},
  ).json
  api.call("post", "/api/token/create", 400, json={"secret": TEST_SECRET})
  api.call("post", "/api/token/create", 415, params="x", content_type="text/plain")
  api.call("post", "/api/token/create", 413, params=big, content_type="application/json")
  api.call("get", "/api/token/whoami", 200, headers={"Authorization": f"Bearer {token}"})
  api.call("get", "/api/token/whoami", 200)
  api.call("get", "/api/token/whoami", 401, headers=GARBAGE)
  api.call("get", "/health", 200)
  api.call("get", "/health/ready", 200)
  api.call("get", "/health/version", 200)

  # Token administration: a session or the administrator secret; tokens themselves are refused.
  admin = {"X-ProdManager-Secret": TEST_SECRET}
  jti = webapp.get("/api/token/whoami", headers={"Authorization": f"Bearer {token}"}).json["payload"]["jti"]
  api.call("get", "/api/token", 200, headers=admin)
  api.call("get", "/api/token", 400, url="/api/token?per_page=abc", headers=admin)
  api.call("get", "/api/token", 401)
  api.call("get", "/api/token", 403, headers=token_headers)
  for method, template, status in (
    ("post", "/api/token/{jti}/revoke", 200),
    ("delete", "/api/token/{jti}", 204),  # revoking twice changes nothing
  ):
    url = template.replace("{jti}", jti)
    api.call(method, template, 401, url=url)
    api.call(method, template, 403, url=url, headers=token_headers)
    api.call(method, template, 404, url=template.replace("{jti}", "no-such-jti"), headers=admin)
    api.call(method, template, 400, url=template.replace("{jti}", "x" * 65), headers=admin)
    api.call(method, template, status, url=url, headers=admin)

  # The standard operations of every resource type: created in dependency order...
  types = resource_type_order(registry)
  ids, compat_ids = {}, {}
  for name in types:
    sample = SAMPLES[name]
    base, item = f"/api/{name}", f"/api/{name}/{{id}}"
    api.call("get", base, 200)
    api.call("get", base, 400, url=f"{base}?page=abc")
    api.call("get", base, 401, headers=GARBAGE)
    created = api.call("post", base, 201, json=sample(ids, "rest"), headers=token_headers)
    assert created.headers["Location"] == created.json["links"]["self"]
    ids[name] = created.json["id"]
    compat_ids[name] = api.call(
      "post", f"{base}/create", 200, params=sample(ids, "compat"), headers=token_headers
    ).json["id"]
    for template in (base, f"{base}/create"):
      api.call("post", template, 400, json={}, headers=token_headers)
      api.call("post", template, 401, json=sample(ids, "x"))
      api.call("post", template, 403, json=sample(ids, "x"), headers=no_permission)
      api.call("post", template, 413, params=big, content_type="application/json", headers=token_headers)
      api.call("post", template, 415, params="name=x", content_type="text/plain", headers=token_headers)
    url = item.replace("{id}", str(ids[name]))
    api.call("get", item, 200, url=url)
    api.call("get", item, 404, url=item.replace("{id}", "999999"))
    api.call("get", item, 401, url=url, headers=GARBAGE)
    api.call("patch", item, 200, url=url, json={"description": "patched"}, headers=token_headers)
    api.call(
      "post",
      f"{item}/update",
      200,
      url=f"{url}/update",
      params={"description": "updated"},
      headers=token_headers,
    )
    for method, template, target in (("patch", item, url), ("post", f"{item}/update", f"{url}/update")):
      api.call(method, template, 400, url=target, json={"name": "x"}, headers=token_headers)
      api.call(method, template, 401, url=target, json={"description": "x"})
      api.call(method, template, 403, url=target, json={"description": "x"}, headers=no_permission)
      api.call(
        method,
        template,
        404,
        url=target.replace(str(ids[name]), "999999"),
        json={"description": "x"},
        headers=token_headers,
      )
      api.call(
        method, template, 413, url=target, params=big, content_type="application/json", headers=token_headers
      )
      api.call(
        method, template, 415, url=target, params="x", content_type="text/plain", headers=token_headers
      )

    # Timelines (incident, maintenance): the comment compat path, the REST events path, the events list.
    if f"/api/{name}/{{id}}/events" in document["paths"]:
      for template, status in ((f"{item}/comment", 200), (f"{item}/events", 201)):
        target = template.replace("{id}", str(ids[name]))
        api.call("post", template, status, url=target, json={"comment": "contract"}, headers=token_headers)
        api.call("post", template, 400, url=target, json={}, headers=token_headers)
        api.call("post", template, 401, url=target, json={"comment": "x"})
        api.call("post", template, 403, url=target, json={"comment": "x"}, headers=no_permission)
        missing = target.replace(str(ids[name]), "999999")
        api.call("post", template, 404, url=missing, json={"comment": "x"}, headers=token_headers)
        api.call(
          "post", template, 415, url=target, params="x", content_type="text/plain", headers=token_headers
        )
      api.call("get", f"{item}/events", 200, url=f"{url}/events")
      api.call("get", f"{item}/events", 404, url=f"{url}/events".replace(str(ids[name]), "999999"))
      # A comment edited, then deleted.
      event = f"{item}/events/{{event_id}}"
      comment = webapp.post_json(f"{url}/events", {"comment": "to edit"}, headers=token_headers).json["id"]
      target = f"{url}/events/{comment}"
      api.call("patch", event, 200, url=target, json={"comment": "edited"}, headers=token_headers)
      api.call("patch", event, 400, url=target, json={"comment": ""}, headers=token_headers)
      api.call("patch", event, 401, url=target, json={"comment": "x"})
      api.call("patch", event, 403, url=target, json={"comment": "x"}, headers=no_permission)
      api.call("patch", event, 404, url=f"{url}/events/999999", json={"comment": "x"}, headers=token_headers)
      api.call("patch", event, 415, url=target, params="x", content_type="text/plain", headers=token_headers)
      api.call("delete", event, 401, url=target)
      api.call("delete", event, 403, url=target, headers=no_permission)
      api.call("delete", event, 204, url=target, headers=token_headers)
      api.call("delete", event, 404, url=target, headers=token_headers)

  # Badges of the page and of the types that have one, while the rows exist.
  api.call("get", "/badge.json", 200)
  api.call("get", "/badge.json", 400, url="/badge.json?style=round")
  for path, _ in [(p, o) for m, p, o in operations(document) if p.endswith("/{id}/badge.json")]:
    name = path.split("/")[1]
    api.call("get", path, 200, url=path.replace("{id}", str(ids[name])))
    api.call("get", path, 404, url=path.replace("{id}", "999999"))

  # ...and deleted in reverse order, children first.
  for name in reversed(types):
    item = f"/api/{name}/{{id}}"
    for method, template, ident, status in (
      ("post", f"{item}/delete", compat_ids[name], 200),
      ("delete", item, ids[name], 204),
    ):
      target = template.replace("{id}", str(ident))
      api.call(method, template, 401, url=target)
      api.call(method, template, 403, url=target, headers=no_permission)
      api.call(method, template, status, url=target, headers=token_headers)
      api.call(method, template, 404, url=target, headers=token_headers)  # gone now

  # Operations of plugins that are not standard CRUD.
  if ("get", "/api/weather/monitor") in {(m, p) for m, p, _ in operations(document)}:
    assert api.call("get", "/api/weather/monitor", 200).json == {"ok": 0, "warning": 0, "alert": 0}
    api.call("get", "/api/weather/monitor", 400, url="/api/weather/monitor?status=purple")
    api.call("get", "/api/weather/monitor", 401, headers=GARBAGE)
  if ("get", "/api/weather/incident") in {(m, p) for m, p, _ in operations(document)}:
    weather = api.call("get", "/api/weather/incident", 200).json
    assert weather == {"active": 0, "investigating": 0, "stable": 0, "resolved": 0}
    api.call("get", "/api/weather/incident", 400, url="/api/weather/incident?impact_after=tomorrow")
    api.call("get", "/api/weather/incident", 401, headers=GARBAGE)
  if ("get", "/api/weather/announcement") in {(m, p) for m, p, _ in operations(document)}:
    assert api.call("get", "/api/weather/announcement", 200).json == {"high": 0, "medium": 0, "low": 0}
    api.call("get", "/api/weather/announcement", 400, url="/api/weather/announcement?level=purple")
    api.call("get", "/api/weather/announcement", 401, headers=GARBAGE)

  # Maintenance calendars and weather (its comments are exercised with the other timelines).
  if ("get", "/api/maintenance/{id}/calendar") in {(m, p) for m, p, _ in operations(document)}:
    parents = {
      name: webapp.post_json(f"/api/{name}", {"name": f"Calendar {name}"}, headers=token_headers).json["id"]
      for name in ("scope", "service")
    }
    maintenance = webapp.post_json(
      "/api/maintenance", SAMPLES["maintenance"](parents, "calendar"), headers=token_headers
    ).json["id"]
    item = "/api/maintenance/{id}"
    url = f"/api/maintenance/{maintenance}"
    calendar = api.call("get", f"{item}/calendar", 200, url=f"{url}/calendar")
    assert calendar.content_type == "text/calendar" and b"BEGIN:VEVENT" in calendar.body
    api.call("get", f"{item}/calendar", 404, url="/api/maintenance/999999/calendar")
    api.call("get", f"{item}/calendar", 401, url=f"{url}/calendar", headers=GARBAGE)
    weather = api.call("get", "/api/weather/maintenance", 200).json
    assert weather == {"scheduled": 1, "in-progress": 0, "succeed": 0, "failed": 0, "canceled": 0}
    api.call("get", "/api/weather/maintenance", 400, url="/api/weather/maintenance?start_after=soon")
    api.call("get", "/api/weather/maintenance", 401, headers=GARBAGE)

  # Statuspage-compatible public JSON (/api/v2/*.json): read anonymously; a bad token is refused.
  # Their OPTIONS is the CORS preflight (204).
  for method, path, _ in [op for op in operations(document) if op[1].startswith("/api/v2/")]:
    success = 204 if method == "options" else 200
    assert api.call(method, path, success).headers["Access-Control-Allow-Origin"] == "*"
    if method == "get":
      api.call(method, path, 401, headers=GARBAGE)

  unexercised = sorted(
    (method, path)
    for method, path, _ in operations(document)
    if not any(200 <= status < 300 for status in api.answered.get((method, path), ()))
  )
  assert not unexercised, f"documented operations never answered with success here: {unexercised}"


def test_delete_with_children_is_a_documented_403(webapp, document, token_headers):
  scope = webapp.post("/api/scope/create", {"name": "Parent scope"}, headers=token_headers).json
  service = webapp.post("/api/service/create", {"name": "Parent service"}, headers=token_headers).json
  webapp.post(
    "/api/monitor/create",
    {"name": "Child monitor", "scope": scope["id"], "service": service["id"]},
    headers=token_headers,
  )
  assert 403 in documented_statuses(document, "delete", "/api/scope/{id}")
  response = webapp.delete(f"/api/scope/{scope['id']}", headers=token_headers, status=403)
  assert response.json["reasons"]
  webapp.get(f"/api/scope/{scope['id']}", status=200)


def test_unique_conflict_is_a_documented_409(webapp, document, token_headers):
  webapp.post("/api/scope/create", {"name": "Unique scope"}, headers=token_headers)
  assert 409 in documented_statuses(document, "post", "/api/scope")
  response = webapp.post_json("/api/scope", {"name": "Unique scope"}, headers=token_headers, status=409)
  assert "name" in response.json["reasons"]


@pytest.mark.one_backend  # the document, not the data
def test_swagger_ui_is_served_from_this_server(webapp):
  page = webapp.get("/api")
  assert page.content_type == "text/html"
  assert 'id="swagger-ui"' in page.text
  urls = re.findall(r'(?:src|href|data-spec-url)="([^"]+)"', page.text)
  assert urls
  for url in urls:
    parsed = urlparse(url)
    assert parsed.scheme in ("", "http") and parsed.netloc in ("", "localhost"), (
      f"{url} is not from this server"
    )
  scripts = re.findall(r'<script[^>]*src="([^"]+)"', page.text)
  stylesheets = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page.text)
  assert any("swagger-ui-bundle.js" in script for script in scripts)
  assert any("swagger-ui.css" in sheet for sheet in stylesheets)
  for url in scripts + stylesheets:
    asset = webapp.get(urlparse(url).path)
    assert asset.status_int == 200
    assert asset.content_type in ("application/javascript", "text/javascript", "text/css")
    assert len(asset.body) > 100
  spec_url = re.search(r'data-spec-url="([^"]+)"', page.text).group(1)
  assert webapp.get(urlparse(spec_url).path).json["openapi"].startswith("3.1")


@pytest.mark.one_backend  # the document, not the data
def test_swagger_ui_has_no_inline_script(webapp):
  page = webapp.get("/api")
  for tag, body in re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S):
    assert "src=" in tag
    assert not body.strip()
