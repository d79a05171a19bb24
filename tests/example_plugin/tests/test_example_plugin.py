"""The example plugin (a third-party distribution) adds the runbook resource type end to end:
plugin order, migrations, API with its OpenAPI document, HTML pages, navigation, translations and
the rule that a service with runbooks cannot be deleted."""

import pytest
from sqlalchemy import func, select

from prodmanager.plugins import resolve
from prodmanager.settings import ConfigurationError
from prodmanager.state import app_state
from prodmanager_example.models import Runbook
from prodmanager_service.models import Service


@pytest.fixture
def service(make):
  return make.service(name="Compute")  # the service plugin's factory (prodmanager_service.testing)


@pytest.fixture
def runbook(make, service):
  # This plugin's factory (prodmanager_example.testing), for the test's first service.
  return make.runbook(
    name="Restart the API", description="1. drain\n2. **restart**", url="https://wiki.example.com/api"
  )


def count_runbooks(dbsession) -> int:
  return dbsession.scalar(select(func.count()).select_from(Runbook))


# -- discovery and order ----------------------------------------------------------------------------


def test_example_is_opt_in():
  # `*` leaves an opt-in plugin out; naming it enables it.
  assert "example" not in [plugin.id for plugin in resolve(None)]
  assert "example" in [plugin.id for plugin in resolve(["scope", "service", "monitor", "example"])]


def test_resolve_puts_example_after_the_service_plugin():
  ids = [plugin.id for plugin in resolve(["example", "service"])]
  assert ids == ["service", "example"]
  example = next(plugin for plugin in resolve(["example", "service"]) if plugin.id == "example")
  assert example.distribution == "prodmanager-example"
  assert example.requires == ["service"]
  assert example.migrations == "prodmanager_example:migrations"


def test_enabling_example_without_service_stops_startup():
  with pytest.raises(ConfigurationError, match="requires 'service'"):
    resolve(["example"])


def test_the_application_of_these_tests_has_the_example_plugin(registry):
  assert "example" in [plugin.id for plugin in app_state(registry).plugins]
  assert app_state(registry).resource_types["runbook"].permission == "runbook_api"


def test_the_database_is_at_the_head_of_the_example_branch(database_uri):
  from prodmanager.migrate import current

  assert "e7a3b1c00001" in current(database_uri)


# -- JSON API -------------------------------------------------------------------------------------


def test_create_with_a_form_answers_200_and_writes_the_row(webapp, token_headers, dbsession, service):
  response = webapp.post(
    "/api/runbook/create",
    {"name": "Failover the DB", "service": str(service.id), "url": "https://wiki.example.com/db"},
    headers=token_headers,
  )
  body = response.json
  assert response.status_int == 200
  assert body["name"] == "Failover the DB"
  assert body["description"] == ""
  assert body["url"] == "https://wiki.example.com/db"
  assert body["service"] == service.id
  assert body["links"] == {
    "self": f"http://localhost/api/runbook/{body['id']}",
    "service": f"http://localhost/api/service/{service.id}",
  }
  row = dbsession.get(Runbook, body["id"])
  assert (row.name, row.service_id, row.url) == ("Failover the DB", service.id, "https://wiki.example.com/db")


def test_rest_create_with_json_answers_201_and_location(webapp, make_token, dbsession, service):
  headers = make_token(["runbook_api"])
  response = webapp.post_json(
    "/api/runbook",
    {"name": "Rotate the certificates", "description": "Use *certbot*.", "service": service.id},
    headers=headers,
    status=201,
  )
  assert response.headers["Location"] == response.json["links"]["self"]
  assert response.json["url"] is None
  assert dbsession.get(Runbook, response.json["id"]).description == "Use *certbot*."


def test_list_get_filter_and_search(webapp, dbsession, service, runbook):
  other = Service(name="Network", description="")
  dbsession.add(other)
  dbsession.flush()
  dbsession.add(Runbook(name="Reload the firewall", description="", service_id=other.id))
  dbsession.flush()

  response = webapp.get("/api/runbook")
  assert [item["name"] for item in response.json["items"]] == ["Reload the firewall", "Restart the API"]
  assert response.headers["x-total"] == "2"
  assert response.headers["x-next-page"] == "None"
  assert [item["name"] for item in webapp.get(f"/api/runbook?service={service.id}").json["items"]] == [
    "Restart the API"
  ]
  assert [item["name"] for item in webapp.get("/api/runbook?q=FIREWALL").json["items"]] == [
    "Reload the firewall"
  ]
  assert webapp.get(f"/api/runbook/{runbook.id}").json["url"] == "https://wiki.example.com/api"
  error = webapp.get("/api/runbook?service=abc", status=400).json
  assert "service" in error["reasons"]


