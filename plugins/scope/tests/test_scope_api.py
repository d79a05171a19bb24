"""Functional tests of the API of the grouping axes, scope and service: compat paths and REST
verbs, lists, errors and permissions (docs/api.md). Every test runs for both types through the
``group`` fixture (conftest.py), on SQLite and on PostgreSQL.
"""

import pytest
from sqlalchemy import select

from prodmanager_monitor.models import Monitor

API = "http://localhost/api"
MAX_TEXT = 64 * 1024


def expected_object(
  group: str, ident: int, name: str, description: str = "", ok=0, warning=0, alert=0
) -> dict:
  """The 0.22 shape of a scope or service (docs/api.md#endpoints-of-a-resource-type)."""
  return {
    "id": ident,
    "name": name,
    "description": description,
    "incidents_count": 0,
    "maintenances_count": 0,
    "monitors_count": {"ok": ok, "warning": warning, "alert": alert},
    "links": {
      "self": f"{API}/{group}/{ident}",
      "incidents": f"{API}/incident?{group}={ident}",
      "maintenances": f"{API}/maintenance?{group}={ident}",
      "monitors": f"{API}/monitor?{group}={ident}",
    },
  }


# -- API: compat paths and REST verbs ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["form", "json"])
def test_api_create_answers_200_with_the_object(webapp, token_headers, group, make, model, encoding):
  post = webapp.post_json if encoding == "json" else webapp.post
  response = post(
    f"/api/{group}/create", {"name": "Madrid DC", "description": "Spain"}, headers=token_headers
  )
  assert response.status_int == 200
  row = make.db.scalars(select(model)).one()
  assert response.json == expected_object(group, row.id, "Madrid DC", "Spain")


def test_api_get_and_list(webapp, group, make_row, item):
  make_row(name="Amsterdam DC")
  one = webapp.get(f"/api/{group}/{item.id}").json
  assert one == expected_object(group, item.id, "Paris DC1", "First **row**")
  listed = webapp.get(f"/api/{group}").json["items"]
  assert [entry["name"] for entry in listed] == ["Amsterdam DC", "Paris DC1"]
  assert listed[1] == one


def test_api_object_counts_monitors_per_status(webapp, group, item, add_monitor):
  for index, status in enumerate(["ok", "alert", "alert", "ok", "ok"]):
    add_monitor(item, f"Monitor {index}", status)
  body = webapp.get(f"/api/{group}/{item.id}").json
  assert body == expected_object(group, item.id, "Paris DC1", "First **row**", ok=3, alert=2)
  # The links are absolute URLs of their API twins.
  assert webapp.get(body["links"]["self"]).json == body
  assert len(webapp.get(body["links"]["monitors"]).json["items"]) == 5


@pytest.mark.parametrize(("path", "method"), [("{id}/update", "post"), ("{id}", "patch")])
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_api_update_keeps_omitted_fields(
  webapp, token_headers, group, make, model, item, path, method, encoding
):
  send = getattr(webapp, f"{method}_json" if encoding == "json" else method)
  response = send(f"/api/{group}/" + path.format(id=item.id), {"name": "Paris DC01"}, headers=token_headers)
  assert response.json == expected_object(group, item.id, "Paris DC01", "First **row**")
  assert [(row.name, row.description) for row in make.table(model)] == [("Paris DC01", "First **row**")]


def test_api_update_can_clear_the_description(webapp, token_headers, group, make, model, item):
  response = webapp.post_json(f"/api/{group}/{item.id}/update", {"description": ""}, headers=token_headers)
  assert response.json["description"] == ""
  assert [(row.name, row.description) for row in make.table(model)] == [("Paris DC1", "")]


def test_api_compat_delete_answers_200(webapp, token_headers, group, make, model, item):
  response = webapp.post(f"/api/{group}/{item.id}/delete", headers=token_headers)
  assert response.json == {"message": f"{group.capitalize()} {item.id} deleted"}
  assert make.count(model) == 0
  webapp.get(f"/api/{group}/{item.id}", status=404)


def test_api_rest_create_answers_201_with_location(webapp, token_headers, group, make, model):
  response = webapp.post_json(f"/api/{group}", {"name": "Oslo DC"}, headers=token_headers, status=201)
  row = make.db.scalars(select(model)).one()
  assert response.json == expected_object(group, row.id, "Oslo DC")
  assert response.headers["Location"] == f"{API}/{group}/{row.id}"


def test_api_rest_delete_answers_204(webapp, token_headers, group, make, model, item):
  response = webapp.delete(f"/api/{group}/{item.id}", headers=token_headers, status=204)
  assert response.body == b""
  assert make.count(model) == 0


@pytest.mark.parametrize("path", ["{id}/delete", "{id}"])
def test_api_delete_with_monitors_is_refused(
  webapp, token_headers, group, make, model, item, add_monitor, path
):
  add_monitor(item, "Blocking")
  method = webapp.post if path.endswith("delete") else webapp.delete
  response = method(f"/api/{group}/" + path.format(id=item.id), headers=token_headers, status=403)
  assert response.json == {
    "message": f"{group.capitalize()} deletion refused: it still has children",
    "reasons": {"monitors": ["Monitors: 1 still attached; delete or move them first"]},
  }
  assert make.count(model) == 1 and make.count(Monitor) == 1


