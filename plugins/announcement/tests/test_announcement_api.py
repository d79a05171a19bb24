"""Functional tests of the announcement API: compat paths and REST verbs (docs/api.md#endpoints-of-a-resource-type), the
rules of docs/user-guide.md#announcements (description stored as empty text, end ≥ start), lists, filters and orders (docs/api.md#filters-search-and-order),
errors (docs/api.md#errors), the weather endpoint and the scope/service dependents."""

import datetime as dt

import pytest

from prodmanager.db import utcnow as now
from prodmanager_announcement.models import Announcement
from prodmanager_announcement.testing import API, END, START, api_date, created_at

MAX_TEXT = 64 * 1024


@pytest.fixture
def full(world) -> dict:
  """Every field of an announcement, as an API client sends them."""
  return {
    "name": "Deprecation of the v1 API",
    "description": "Move to *v2*",
    "level": "high",
    "scope": world.paris.id,
    "service": world.compute.id,
    "start_date": api_date(START),
    "end_date": api_date(END),
  }


def send(webapp, encoding: str, path: str, body: dict, **kwargs):
  if encoding == "json":
    return webapp.post_json(path, body, **kwargs)
  return webapp.post(path, {key: str(value) for key, value in body.items()}, **kwargs)


# -- create, read, update, delete -------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_create_answers_200_with_the_object(webapp, token_headers, world, full, expected, encoding):
  before = api_date(now())
  response = send(webapp, encoding, "/api/announcement/create", full, headers=token_headers)
  after = api_date(now())
  body, creation = created_at(response.json)
  assert body == expected(
    body["id"],
    world.paris.id,
    world.compute.id,
    "Deprecation of the v1 API",
    description="Move to *v2*",
    level="high",
  )
  assert before <= creation <= after  # set by the server, in the API's format
  (row,) = world.table(Announcement)
  assert (row.name, row.level.value, row.start_date, row.end_date) == (
    "Deprecation of the v1 API",
    "high",
    START,
    END,
  )


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_missing_description_is_stored_and_answered_as_empty_text(
  webapp, token_headers, world, full, encoding
):
  # 0.22 answered 500 here.
  del full["description"]
  response = send(webapp, encoding, "/api/announcement/create", full, headers=token_headers)
  assert response.json["description"] == ""
  assert [row.description for row in world.table(Announcement)] == [""]
  assert webapp.get(f"/api/announcement/{response.json['id']}").json["description"] == ""


def test_null_description_is_stored_as_empty_text(webapp, token_headers, world, full):
  response = webapp.post_json(
    "/api/announcement/create", {**full, "description": None}, headers=token_headers
  )
  assert response.json["description"] == ""
  assert [row.description for row in world.table(Announcement)] == [""]


def test_rest_create_answers_201_with_location(webapp, token_headers, world, full):
  response = webapp.post_json("/api/announcement", full, headers=token_headers, status=201)
  assert response.headers["Location"] == f"{API}/announcement/{response.json['id']}"
  assert response.headers["Location"] == response.json["links"]["self"]
  assert world.count(Announcement) == 1


@pytest.mark.parametrize(
  ("start", "end"),
  [
    ("2030-05-01 10:00", "2030-05-31 18:00"),
    ("2030-05-01T12:00+02:00", "2030-05-31T13:00-05:00"),
    ("2030-05-01T10:00:00Z", "2030-05-31T18:00:00.000+00:00"),
  ],
)
def test_dates_are_accepted_in_every_format_and_answered_in_utc(
  webapp, token_headers, world, full, start, end
):
  response = webapp.post_json(
    "/api/announcement/create", {**full, "start_date": start, "end_date": end}, headers=token_headers
  )
  assert (response.json["start_date"], response.json["end_date"]) == ("2030-05-01T10:00", "2030-05-31T18:00")
  assert [(row.start_date, row.end_date) for row in world.table(Announcement)] == [(START, END)]