def test_list_runs_the_same_number_of_queries_whatever_its_length(webapp, dbsession, service, count_queries):
  def queries() -> int:
    with count_queries() as statements:
      webapp.get("/api/runbook")
    return len(statements)

  dbsession.add(Runbook(name="Runbook 1", description="", service_id=service.id))
  dbsession.flush()
  one = queries()
  dbsession.add_all(Runbook(name=f"Runbook {n}", description="", service_id=service.id) for n in range(2, 8))
  dbsession.flush()
  assert queries() == one


def test_update_keeps_omitted_fields_and_patch_works(webapp, token_headers, dbsession, runbook):
  response = webapp.post(
    f"/api/runbook/{runbook.id}/update", {"url": "http://intranet/api"}, headers=token_headers
  )
  assert response.json["url"] == "http://intranet/api"
  assert response.json["name"] == "Restart the API"
  response = webapp.patch_json(
    f"/api/runbook/{runbook.id}", {"name": "Restart the API servers"}, headers=token_headers
  )
  assert response.json["name"] == "Restart the API servers"
  dbsession.refresh(runbook)
  assert (runbook.name, runbook.url) == ("Restart the API servers", "http://intranet/api")
  assert runbook.description == "1. drain\n2. **restart**"


def test_delete_compat_and_rest(webapp, token_headers, dbsession, service, runbook):
  second = Runbook(name="Scale out", description="", service_id=service.id)
  dbsession.add(second)
  dbsession.flush()
  response = webapp.post(f"/api/runbook/{runbook.id}/delete", headers=token_headers)
  assert response.json == {"message": f"Runbook {runbook.id} deleted"}
  webapp.delete(f"/api/runbook/{second.id}", headers=token_headers, status=204)
  assert count_runbooks(dbsession) == 0


@pytest.mark.parametrize(
  "fields, field",
  [
    ({"name": "Bad link", "url": "ftp://files.example.com/runbook"}, "url"),
    ({"name": "Bad link", "url": "not a url"}, "url"),
    ({"name": "Bad"}, "name"),
    ({"name": "No service", "service": ""}, "service"),
    ({"name": "Unknown service", "service": "999999"}, "service"),
  ],
)
def test_invalid_input_is_refused_with_400_and_nothing_is_written(
  webapp, token_headers, dbsession, service, fields, field
):
  data = {"service": str(service.id), **fields}
  error = webapp.post("/api/runbook/create", data, headers=token_headers, status=400).json
  assert field in error["reasons"]
  assert error["message"]
  assert count_runbooks(dbsession) == 0


def test_bad_url_on_update_is_refused_and_the_row_is_unchanged(webapp, token_headers, dbsession, runbook):
  error = webapp.patch_json(
    f"/api/runbook/{runbook.id}", {"url": "javascript:alert(1)"}, headers=token_headers, status=400
  ).json
  assert error["reasons"]["url"] == ["expected an http:// or https:// URL"]
  dbsession.refresh(runbook)
  assert runbook.url == "https://wiki.example.com/api"


def test_a_used_name_is_a_409_conflict(webapp, token_headers, dbsession, service, runbook):
  error = webapp.post_json(
    "/api/runbook/create",
    {"name": "Restart the API", "service": service.id},
    headers=token_headers,
    status=409,
  ).json
  assert error["reasons"]["name"] == ["this Name is already used by another Runbook"]
  assert count_runbooks(dbsession) == 1


def test_writes_need_the_runbook_permission(webapp, make_token, dbsession, service):
  data = {"name": "Not allowed", "service": service.id}
  webapp.post_json("/api/runbook", data, status=401)
  error = webapp.post_json("/api/runbook", data, headers=make_token(["service_api"]), status=403).json
  assert "permission" in error["reasons"]
  assert count_runbooks(dbsession) == 0


def test_a_service_with_runbooks_cannot_be_deleted(webapp, token_headers, dbsession, service, runbook):
  service_id = service.id
  error = webapp.post(f"/api/service/{service_id}/delete", headers=token_headers, status=403).json
  assert error["reasons"] == {"runbooks": ["runbooks: 1 still attached; delete or move them first"]}
  webapp.delete(f"/api/service/{service_id}", headers=token_headers, status=403)
  assert dbsession.scalar(select(func.count()).select_from(Service).where(Service.id == service_id)) == 1
  # Once its runbooks are gone, the service can go.
  webapp.delete(f"/api/runbook/{runbook.id}", headers=token_headers, status=204)
  webapp.delete(f"/api/service/{service_id}", headers=token_headers, status=204)
  assert dbsession.scalar(select(func.count()).select_from(Service).where(Service.id == service_id)) == 0


