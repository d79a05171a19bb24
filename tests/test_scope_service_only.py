"""An application with only the scope and service plugins: the core points at no other plugin.

What a plugin shows on another type's objects (counts, links, list columns, panels) comes from that
plugin's directives, so with the monitor, incident, maintenance and announcement plugins disabled
no served link may answer 404, and every JSON response still matches the (smaller) API document,
which pyramid_openapi3 checks on each response (a mismatch answers 500).
"""

import re
from html.parser import HTMLParser
from importlib.resources import files
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import yaml

from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

ORIGIN = "http://localhost"
MAX_PAGES = 300
# Links that change state or leave the session when followed (GET on them is still not a 404).
SKIPPED = re.compile(r"^/(logout|static/)")


class Links(HTMLParser):
  """The ``href`` and ``src`` attributes of a page."""

  def __init__(self):
    super().__init__()
    self.found = []

  def handle_starttag(self, tag, attrs):
    for name, value in attrs:
      if name in ("href", "src") and value:
        self.found.append(value)


def page_links(base: str, body: str) -> list[str]:
  parser = Links()
  parser.feed(body)
  links = []
  for href in parser.found:
    url, _ = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc == "localhost":
      links.append(parts.path + (f"?{parts.query}" if parts.query else ""))
  return links


def json_links(value) -> list[str]:
  """Every URL under a ``links`` key, at any depth."""
  found = []
  if isinstance(value, dict):
    for key, item in value.items():
      if key == "links" and isinstance(item, dict):
        found.extend(link for link in item.values() if isinstance(link, str))
      else:
        found.extend(json_links(item))
  elif isinstance(value, list):
    for item in value:
      found.extend(json_links(item))
  return found


@pytest.fixture
def groups_app(build_app, connection, dbsession):
  """A client of an application with ``prodmanager.plugins = scope service``, on the test's
  connection (rolled back afterwards), with one scope and one service."""
  client = build_app(plugins="scope service")
  dbsession.add_all([Scope(name="Lyon DC", description="A *scope*"), Service(name="Storage", description="")])
  dbsession.flush()
  return client


def test_only_the_enabled_plugins_are_loaded(groups_app, enabled_plugins):
  disabled = sorted(set(enabled_plugins) - {"scope", "service"})
  assert {"monitor", "incident", "maintenance", "announcement"} <= set(disabled)
  assert sorted(app_state(groups_app.app.registry).resource_types) == ["scope", "service"]
  document = groups_app.get("/api/openapi.json").json
  core_paths = set(yaml.safe_load(files("prodmanager").joinpath("openapi.yaml").read_text())["paths"])
  added = sorted(set(document["paths"]) - core_paths)
  assert "/api/scope" in added and "/api/service/{id}" in added
  assert [path for path in document["paths"] if any(name in path for name in disabled)] == []
  assert [
    name for name in document["components"]["schemas"] if name.lower().startswith(tuple(disabled))
  ] == []
  # The grouping axes' objects carry only their own values: nothing contributed by a disabled plugin.
  scope_schema = document["components"]["schemas"]["Scope"]
  assert sorted(scope_schema["properties"]) == ["description", "id", "links", "name"]
  assert scope_schema["properties"]["links"]["required"] == ["self"]


@pytest.mark.parametrize("type_name", ["scope", "service"])
def test_json_objects_and_their_links(groups_app, type_name):
  items = groups_app.get(f"/api/{type_name}").json["items"]
  assert len(items) == 1
  item = items[0]
  assert sorted(item) == ["description", "id", "links", "name"]
  assert item["links"] == {"self": f"{ORIGIN}/api/{type_name}/{item['id']}"}
  assert groups_app.get(f"/api/{type_name}/{item['id']}").json == item
  for link in json_links(items):
    assert link.startswith(ORIGIN)
    response = groups_app.get(link[len(ORIGIN) :], status="*")
    assert response.status_int == 200, (link, response.status)


def crawl(client, start: str = "/") -> dict[str, int]:
  """GET every page reachable from ``start`` through links of the site; returns their status."""
  seen, queue = {}, [start]
  while queue and len(seen) < MAX_PAGES:
    path = queue.pop(0)
    if path in seen:
      continue
    response = client.get(path, status="*")
    seen[path] = response.status_int
    if SKIPPED.match(path) or "html" not in (response.content_type or ""):
      continue
    for link in page_links(ORIGIN + path, response.text):
      if link not in seen:
        queue.append(link)
  return seen


def test_no_served_link_answers_404_anonymous(groups_app):
  statuses = crawl(groups_app)
  assert "/scope" in statuses and "/service" in statuses
  assert any(re.match(r"^/scope/\d+$", path) for path in statuses)
  assert {path: status for path, status in statuses.items() if status == 404 or status >= 500} == {}


def test_no_served_link_answers_404_as_operator(groups_app):
  page = groups_app.get("/login")
  form = page.forms["login-form"] if "login-form" in page.forms else page.form
  form["secret"] = TEST_SECRET
  form.submit(status=303)
  statuses = crawl(groups_app)
  assert any(re.match(r"^/scope/\d+/update$", path) for path in statuses)
  assert {path: status for path, status in statuses.items() if status == 404 or status >= 500} == {}
  # No colour of a disabled plugin's badges: only the core's own (integration runs' outcomes).
  tones = {rule.split(" {")[0] for rule in groups_app.get("/tones.css").text.strip().splitlines()}
  assert {cls for rule in tones for cls in re.findall(r"\.badge-([a-z_]+)-", rule)} == {"run"}
  # The lists show no column of a disabled plugin.
  assert "<th" in groups_app.get("/scope").text
  assert groups_app.get("/scope").text.count('<th scope="col">') == 1