# -- API: lists -------------------------------------------------------------------------------------


def test_api_pagination_headers(webapp, group, make_row):
  for name in ("Alpha DC", "Bravo DC", "Charlie DC"):
    make_row(name=name)
  first = webapp.get(f"/api/{group}", {"per_page": "2"})
  assert [entry["name"] for entry in first.json["items"]] == ["Alpha DC", "Bravo DC"]
  assert {
    key: first.headers[key]
    for key in ("x-total", "x-total-pages", "x-page", "x-per-page", "x-prev-page", "x-next-page")
  } == {
    "x-total": "3",
    "x-total-pages": "2",
    "x-page": "1",
    "x-per-page": "2",
    "x-prev-page": "None",
    "x-next-page": "2",
  }
  base = f"{API}/{group}"
  assert first.headers["Link"] == (
    f'<{base}?page=1&per_page=2>; rel="first", <{base}?page=2&per_page=2>; rel="next", '
    f'<{base}?page=2&per_page=2>; rel="last"'
  )
  second = webapp.get(f"/api/{group}", {"per_page": "2", "page": "2"})
  assert [entry["name"] for entry in second.json["items"]] == ["Charlie DC"]
  assert (second.headers["x-prev-page"], second.headers["x-next-page"]) == ("1", "None")
  assert webapp.get(f"/api/{group}", {"page": "3", "per_page": "2"}).json == {"items": []}


def test_api_per_page_zero_gives_only_the_headers(webapp, group, make_row):
  for number in range(3):
    make_row(name=f"Group {number}")
  response = webapp.get(f"/api/{group}", {"per_page": "0"})
  assert response.json == {"items": []}
  assert (response.headers["x-total"], response.headers["x-per-page"]) == ("3", "0")
  assert {"x-total-pages", "x-page", "x-prev-page", "x-next-page", "Link"} <= set(response.headers)


@pytest.mark.parametrize(
  ("parameter", "value"),
  [
    ("page", "abc"),
    ("page", "0"),
    ("page", "-1"),
    ("page", "10000001"),
    ("per_page", "abc"),
    ("per_page", "51"),
    ("per_page", "-1"),
  ],
)
def test_api_bad_pagination_is_400_naming_the_parameter(webapp, group, item, parameter, value):
  response = webapp.get(f"/api/{group}", {parameter: value}, status=400)
  assert response.json["message"] == "Invalid list parameters"
  assert list(response.json["reasons"]) == [parameter]


def test_api_free_text_search(webapp, group, make_row):
  make_row(name="Paris DC1")
  make_row(name="Lyon DC2", description="Backup of PARIS")
  make_row(name="Berlin DC3")
  found = webapp.get(f"/api/{group}", {"q": "Paris"})
  assert [entry["name"] for entry in found.json["items"]] == ["Lyon DC2", "Paris DC1"]
  assert found.headers["x-total"] == "2"
  assert webapp.get(f"/api/{group}", {"q": "nowhere"}).json == {"items": []}


# -- API: errors ------------------------------------------------------------------------------------


# (body, encoding, field, start of the reason): the OpenAPI document checks types and lengths first.
BAD_CREATES = [
  ({"description": "no name"}, "json", "name", "this field is required"),
  ({"description": "no name"}, "form", "name", "this field is required"),
  ({"name": 1234}, "json", "name", "expected a value of type string"),
  ({"name": "ab"}, "json", "name", "must be at least 3 characters long"),
  ({"name": "x" * 256}, "json", "name", "must be at most 255 characters long"),
  ({"name": "x" * 256}, "form", "name", "must be at most 255 characters long"),
  (
    {"name": "Big one", "description": "x" * (MAX_TEXT + 1)},
    "form",
    "description",
    "must be at most 65536 characters long",
  ),
  (
    {"name": "Big one", "description": "x" * (MAX_TEXT + 1)},
    "json",
    "description",
    "must be at most 65536 characters long",
  ),
]


@pytest.mark.parametrize(("body", "encoding", "field", "reason"), BAD_CREATES)
def test_api_create_with_bad_input_is_400(
  webapp, token_headers, group, make, model, body, encoding, field, reason
):
  post = webapp.post_json if encoding == "json" else webapp.post
  response = post(f"/api/{group}/create", body, headers=token_headers, status=400)
  assert response.json["message"] == "Invalid request"
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert make.count(model) == 0


