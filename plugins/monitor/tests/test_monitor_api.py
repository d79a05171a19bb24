"""Functional tests of the monitor API: compat paths and REST verbs (docs/api.md#endpoints-of-a-resource-type), lists and
filters (docs/api.md#filters-search-and-order), errors (docs/api.md#errors), the weather endpoint and the status history (docs/user-guide.md#monitors)."""

import pytest

from prodmanager_monitor.models import Monitor, MonitorStatusChange

API = "http://localhost/api"
MAX_TEXT = 64 * 1024


@pytest.fixture
def full(world) -> dict:
  """Every field of a monitor, as an API client sends them."""
  return {
    "name": "CPU load",
    "description": "Load *average*",
    "status": "warning",
    "integration": "datadog_eu",
    "external_reference": "DD-1234",
    "external_link": "https://app.datadoghq.eu/monitors/1234",
    "scope": world.paris.id,
    "service": world.compute.id,
  }


def test_create_with_json_answers_200_and_records_the_first_status(
  webapp, token_headers, world, full, expected
):
  response = webapp.post_json("/api/monitor/create", full, headers=token_headers)
  ident = response.json["id"]
  assert response.json == expected(ident, **full)
  assert world.monitor_history() == [(ident, None, "warning")]


def test_create_from_a_form_with_defaults(webapp, token_headers, world, expected):
  body = {"name": "Ping", "scope": str(world.lyon.id), "service": str(world.network.id)}
  response = webapp.post("/api/monitor/create", body, headers=token_headers)
  ident = response.json["id"]
  assert response.json == expected(ident, world.lyon.id, world.network.id, "Ping")  # ok, empty description
  assert [(row.name, row.status.value, row.description, row.integration) for row in world.table(Monitor)] == [
    ("Ping", "ok", "", None)
  ]
  assert world.monitor_history() == [(ident, None, "ok")]


def test_rest_create_answers_201_with_location(webapp, token_headers, world, full):
  response = webapp.post_json("/api/monitor", full, headers=token_headers, status=201)
  assert (
    response.headers["Location"] == f"{API}/monitor/{response.json['id']}" == response.json["links"]["self"]
  )
  assert world.count(Monitor) == 1


def test_get_one_and_list_by_name(webapp, world, expected):
  zulu = world.monitor("Zulu check", "alert", world.lyon, world.network, integration="jenkins")
  alpha = world.monitor("Alpha check")
  assert webapp.get(f"/api/monitor/{zulu.id}").json == expected(
    zulu.id, world.lyon.id, world.network.id, "Zulu check", status="alert", integration="jenkins"
  )
  items = webapp.get("/api/monitor").json["items"]
  assert [item["id"] for item in items] == [alpha.id, zulu.id]
  # The links are absolute URLs of the API twins.
  assert webapp.get(items[1]["links"]["scope"]).json["name"] == "Lyon DC"
  assert webapp.get(items[1]["links"]["service"]).json["name"] == "Network"


@pytest.mark.parametrize(("path", "method"), [("{id}/update", "post"), ("{id}", "patch")])
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_update_keeps_omitted_fields(webapp, token_headers, world, full, expected, path, method, encoding):
  ident = webapp.post_json("/api/monitor/create", full, headers=token_headers).json["id"]
  send = getattr(webapp, f"{method}_json" if encoding == "json" else method)
  response = send("/api/monitor/" + path.format(id=ident), {"status": "alert"}, headers=token_headers)
  assert response.status_int == 200
  assert response.json == expected(ident, **{**full, "status": "alert"})
  assert world.monitor_history() == [(ident, None, "warning"), (ident, "warning", "alert")]


def test_update_moves_a_monitor_and_refreshes_its_links(webapp, token_headers, world, expected):
  monitor = world.monitor("Disk usage")
  response = webapp.post_json(
    f"/api/monitor/{monitor.id}/update",
    {"scope": world.lyon.id, "service": world.network.id},
    headers=token_headers,
  )
  assert response.json == expected(monitor.id, world.lyon.id, world.network.id, "Disk usage")
  assert [(row.scope_id, row.service_id) for row in world.table(Monitor)] == [
    (world.lyon.id, world.network.id)
  ]


def test_update_can_clear_optional_fields(webapp, token_headers, world, full, expected):
  ident = webapp.post_json("/api/monitor/create", full, headers=token_headers).json["id"]
  cleared = {"description": "", "integration": "", "external_reference": "", "external_link": ""}
  response = webapp.post(f"/api/monitor/{ident}/update", cleared, headers=token_headers)
  assert response.json == expected(ident, world.paris.id, world.compute.id, "CPU load", status="warning")