def test_the_service_delete_page_explains_why_it_is_refused(webapp, operator, dbsession, service, runbook):
  response = webapp.post(f"/service/{service.id}/delete", {"csrf_token": operator()}, status=403)
  # A dependent declared without a title or a page is named by its label, without a link.
  assert [item.get_text(strip=True) for item in response.html.select(".delete-blockers li")] == [
    "runbooks (1)"
  ]
  assert dbsession.scalar(select(func.count()).select_from(Service)) == 1


# -- OpenAPI document -------------------------------------------------------------------------------


def test_openapi_document_has_the_runbook_paths_and_schema(webapp):
  document = webapp.get("/api/openapi.json").json
  for path in (
    "/api/runbook",
    "/api/runbook/create",
    "/api/runbook/{id}",
    "/api/runbook/{id}/update",
    "/api/runbook/{id}/delete",
  ):
    assert path in document["paths"], path
  schema = document["components"]["schemas"]["Runbook"]
  assert set(schema["required"]) == {"id", "name", "description", "url", "service", "links"}
  ok = document["paths"]["/api/runbook/{id}"]["get"]["responses"]["200"]
  assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Runbook"}
  assert {"name": "runbook"} in document["tags"]


# -- the hand-written endpoint ----------------------------------------------------------------------


def test_copy_creates_a_runbook_for_the_same_service(webapp, token_headers, dbsession, service, runbook):
  response = webapp.post_json(
    f"/api/runbook/{runbook.id}/copy", {"name": "Restart the API (EU)"}, headers=token_headers, status=201
  )
  copy = dbsession.scalars(select(Runbook).where(Runbook.name == "Restart the API (EU)")).one()
  assert response.json == {
    "id": copy.id,
    "name": "Restart the API (EU)",
    "description": "1. drain\n2. **restart**",
    "url": "https://wiki.example.com/api",
    "service": service.id,
    "links": {
      "self": f"http://localhost/api/runbook/{copy.id}",
      "service": f"http://localhost/api/service/{service.id}",
    },
  }
  assert response.headers["Location"] == response.json["links"]["self"]
  assert count_runbooks(dbsession) == 2


def test_copy_is_validated_like_a_create(webapp, token_headers, dbsession, runbook):
  short = webapp.post_json(
    f"/api/runbook/{runbook.id}/copy", {"name": "abc"}, headers=token_headers, status=400
  )
  assert list(short.json["reasons"]) == ["name"]
  taken = webapp.post_json(
    f"/api/runbook/{runbook.id}/copy", {"name": runbook.name}, headers=token_headers, status=409
  )
  assert list(taken.json["reasons"]) == ["name"]
  missing = webapp.post_json(
    "/api/runbook/999999/copy", {"name": "Whatever"}, headers=token_headers, status=404
  )
  assert missing.json["message"]
  assert count_runbooks(dbsession) == 1


def test_copy_needs_the_edit_permission(webapp, make_token, dbsession, runbook):
  webapp.post_json(f"/api/runbook/{runbook.id}/copy", {"name": "Anonymous copy"}, status=401)
  headers = make_token(["service_api"])
  webapp.post_json(
    f"/api/runbook/{runbook.id}/copy", {"name": "Wrong token copy"}, headers=headers, status=403
  )
  assert count_runbooks(dbsession) == 1


def test_copy_is_documented_with_the_core_error_responses(webapp):
  operation = webapp.get("/api/openapi.json").json["paths"]["/api/runbook/{id}/copy"]["post"]
  assert operation["responses"]["201"]["content"]["application/json"]["schema"] == {
    "$ref": "#/components/schemas/Runbook"
  }
  # Added by the core to every write operation.
  for code in ("400", "401", "403", "404", "409", "413", "415", "429"):
    assert operation["responses"][code] == {"$ref": f"#/components/responses/E{code}"}


# -- the dashboard panel ----------------------------------------------------------------------------


def panel_names(page) -> list[str]:
  section = page.html.select_one("section.panel-runbooks")
  return [] if section is None else [link.get_text(strip=True) for link in section.select("li a")]


def test_the_panel_lists_runbooks_on_the_dashboard_and_the_service_page(webapp, dbsession, service, runbook):
  other = Service(name="Storage", description="")
  dbsession.add(other)
  dbsession.flush()
  dbsession.add(Runbook(name="Resize a volume", description="", service_id=other.id))
  dbsession.flush()
  assert panel_names(webapp.get("/")) == ["Resize a volume", "Restart the API"]
  assert panel_names(webapp.get(f"/service/{service.id}")) == ["Restart the API"]
  assert panel_names(webapp.get(f"/service/{other.id}")) == ["Resize a volume"]


def test_the_panel_is_hidden_without_runbooks(webapp, service):
  assert webapp.get(f"/service/{service.id}").html.select_one("section.panel-runbooks") is None


# -- HTML pages -----------------------------------------------------------------------------------