def test_a_window_of_zero_length_is_accepted(webapp, token_headers, world, full):
  response = webapp.post_json(
    "/api/announcement/create", {**full, "end_date": full["start_date"]}, headers=token_headers
  )
  assert response.json["start_date"] == response.json["end_date"] == api_date(START)


def test_get_one(webapp, world, expected):
  row = world.announcement("Yearly exercise", "low", scope=world.lyon, service=world.network, description="x")
  assert webapp.get(f"/api/announcement/{row.id}").json == expected(
    row.id,
    world.lyon.id,
    world.network.id,
    "Yearly exercise",
    level="low",
    description="x",
    creation_date=api_date(START),
  )
  webapp.get("/api/announcement/9999", status=404)


@pytest.mark.parametrize(("path", "method"), [("{id}/update", "post"), ("{id}", "patch")])
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_update_keeps_omitted_fields(webapp, token_headers, world, full, expected, path, method, encoding):
  created = webapp.post_json("/api/announcement/create", full, headers=token_headers).json
  send_ = getattr(webapp, f"{method}_json" if encoding == "json" else method)
  changes = {"level": "low", "end_date": "2030-06-30T08:00"}
  response = send_(f"/api/announcement/{path.format(id=created['id'])}", changes, headers=token_headers)
  assert response.status_int == 200
  assert response.json == {**created, "level": "low", "end_date": "2030-06-30T08:00"}
  (row,) = world.table(Announcement)
  assert (row.name, row.description, row.level.value, row.start_date) == (
    full["name"],
    full["description"],
    "low",
    START,
  )


def test_update_moves_an_announcement_and_refreshes_its_links(webapp, token_headers, world, expected):
  row = world.announcement("Moving")
  response = webapp.post_json(
    f"/api/announcement/{row.id}/update",
    {"scope": world.lyon.id, "service": world.network.id},
    headers=token_headers,
  )
  assert response.json["links"] == {
    "self": f"{API}/announcement/{row.id}",
    "scope": f"{API}/scope/{world.lyon.id}",
    "service": f"{API}/service/{world.network.id}",
  }
  assert [(item.scope_id, item.service_id) for item in world.table(Announcement)] == [
    (world.lyon.id, world.network.id)
  ]