def test_compat_delete_answers_200_and_removes_the_history(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/monitor/create", full, headers=token_headers).json["id"]
  response = webapp.post(f"/api/monitor/{ident}/delete", headers=token_headers)
  assert response.json == {"message": f"Monitor {ident} deleted"}
  assert world.count(Monitor) == 0 and world.count(MonitorStatusChange) == 0
  webapp.get(f"/api/monitor/{ident}", status=404)


# -- errors -----------------------------------------------------------------------------------------

# (encoding, changes to the valid body, field, start of the reason)
BAD_BODIES = [
  ("json", {"name": 1234}, "name", "expected a value of type string"),
  ("json", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("form", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("json", {"name": "x" * 256}, "name", "must be at most 255 characters long"),
  ("form", {"description": "x" * (MAX_TEXT + 1)}, "description", "must be at most 65536 characters long"),
  ("json", {"integration": "x" * 256}, "integration", "must be at most 255 characters long"),
  ("json", {"scope": 9999}, "scope", "no Scope with id 9999"),
  ("form", {"service": "9999"}, "service", "no Service with id 9999"),
  ("form", {"scope": "abc"}, "scope", "expected an integer id"),
  ("json", {"service": "0"}, "service", "expected a positive integer id"),
  ("json", {"status": "broken"}, "status", "must be one of: ok, warning, alert"),
  ("form", {"status": "broken"}, "status", "must be one of: ok, warning, alert"),
  (
    "json",
    {"external_link": "ftp://files.example.com/x"},
    "external_link",
    "expected an http:// or https:// URL",
  ),
  ("form", {"external_link": "javascript:alert(1)"}, "external_link", "expected an http:// or https:// URL"),
]


def send(webapp, encoding: str, path: str, body: dict, **kwargs):
  if encoding == "json":
    return webapp.post_json(path, body, **kwargs)
  return webapp.post(path, {key: str(value) for key, value in body.items()}, **kwargs)


@pytest.mark.parametrize(("encoding", "changes", "field", "reason"), BAD_BODIES)
def test_create_with_bad_input_is_400(webapp, token_headers, world, full, encoding, changes, field, reason):
  response = send(
    webapp, encoding, "/api/monitor/create", {**full, **changes}, headers=token_headers, status=400
  )
  assert response.json["message"] in ("Invalid request", "Monitor creation failed")
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert world.count(Monitor) == 0 and world.monitor_history() == []


@pytest.mark.parametrize(
  ("encoding", "changes", "field", "reason"),
  BAD_BODIES
  + [
    ("form", {"name": ""}, "name", "this field cannot be emptied"),
    ("json", {"scope": ""}, "scope", "this field cannot be emptied"),
  ],
)
def test_update_with_bad_input_is_400(webapp, token_headers, world, full, encoding, changes, field, reason):
  ident = webapp.post_json("/api/monitor/create", full, headers=token_headers).json["id"]
  before, history = world.table(Monitor), world.monitor_history()
  response = send(
    webapp, encoding, f"/api/monitor/{ident}/update", changes, headers=token_headers, status=400
  )
  assert response.json["message"] in ("Invalid request", "Monitor update failed")
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert world.table(Monitor) == before and world.monitor_history() == history


def test_create_without_required_fields_is_400(webapp, token_headers, world):
  response = webapp.post_json(
    "/api/monitor/create", {"description": "nothing else"}, headers=token_headers, status=400
  )
  assert set(response.json["reasons"]) == {"name", "scope", "service"}
  response = webapp.post("/api/monitor/create", {"name": "Form only"}, headers=token_headers, status=400)
  assert set(response.json["reasons"]) == {"scope", "service"}
  assert world.count(Monitor) == 0


def test_writes_need_a_token_with_the_monitor_permission(webapp, make_token, world, full):
  monitor = world.monitor("Protected")
  before = world.table(Monitor)
  writes = [
    ("POST", "/api/monitor/create"),
    ("POST", "/api/monitor"),
    ("POST", f"/api/monitor/{monitor.id}/update"),
    ("PATCH", f"/api/monitor/{monitor.id}"),
    ("POST", f"/api/monitor/{monitor.id}/delete"),
    ("DELETE", f"/api/monitor/{monitor.id}"),
  ]
  cases = [
    ({}, 401, "Authentication required"),
    ({"Authorization": "Bearer forged"}, 401, "Invalid token"),
    (make_token(["scope_api", "service_api"]), 403, "Not allowed"),
    (make_token([]), 403, "Not allowed"),
  ]
  for headers, status, message in cases:
    for method, path in writes:
      response = webapp.request(
        path, method=method, POST={"status": "alert", "name": "Hacked"}, headers=headers, expect_errors=True
      )
      assert (response.status_int, response.json["message"]) == (status, message), (method, path)
  assert world.table(Monitor) == before and world.monitor_history() == []
  allowed = webapp.post_json("/api/monitor/create", full, headers=make_token(["monitor_api"]))
  assert allowed.json["name"] == "CPU load"


def test_cookie_writes_need_the_csrf_header(webapp, operator, world, full):
  refused = webapp.post_json("/api/monitor/create", full, status=400)
  assert list(refused.json["reasons"]) == ["csrf_token"]
  assert world.count(Monitor) == 0
  created = webapp.post_json("/api/monitor/create", full, headers={"X-CSRF-Token": operator()})
  assert created.json["status"] == "warning"
  assert world.count(Monitor) == 1


@pytest.mark.parametrize(
  ("method", "path"),
  [
    ("GET", "/api/monitor/9999"),
    ("POST", "/api/monitor/9999/update"),
    ("PATCH", "/api/monitor/9999"),
    ("POST", "/api/monitor/9999/delete"),
    ("DELETE", "/api/monitor/9999"),
  ],
)
def test_unknown_id_is_404(webapp, token_headers, world, method, path):
  response = webapp.request(path, method=method, headers=token_headers, expect_errors=True)
  assert (response.status_int, response.content_type) == (404, "application/json")
  # The type named as 0.22 named it (reasons.monitor).
  assert response.json == {
    "message": "Page not found",
    "reasons": {"monitor": ["no monitor has the id 9999"]},
  }


def test_put_is_405(webapp, token_headers, world):
  monitor = world.monitor("No put")
  response = webapp.put_json(
    f"/api/monitor/{monitor.id}", {"status": "alert"}, headers=token_headers, status=405
  )
  assert response.json["message"] == f"Method PUT is not allowed on /api/monitor/{monitor.id}"
  assert [row.status.value for row in world.table(Monitor)] == ["ok"]


# -- lists and filters ------------------------------------------------------------------------------


@pytest.fixture
def fleet(world) -> dict:
  """Four monitors over the two scopes and the two services, by name."""
  monitors = [
    world.monitor("Alpha", "ok", world.paris, world.compute, integration="datadog"),
    world.monitor("Bravo", "warning", world.paris, world.network, integration="jenkins"),
    world.monitor("Charlie", "alert", world.lyon, world.compute, integration="datadog"),
    world.monitor(
      "Delta", "ok", world.lyon, world.network, external_reference="CHG-42", description="Disk space"
    ),
  ]
  return {monitor.name: monitor for monitor in monitors}


def query(world, filters: list[tuple[str, str]]) -> list[tuple[str, str]]:
  """Filters naming rows (``("scope", "lyon")``) turned into query parameters with their ids."""
  return [
    (key, str(getattr(world, value).id) if key in ("scope", "service") else value) for key, value in filters
  ]


@pytest.mark.parametrize(
  ("filters", "names"),
  [
    ([("status", "ok")], ["Alpha", "Delta"]),
    ([("status", "ok"), ("status", "alert")], ["Alpha", "Charlie", "Delta"]),
    ([("scope", "paris")], ["Alpha", "Bravo"]),
    ([("scope", "paris"), ("scope", "lyon"), ("status", "warning")], ["Bravo"]),
    ([("scope", "lyon"), ("service", "compute")], ["Charlie"]),
    ([("service", "network"), ("status", "ok")], ["Delta"]),
    ([("integration", "datadog")], ["Alpha", "Charlie"]),
    ([("integration", "datadog"), ("integration", "jenkins"), ("status", "alert")], ["Charlie"]),
    ([("q", "chg-42")], ["Delta"]),
    ([("q", "DISK")], ["Delta"]),
    ([("q", "a"), ("status", "ok")], ["Alpha", "Delta"]),
    ([("status", "alert"), ("service", "network")], []),
  ],
)
def test_list_filters(webapp, world, fleet, filters, names):
  response = webapp.get("/api/monitor", query(world, filters))
  assert [item["name"] for item in response.json["items"]] == names
  assert response.headers["x-total"] == str(len(names))


@pytest.mark.parametrize(
  ("params", "parameter"),
  [
    ([("status", "broken")], "status"),
    ([("status", "ok"), ("status", "nope")], "status"),
    ([("scope", "abc")], "scope"),
    ([("service", "1.5")], "service"),
    ([("scope", "-1")], "scope"),
    ([("scope", str(number)) for number in range(1, 52)], "scope"),
    ([("integration", f"tool{number}") for number in range(51)], "integration"),
    ([("q", "x" * 256)], "q"),
    ([("sort", "random")], "sort"),
    ([("per_page", "0.5")], "per_page"),
  ],
)
def test_list_bad_filters_are_400_naming_the_parameter(webapp, world, fleet, params, parameter):
  response = webapp.get("/api/monitor", params, status=400)
  assert list(response.json["reasons"]) == [parameter]
  assert response.json["message"] in ("Invalid request", "Invalid list parameters")


def test_fifty_values_of_a_filter_are_accepted(webapp, world, fleet):
  params = [("scope", str(number)) for number in range(world.paris.id, world.paris.id + 50)]
  assert webapp.get("/api/monitor", params).headers["x-total"] == "4"


def test_link_keeps_every_value_of_a_repeated_filter(webapp, world, fleet):
  response = webapp.get("/api/monitor", [("status", "ok"), ("status", "alert"), ("per_page", "1")])
  assert f'<{API}/monitor?page=2&per_page=1&status=alert&status=ok>; rel="next"' in response.headers["Link"]


def test_list_pagination_headers_with_filters(webapp, world, fleet):
  response = webapp.get("/api/monitor", [("status", "ok"), ("per_page", "1")])
  assert [item["name"] for item in response.json["items"]] == ["Alpha"]
  assert {key: response.headers[key] for key in ("x-total", "x-total-pages", "x-page", "x-next-page")} == {
    "x-total": "2",
    "x-total-pages": "2",
    "x-page": "1",
    "x-next-page": "2",
  }
  assert f'<{API}/monitor?page=2&per_page=1&status=ok>; rel="next"' in response.headers["Link"]
  counted = webapp.get("/api/monitor", [("status", "ok"), ("per_page", "0")])
  assert counted.json == {"items": []} and counted.headers["x-total"] == "2"


# -- weather ----------------------------------------------------------------------------------------


def test_weather_counts_every_status(webapp, world):
  assert webapp.get("/api/weather/monitor").json == {"ok": 0, "warning": 0, "alert": 0}


@pytest.mark.parametrize(
  ("filters", "counts"),
  [
    ([], {"ok": 2, "warning": 1, "alert": 1}),
    ([("scope", "paris")], {"ok": 1, "warning": 1, "alert": 0}),
    ([("service", "compute"), ("status", "alert")], {"ok": 0, "warning": 0, "alert": 1}),
    ([("integration", "datadog"), ("integration", "jenkins")], {"ok": 1, "warning": 1, "alert": 1}),
    ([("q", "delta")], {"ok": 1, "warning": 0, "alert": 0}),
  ],
)
def test_weather_with_filters(webapp, world, fleet, filters, counts):
  assert webapp.get("/api/weather/monitor", query(world, filters)).json == counts


@pytest.mark.parametrize(("params", "parameter"), [({"status": "bad"}, "status"), ({"scope": "x"}, "scope")])
def test_weather_bad_filter_is_400(webapp, world, params, parameter):
  assert list(webapp.get("/api/weather/monitor", params, status=400).json["reasons"]) == [parameter]


# -- status history ---------------------------------------------------------------------------------


def test_status_history_follows_every_change(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/monitor/create", {**full, "status": "ok"}, headers=token_headers).json["id"]
  assert world.monitor_history() == [(ident, None, "ok")]
  webapp.post(f"/api/monitor/{ident}/update", {"status": "alert"}, headers=token_headers)
  webapp.patch_json(f"/api/monitor/{ident}", {"status": "warning"}, headers=token_headers)
  assert world.monitor_history() == [(ident, None, "ok"), (ident, "ok", "alert"), (ident, "alert", "warning")]


@pytest.mark.parametrize(
  "changes",
  [
    {"status": "warning"},  # the same status again
    {"name": "Renamed monitor"},
    {"status": "", "description": "status left empty keeps it"},
  ],
)
def test_updates_that_keep_the_status_record_nothing(webapp, token_headers, world, full, changes):
  ident = webapp.post_json("/api/monitor/create", full, headers=token_headers).json["id"]
  response = webapp.post(f"/api/monitor/{ident}/update", changes, headers=token_headers)
  assert response.json["status"] == "warning"
  assert world.monitor_history() == [(ident, None, "warning")]