@pytest.mark.parametrize(
  ("body", "field", "message", "reason"),
  [
    ({"name": ""}, "name", "Invalid request", "must be at least 3 characters long"),
    ({"name": "   "}, "name", "update failed", "this field cannot be emptied"),
    ({"name": ["a", "list"]}, "name", "Invalid request", "expected a value of type string"),
    (
      {"description": "x" * (MAX_TEXT + 1)},
      "description",
      "Invalid request",
      "must be at most 65536 characters long",
    ),
  ],
)
def test_api_update_with_bad_input_is_400(
  webapp, token_headers, group, make, model, item, body, field, message, reason
):
  before = make.table(model)
  response = webapp.post_json(f"/api/{group}/{item.id}/update", body, headers=token_headers, status=400)
  assert message in response.json["message"]
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert make.table(model) == before


@pytest.mark.parametrize("path", ["create", "{id}/update"])
def test_api_used_name_is_409(webapp, token_headers, group, make, make_row, model, item, path):
  make_row(name="Lyon DC2")
  before = make.table(model)
  response = webapp.post(
    f"/api/{group}/" + path.format(id=item.id), {"name": "Lyon DC2"}, headers=token_headers, status=409
  )
  assert response.json["reasons"] == {"name": [f"this Name is already used by another {group.capitalize()}"]}
  assert make.table(model) == before


def api_writes(group, ident: int) -> list[tuple[str, str]]:
  """Every write of the API on one row: (method, path)."""
  base = f"/api/{group}"
  return [
    ("POST", f"{base}/create"),
    ("POST", base),
    ("POST", f"{base}/{ident}/update"),
    ("PATCH", f"{base}/{ident}"),
    ("POST", f"{base}/{ident}/delete"),
    ("DELETE", f"{base}/{ident}"),
  ]


def test_api_writes_need_a_valid_token(webapp, group, make, model, item):
  before = make.table(model)
  for method, path in api_writes(group, item.id):
    anonymous = webapp.request(path, method=method, POST={"name": "Hacked name"}, expect_errors=True)
    assert anonymous.status_int == 401, path
    assert anonymous.json["message"] == "Authentication required"
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    forged = webapp.request(
      path,
      method=method,
      POST={"name": "Hacked name"},
      expect_errors=True,
      headers={"Authorization": "Bearer not.a.token"},
    )
    assert forged.status_int == 401, path
    assert forged.json["message"] == "Invalid token"
  assert make.table(model) == before


def test_api_writes_need_the_type_permission(webapp, make_token, group, other, make, model, item):
  before = make.table(model)
  for headers in (make_token([f"{other}_api", "monitor_api"]), make_token([])):
    for method, path in api_writes(group, item.id):
      response = webapp.request(
        path, method=method, POST={"name": "Hacked name"}, headers=headers, expect_errors=True
      )
      assert response.status_int == 403, path
      assert response.json["message"] == "Not allowed"
      assert "permission" in response.json["reasons"]
  assert make.table(model) == before
  allowed = webapp.post(f"/api/{group}/create", {"name": "Allowed"}, headers=make_token([f"{group}_api"]))
  assert allowed.json["name"] == "Allowed"


def test_api_reads_need_no_token_but_refuse_a_bad_one(webapp, group, item):
  response = webapp.get(f"/api/{group}/{item.id}")
  assert response.json["name"] == "Paris DC1"
  assert "Set-Cookie" not in response.headers  # no session for anonymous reads, hence no CSRF to satisfy
  response = webapp.get(f"/api/{group}", headers={"Authorization": "Bearer garbage"}, status=401)
  assert response.json["message"] == "Invalid token"


def test_api_cookie_writes_need_the_csrf_header(webapp, operator, group, make, model):
  refused = webapp.post_json(f"/api/{group}/create", {"name": "Cookie made"}, status=400)
  assert refused.json["reasons"] == {
    "csrf_token": ["missing or invalid CSRF token; reload the page and try again"]
  }
  assert make.count(model) == 0
  created = webapp.post_json(
    f"/api/{group}/create", {"name": "Cookie made"}, headers={"X-CSRF-Token": operator()}
  )
  assert created.status_int == 200
  assert [row.name for row in make.table(model)] == ["Cookie made"]


@pytest.mark.parametrize(
  ("method", "path"),
  [
    ("GET", "9999"),
    ("POST", "9999/update"),
    ("PATCH", "9999"),
    ("POST", "9999/delete"),
    ("DELETE", "9999"),
  ],
)
def test_api_unknown_id_is_404(webapp, token_headers, group, make, model, item, method, path):
  response = webapp.request(f"/api/{group}/{path}", method=method, headers=token_headers, expect_errors=True)
  assert response.status_int == 404
  assert response.content_type == "application/json"
  assert response.json["message"] == "Page not found"
  assert make.count(model) == 1


def test_api_wrong_method_is_405(webapp, token_headers, group, make, model, item):
  before = make.table(model)
  response = webapp.put_json(
    f"/api/{group}/{item.id}", {"name": "Put name"}, headers=token_headers, status=405
  )
  assert response.json == {
    "message": f"Method PUT is not allowed on /api/{group}/{item.id}",
    "reasons": {"method": ["PUT is not supported here; use GET, HEAD, PATCH, DELETE"]},
  }
  assert response.headers["Allow"] == "GET, HEAD, PATCH, DELETE"
  assert make.table(model) == before