def test_update_can_clear_the_description(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/announcement/create", full, headers=token_headers).json["id"]
  response = webapp.post(f"/api/announcement/{ident}/update", {"description": ""}, headers=token_headers)
  assert response.json["description"] == ""
  response = webapp.post_json(
    f"/api/announcement/{ident}/update", {"description": None}, headers=token_headers
  )
  assert [row.description for row in world.table(Announcement)] == [""]


def test_compat_delete_answers_200(webapp, token_headers, world):
  row = world.announcement("Short lived")
  response = webapp.post(f"/api/announcement/{row.id}/delete", headers=token_headers)
  assert response.json == {"message": f"Announcement {row.id} deleted"}
  assert world.count(Announcement) == 0
  webapp.get(f"/api/announcement/{row.id}", status=404)


def test_scopes_and_services_with_announcements_cannot_be_deleted(webapp, token_headers, world):
  world.announcement("Holds them", scope=world.lyon, service=world.network)
  for kind, ident in (("scope", world.lyon.id), ("service", world.network.id)):
    response = webapp.delete(f"/api/{kind}/{ident}", headers=token_headers, status=403)
    assert response.json["reasons"] == {
      "announcements": ["Announcements: 1 still attached; delete or move them first"]
    }
    webapp.get(f"/api/{kind}/{ident}", status=200)
  assert world.count(Announcement) == 1


# -- end ≥ start ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_create_ending_before_it_starts_is_400_naming_end_date(webapp, token_headers, world, full, encoding):
  body = {**full, "start_date": "2030-05-02T10:00", "end_date": "2030-05-02T09:59"}
  response = send(webapp, encoding, "/api/announcement/create", body, headers=token_headers, status=400)
  assert response.json == {
    "message": "Announcement creation failed",
    "reasons": {"end_date": ["must not be before Start date"]},
  }
  assert world.count(Announcement) == 0


@pytest.mark.parametrize(
  "changes",
  [
    {"end_date": "2030-05-01T09:59"},  # only the end: checked against the stored start
    {"start_date": "2030-05-31T18:01"},  # only the start: checked against the stored end
    {"start_date": "2030-06-01T00:00", "end_date": "2030-05-31T00:00"},
  ],
)
@pytest.mark.parametrize(("path", "method"), [("{id}/update", "post"), ("{id}", "patch")])
def test_update_ending_before_it_starts_is_400_naming_end_date(
  webapp, token_headers, world, changes, path, method
):
  row = world.announcement("Window")
  before = world.table(Announcement)
  response = getattr(webapp, f"{method}_json")(
    f"/api/announcement/{path.format(id=row.id)}", changes, headers=token_headers, status=400
  )
  assert response.json == {
    "message": "Announcement update failed",
    "reasons": {"end_date": ["must not be before Start date"]},
  }
  assert world.table(Announcement) == before


def test_update_moving_both_dates_together_is_accepted(webapp, token_headers, world):
  row = world.announcement("Window")
  changes = {"start_date": "2031-01-01T00:00", "end_date": "2031-01-02T00:00"}
  response = webapp.patch_json(f"/api/announcement/{row.id}", changes, headers=token_headers)
  assert (response.json["start_date"], response.json["end_date"]) == ("2031-01-01T00:00", "2031-01-02T00:00")


# -- bad input --------------------------------------------------------------------------------------

# (encoding, changes to the valid body, field, start of the reason)
BAD_BODIES = [
  ("json", {"name": 1234}, "name", "expected a value of type string"),
  ("json", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("form", {"name": "abc"}, "name", "must be at least 4 characters long"),
  ("json", {"name": "x" * 256}, "name", "must be at most 255 characters long"),
  ("form", {"name": "x" * 256}, "name", "must be at most 255 characters long"),
  ("json", {"description": 12}, "description", "expected a value of type string"),
  ("form", {"description": "x" * (MAX_TEXT + 1)}, "description", "must be at most 65536 characters long"),
  ("json", {"level": "urgent"}, "level", "must be one of: high, medium, low"),
  ("form", {"level": "urgent"}, "level", "must be one of: high, medium, low"),
  ("json", {"level": 1}, "level", "expected a value of type string"),
  ("json", {"scope": 9999}, "scope", "no Scope with id 9999"),
  ("form", {"scope": "abc"}, "scope", "expected an integer id"),
  ("json", {"scope": "0"}, "scope", "expected a positive integer id"),
  ("form", {"service": "9999"}, "service", "no Service with id 9999"),
  ("json", {"service": -3}, "service", "expected a positive integer id"),
  ("json", {"start_date": "tomorrow"}, "start_date", "expected a date such as"),
  ("form", {"start_date": "2030-13-01T10:00"}, "start_date", "expected a date such as"),
  ("json", {"start_date": 1714557600}, "start_date", "expected a value of type string"),
  ("json", {"end_date": "31/05/2030"}, "end_date", "expected a date such as"),
  ("form", {"end_date": "2030-05-31T25:00"}, "end_date", "expected a date such as"),
  ("json", {"end_date": "2030-04-30T10:00"}, "end_date", "must not be before Start date"),
]


@pytest.mark.parametrize(("encoding", "changes", "field", "reason"), BAD_BODIES)
def test_create_with_bad_input_is_400_and_writes_nothing(
  webapp, token_headers, world, full, domain_events, encoding, changes, field, reason
):
  response = send(
    webapp, encoding, "/api/announcement/create", {**full, **changes}, headers=token_headers, status=400
  )
  assert response.json["message"] in ("Invalid request", "Announcement creation failed")
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert world.count(Announcement) == 0 and domain_events == []


@pytest.mark.parametrize(
  ("encoding", "changes", "field", "reason"),
  [item for item in BAD_BODIES if item[1] != {"end_date": "2030-04-30T10:00"}]
  + [
    ("form", {"name": ""}, "name", "this field cannot be emptied"),
    ("json", {"level": None}, "level", "expected a value of type string"),  # required: null is refused
    ("json", {"scope": ""}, "scope", "this field cannot be emptied"),
    ("form", {"service": ""}, "service", "this field cannot be emptied"),
    ("form", {"start_date": ""}, "start_date", "this field cannot be emptied"),
    ("json", {"end_date": ""}, "end_date", "this field cannot be emptied"),
    ("json", {"end_date": None}, "end_date", "expected a value of type string"),
  ],
)
def test_update_with_bad_input_is_400_and_changes_nothing(
  webapp, token_headers, world, domain_events, encoding, changes, field, reason
):
  row = world.announcement("Steady", description="kept")
  before = world.table(Announcement)
  response = send(
    webapp, encoding, f"/api/announcement/{row.id}/update", changes, headers=token_headers, status=400
  )
  assert response.json["message"] in ("Invalid request", "Announcement update failed")
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)
  assert world.table(Announcement) == before and domain_events == []


def test_create_without_required_fields_is_400(webapp, token_headers, world):
  response = webapp.post_json(
    "/api/announcement/create", {"description": "nothing else"}, headers=token_headers, status=400
  )
  assert set(response.json["reasons"]) == {"name", "level", "scope", "service", "start_date", "end_date"}
  response = webapp.post("/api/announcement/create", {"name": "Form only"}, headers=token_headers, status=400)
  assert set(response.json["reasons"]) == {"level", "scope", "service", "start_date", "end_date"}
  assert all(reasons == ["this field is required"] for reasons in response.json["reasons"].values())
  assert world.count(Announcement) == 0


def test_unknown_fields_and_server_fields_are_ignored(webapp, token_headers, world, full):
  body = {**full, "creation_date": "2000-01-01T00:00", "id": 424242, "colour": "red"}
  response = webapp.post_json("/api/announcement/create", body, headers=token_headers)
  assert response.json["id"] != 424242
  assert response.json["creation_date"] != "2000-01-01T00:00"
  assert "colour" not in response.json


def test_writes_need_a_token_with_the_announcement_permission(webapp, make_token, world, full):
  row = world.announcement("Protected")
  before = world.table(Announcement)
  writes = [
    ("POST", "/api/announcement/create"),
    ("POST", "/api/announcement"),
    ("POST", f"/api/announcement/{row.id}/update"),
    ("PATCH", f"/api/announcement/{row.id}"),
    ("POST", f"/api/announcement/{row.id}/delete"),
    ("DELETE", f"/api/announcement/{row.id}"),
  ]
  cases = [
    ({}, 401),
    ({"Authorization": "Bearer forged"}, 401),
    (make_token(["scope_api", "service_api", "monitor_api"]), 403),
    (make_token([]), 403),
  ]
  for headers, status in cases:
    for method, path in writes:
      webapp.request(path, method=method, json=full, headers=headers, status=status)
  assert world.table(Announcement) == before
  # Reading needs nothing.
  assert webapp.get(f"/api/announcement/{row.id}").json["name"] == "Protected"
  # The announcement permission alone is enough.
  token = make_token(["announcement_api"])
  webapp.post_json(f"/api/announcement/{row.id}/update", {"level": "high"}, headers=token)
  assert [item.level.value for item in world.table(Announcement)] == ["high"]


# -- lists: order, sort, filters --------------------------------------------------------------------


def names(response) -> list[str]:
  return [item["name"] for item in response.json["items"]]


def test_default_order_is_start_date_desc_then_level_in_declaration_order(webapp, world):
  # Levels are stored as text: an alphabetical order would give high, low, medium.
  world.announcement("Same start low", "low")
  world.announcement("Same start high", "high")
  world.announcement("Same start medium", "medium")
  world.announcement("Latest", "low", start=START + dt.timedelta(days=1))
  world.announcement("Earliest", "high", start=START - dt.timedelta(days=1))
  response = webapp.get("/api/announcement")
  assert names(response) == ["Latest", "Same start high", "Same start medium", "Same start low", "Earliest"]
  assert response.headers["x-total"] == "5"


@pytest.mark.parametrize(
  ("sort", "expected_names"),
  [
    ("-start_date", ["C late medium", "B mid low", "A early high"]),
    ("start_date", ["A early high", "B mid low", "C late medium"]),
    ("end_date", ["C late medium", "A early high", "B mid low"]),
    ("-end_date", ["B mid low", "A early high", "C late medium"]),
    ("level", ["A early high", "C late medium", "B mid low"]),
    ("-level", ["B mid low", "C late medium", "A early high"]),
    ("name", ["A early high", "B mid low", "C late medium"]),
    ("-name", ["C late medium", "B mid low", "A early high"]),
  ],
)
def test_sort_orders(webapp, world, sort, expected_names):
  day = dt.timedelta(days=1)
  world.announcement("A early high", "high", start=START, end=END)
  world.announcement("B mid low", "low", start=START + day, end=END + day)
  world.announcement("C late medium", "medium", start=START + 2 * day, end=START + 3 * day)
  assert names(webapp.get("/api/announcement", {"sort": sort})) == expected_names


def test_filters_combine_and_repeat(webapp, world):
  world.announcement("Paris compute high", "high")
  world.announcement("Paris network low", "low", service=world.network)
  world.announcement("Lyon compute medium", "medium", scope=world.lyon, description="Kubernetes upgrade")
  world.announcement("Lyon network high", "high", scope=world.lyon, service=world.network)
  get = lambda params: sorted(names(webapp.get("/api/announcement", params)))  # noqa: E731
  assert get({"level": "high"}) == ["Lyon network high", "Paris compute high"]
  assert get([("level", "high"), ("level", "low")]) == [
    "Lyon network high",
    "Paris compute high",
    "Paris network low",
  ]
  assert get({"scope": world.lyon.id}) == ["Lyon compute medium", "Lyon network high"]
  assert get({"service": world.network.id, "scope": world.paris.id}) == ["Paris network low"]
  assert get([("scope", world.lyon.id), ("scope", world.paris.id), ("level", "medium")]) == [
    "Lyon compute medium"
  ]
  assert get({"q": "KUBERNETES"}) == ["Lyon compute medium"]
  assert get({"q": "network"}) == ["Lyon network high", "Paris network low"]


def test_date_filters_before_is_strict_and_after_is_inclusive(webapp, world):
  # At the same instant: *_before (<) leaves it out, *_after (>=) keeps it.
  world.announcement("Window", start=START, end=END)
  boundary = {"start": api_date(START), "end": api_date(END)}
  get = lambda params: names(webapp.get("/api/announcement", params))  # noqa: E731
  assert get({"start_before": boundary["start"]}) == []
  assert get({"start_after": boundary["start"]}) == ["Window"]
  assert get({"end_before": boundary["end"]}) == []
  assert get({"end_after": boundary["end"]}) == ["Window"]
  assert get({"start_before": "2030-05-01T10:01", "end_before": "2030-05-31T18:01"}) == ["Window"]
  assert get({"start_after": "2030-05-01T10:01"}) == [] and get({"end_after": "2030-05-31T18:01"}) == []


FILTER_ERRORS = [
  ({"level": "urgent"}, "level", "must be one of: high, medium, low"),
  ({"scope": "abc"}, "scope", "has an invalid format"),
  ({"service": "-1"}, "service", "has an invalid format"),
  ({"start_before": "yesterday"}, "start_before", "expected a date such as"),
  ({"start_after": "2030-02-30T00:00"}, "start_after", "expected a date such as"),
  ({"end_before": "2030-05-01T24:30"}, "end_before", "expected a date such as"),
  ({"end_after": "01/05/2030"}, "end_after", "expected a date such as"),
  ({"q": "x" * 256}, "q", "must be at most 255 characters long"),
]
PAGING_ERRORS = [  # the weather endpoint has no pagination nor order
  ({"sort": "colour"}, "sort", "must be one of"),
  ({"page": "abc"}, "page", "expected an integer"),
  ({"per_page": "51"}, "per_page", "expected an integer between 0 and 50"),
]


@pytest.mark.parametrize(
  ("path", "params", "field", "reason"),
  [("/api/announcement", *case) for case in FILTER_ERRORS + PAGING_ERRORS]
  + [("/api/weather/announcement", *case) for case in FILTER_ERRORS],
)
def test_invalid_list_parameters_are_400_naming_them(webapp, world, path, params, field, reason):
  world.announcement("Hidden")
  response = webapp.get(path, params, status=400)
  assert list(response.json["reasons"]) == [field]
  assert response.json["reasons"][field][0].startswith(reason)


def test_pagination_headers(webapp, world):
  for number in range(3):
    world.announcement(f"Announcement {number}", start=START + dt.timedelta(hours=number))
  response = webapp.get("/api/announcement", {"per_page": "2", "page": "2"})
  assert names(response) == ["Announcement 0"]
  assert {
    key: response.headers[key]
    for key in ("x-total", "x-total-pages", "x-page", "x-per-page", "x-prev-page", "x-next-page")
  } == {
    "x-total": "3",
    "x-total-pages": "2",
    "x-page": "2",
    "x-per-page": "2",
    "x-prev-page": "1",
    "x-next-page": "None",
  }
  assert webapp.get("/api/announcement", {"per_page": "0"}).json == {"items": []}


# -- weather ----------------------------------------------------------------------------------------


def test_weather_counts_every_level_with_the_list_filters(webapp, world):
  assert webapp.get("/api/weather/announcement").json == {"high": 0, "medium": 0, "low": 0}
  world.announcement("One", "high")
  world.announcement("Two", "high", scope=world.lyon)
  world.announcement("Three", "low", scope=world.lyon, end=START + dt.timedelta(hours=1))
  assert webapp.get("/api/weather/announcement").json == {"high": 2, "medium": 0, "low": 1}
  assert webapp.get("/api/weather/announcement", {"scope": world.lyon.id}).json == {
    "high": 1,
    "medium": 0,
    "low": 1,
  }
  assert webapp.get("/api/weather/announcement", {"level": "low"}).json == {"high": 0, "medium": 0, "low": 1}
  assert webapp.get("/api/weather/announcement", {"end_after": "2030-05-02T00:00"}).json == {
    "high": 2,
    "medium": 0,
    "low": 0,
  }
  assert webapp.get("/api/weather/announcement", {"q": "thr"}).json == {"high": 0, "medium": 0, "low": 1}


# -- OpenAPI ----------------------------------------------------------------------------------------


@pytest.mark.one_backend  # what it checks does not depend on the database
def test_the_document_describes_the_announcement_endpoints(webapp):
  document = webapp.get("/api/openapi.json").json
  schema = document["components"]["schemas"]["Announcement"]
  assert set(schema["required"]) == {
    "id",
    "name",
    "description",
    "level",
    "scope",
    "service",
    "creation_date",
    "start_date",
    "end_date",
    "links",
  }
  list_parameters = {
    param.get("name") for param in document["paths"]["/api/announcement"]["get"]["parameters"]
  }
  filters = {"level", "scope", "service", "start_before", "start_after", "end_before", "end_after"}
  assert filters <= list_parameters
  weather_parameters = {
    param.get("name") for param in document["paths"]["/api/weather/announcement"]["get"]["parameters"]
  }
  assert filters <= weather_parameters
  sort = next(
    p for p in document["paths"]["/api/announcement"]["get"]["parameters"] if p.get("name") == "sort"
  )
  assert sort["schema"]["enum"][0] == "-start_date"