def test_navigation_shows_the_runbook_entry(webapp):
  page = webapp.get("/")
  link = page.html.select_one('.site-nav a[href="/runbook"]')
  assert link is not None
  assert link.get_text(strip=True) == "Runbooks"
  page = webapp.get("/", headers={"Accept-Language": "fr"})
  assert page.html.select_one('.site-nav a[href="/runbook"]').get_text(strip=True) == "Procédures"


def test_list_and_detail_pages(webapp, service, runbook):
  page = webapp.get("/runbook")
  row = page.html.select_one("table tbody tr")
  cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
  assert cells[:2] == ["Restart the API", "Compute"]
  assert row.select_one('a[href="https://wiki.example.com/api"]') is not None
  assert page.html.select_one('a[href$="/runbook/create"]') is None  # anonymous: no create button

  page = webapp.get(f"/runbook/{runbook.id}")
  assert page.html.select_one("h1").get_text(strip=True) == "Restart the API"
  assert page.html.select_one(f'dd a[href="/service/{service.id}"]').get_text(strip=True) == "Compute"
  assert page.html.select_one(".markdown strong").get_text() == "restart"
  webapp.get("/runbook/999999", status=404)


def runbook_form(page):
  """The create/update form of the page (the layout also holds the logout form)."""
  return next(form for form in page.forms.values() if "name" in form.fields)


def test_operator_creates_a_runbook_with_the_form(webapp, operator, dbsession, service):
  form = runbook_form(webapp.get("/runbook/create"))
  assert {"name", "description", "url", "service"} <= set(form.fields)
  assert (str(service.id), False, "Compute") in form["service"].options
  form["name"] = "Purge the CDN"
  form["url"] = "https://wiki.example.com/cdn"
  form["service"] = str(service.id)
  response = form.submit(status=303)
  row = dbsession.scalars(select(Runbook).where(Runbook.name == "Purge the CDN")).one()
  assert response.headers["Location"].endswith(f"/runbook/{row.id}")
  assert row.service_id == service.id
  assert "Purge the CDN" in response.follow().text


def test_form_errors_are_shown_and_nothing_is_written(webapp, operator, dbsession, service):
  form = runbook_form(webapp.get("/runbook/create"))
  form["name"] = "Broken link"
  form["url"] = "wiki/page"
  form["service"] = str(service.id)
  response = form.submit(status=400)
  assert "expected an http:// or https:// URL" in response.text
  assert response.html.select_one('input[name="name"]')["value"] == "Broken link"
  assert count_runbooks(dbsession) == 0


def test_anonymous_visitors_cannot_open_the_create_form(webapp):
  response = webapp.get("/runbook/create", status=303)
  assert "/login?next=" in response.headers["Location"]


def test_operator_updates_then_deletes_a_runbook(webapp, operator, dbsession, runbook):
  form = runbook_form(webapp.get(f"/runbook/{runbook.id}/update"))
  assert form["name"].value == "Restart the API"
  form["url"] = "https://wiki.example.com/api-v2"
  response = form.submit(status=303)
  assert response.headers["Location"].rstrip("/").endswith(f"/runbook/{runbook.id}")
  dbsession.refresh(runbook)
  assert runbook.url == "https://wiki.example.com/api-v2"

  page = webapp.get(f"/runbook/{runbook.id}/delete")
  assert "Restart the API" in page.text
  response = next(form for form in page.forms.values() if form.action.endswith("/delete")).submit(status=303)
  assert response.headers["Location"].rstrip("/").endswith("/runbook")
  assert count_runbooks(dbsession) == 0


# -- demo data --------------------------------------------------------------------------------------


def test_demo_data_adds_one_runbook_per_demo_service(tmp_path, monkeypatch):
  # load_demo commits, so it gets a database of its own instead of the suite's shared one.
  from prodmanager.db import get_engine
  from prodmanager.demo import ALREADY_PRESENT, load_demo
  from prodmanager.migrate import upgrade

  uri = f"sqlite:///{tmp_path / 'demo.sqlite'}"
  upgrade(uri)
  settings = {
    "prodmanager.database_uri": uri,
    "prodmanager.instance_path": str(tmp_path),
    "prodmanager.plugins": "service example",
  }
  # The machine's PM_* variables must not apply: an empty environment.
  summary = load_demo(settings, environ={})
  engine = get_engine(uri)
  try:
    with engine.connect() as connection:
      rows = connection.execute(
        select(Runbook.name, Service.name).join(Service, Runbook.service_id == Service.id)
      ).all()
  finally:
    engine.dispose()
  assert rows and all(runbook == f"Restart {service}" for runbook, service in rows)
  assert f"{len(rows)} runbooks" in summary
  assert load_demo(settings) == ALREADY_PRESENT
