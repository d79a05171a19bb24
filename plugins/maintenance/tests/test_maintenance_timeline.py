"""Maintenance timelines (docs/user-guide.md#the-timeline): events written by the server, comments, who sees the
internal events (pages and API), and the domain events of every change path (docs/directives.md, add_domain_event_subscriber)."""

import pytest

from prodmanager.testing import page_form as form_of
from prodmanager_maintenance.models import MaintenanceEvent

PUBLIC = "The new range is **announced**."
INTERNAL = "Ticket NOC-42: router 3 rebooted twice."


@pytest.fixture
def story(webapp, token_headers, full):
  """A maintenance created and updated through the API, with one public and one internal comment."""
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  webapp.patch_json(f"/api/maintenance/{ident}", {"status": "in-progress"}, headers=token_headers)
  webapp.post_json(f"/api/maintenance/{ident}/comment", {"comment": PUBLIC}, headers=token_headers)
  webapp.post_json(
    f"/api/maintenance/{ident}/comment", {"comment": INTERNAL, "internal": True}, headers=token_headers
  )
  return ident


def kinds(events: list[dict]) -> list[tuple]:
  return [(event["type"], event["internal"]) for event in events]


ALL = [("create", True), ("update", True), ("comment", False), ("comment", True)]
PUBLIC_ONLY = [("comment", False)]


def test_server_writes_create_and_update_events_and_comments_are_public_by_default(world, story):
  events = world.maintenance_events(story)
  assert [(kind, internal) for kind, internal, _ in events] == ALL
  assert events[1][2].startswith('{"start_date": [null, "') and events[1][2].endswith(
    '"status": ["scheduled", "in-progress"]}'
  )
  assert (events[2][2], events[3][2]) == (PUBLIC, INTERNAL)


def test_an_update_that_changes_nothing_writes_no_event(webapp, token_headers, world, full, story):
  webapp.patch_json(f"/api/maintenance/{story}", {"name": full["name"]}, headers=token_headers)
  assert len(world.maintenance_events(story)) == 4


# -- who sees what ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
  ("reader", "wanted"),
  [
    ("anonymous", PUBLIC_ONLY),
    ("operator", ALL),
    ("token with maintenance_api", ALL),
    ("token without it", PUBLIC_ONLY),
  ],
)
def test_api_visibility_of_internal_events(webapp, make_token, operator, new_client, story, reader, wanted):
  client, headers = new_client(), {}
  if reader == "operator":
    client = webapp  # logged in by the fixture: the session cookie
  elif reader == "token with maintenance_api":
    headers = make_token(["maintenance_api"])
  elif reader == "token without it":
    headers = make_token(["incident_api", "scope_api"])
  assert kinds(client.get(f"/api/maintenance/{story}", headers=headers).json["events"]) == wanted
  assert kinds(client.get("/api/maintenance", headers=headers).json["items"][0]["events"]) == wanted
  assert kinds(client.get(f"/api/maintenance/{story}/events", headers=headers).json["items"]) == wanted


@pytest.mark.parametrize("reader", ["anonymous", "operator", "token with maintenance_api"])
def test_page_visibility_of_internal_events(webapp, make_token, operator, new_client, story, reader):
  client, headers = new_client(), {}
  if reader == "operator":
    client = webapp
  elif reader == "token with maintenance_api":
    headers = make_token(["maintenance_api"])  # pages never read the Authorization header
  page = client.get(f"/maintenance/{story}", headers=headers)
  timeline = page.html.select_one("#timeline")
  comments = [item.decode_contents() for item in timeline.select(".timeline-item .markdown")]
  assert "<p>The new range is <strong>announced</strong>.</p>" in comments  # Markdown rendered
  if reader == "operator":
    assert INTERNAL in timeline.get_text()
    assert timeline.select_one("details.timeline-technical summary").get_text() == "Technical events (2)"
    assert page.html.select_one("#comment-form")
  else:
    assert "NOC-42" not in page.text
    assert timeline.select("details") == [] and page.html.select("#comment-form") == []


# -- comments ---------------------------------------------------------------------------------------


def test_compat_comment_answers_200_with_the_maintenance(webapp, token_headers, world, full):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  body = webapp.post(f"/api/maintenance/{ident}/comment", {"comment": "Starting"}, headers=token_headers).json
  assert body["id"] == ident and body["name"] == full["name"]
  assert [(e["type"], e["content"], e["internal"]) for e in body["events"]][-1] == (
    "comment",
    "Starting",
    False,
  )
  body = webapp.post(
    f"/api/maintenance/{ident}/comment", {"comment": "Secret", "internal": "on"}, headers=token_headers
  ).json
  assert kinds(body["events"])[-1] == ("comment", True)


def test_rest_comment_answers_201_with_the_event(webapp, token_headers, world):
  row = world.maintenance("Work")
  response = webapp.post_json(
    f"/api/maintenance/{row.id}/events",
    {"comment": "Done", "internal": False},
    headers=token_headers,
    status=201,
  )
  assert {key: response.json[key] for key in ("type", "content", "internal")} == {
    "type": "comment",
    "content": "Done",
    "internal": False,
  }
  assert world.maintenance_events(row.id) == [("comment", False, "Done")]


@pytest.mark.parametrize(
  ("body", "field"),
  [
    ({"comment": ""}, "comment"),
    ({"comment": "x" * (64 * 1024 + 1)}, "comment"),
    ({"comment": "Fine", "internal": "maybe"}, "internal"),
    ({}, "body"),
  ],
)
def test_bad_comment_is_400_and_writes_nothing(webapp, token_headers, world, body, field):
  row = world.maintenance("Work")
  for path in (f"/api/maintenance/{row.id}/comment", f"/api/maintenance/{row.id}/events"):
    response = webapp.post(path, body, headers=token_headers, status=400)
    assert field in response.json["reasons"]
  assert world.count(MaintenanceEvent) == 0


def test_comment_needs_the_permission_and_an_existing_maintenance(webapp, make_token, token_headers, world):
  row = world.maintenance("Work")
  path = f"/api/maintenance/{row.id}/comment"
  webapp.post(path, {"comment": "Hello"}, status=401)
  webapp.post(path, {"comment": "Hello"}, headers=make_token(["incident_api"]), status=403)
  webapp.post("/api/maintenance/999999/comment", {"comment": "Hello"}, headers=token_headers, status=404)
  assert world.count(MaintenanceEvent) == 0


def test_web_comment_form(webapp, operator, world):
  row = world.maintenance("Work")
  page = webapp.get(f"/maintenance/{row.id}")
  form = page.forms["comment-form"]
  form["comment"] = "Everything *fine*"
  form.submit(status=303)
  form = webapp.get(f"/maintenance/{row.id}").forms["comment-form"]
  form["comment"] = "Internal note"
  form["internal"] = True
  form.submit(status=303)
  assert world.maintenance_events(row.id) == [
    ("comment", False, "Everything *fine*"),
    ("comment", True, "Internal note"),
  ]
  # An empty comment shows the error on the page, and writes nothing.
  form = webapp.get(f"/maintenance/{row.id}").forms["comment-form"]
  page = form.submit(status=400)
  assert "this field is required" in page.html.select_one("#comment-form").get_text()
  assert len(world.maintenance_events(row.id)) == 2


def test_anonymous_visitors_cannot_comment(webapp, world):
  row = world.maintenance("Work")
  webapp.post(f"/maintenance/{row.id}/comment", {"comment": "Spam"}, status=(302, 303, 400, 403))
  assert world.count(MaintenanceEvent) == 0


# -- domain events ----------------------------------------------------------------------------------


def test_domain_events_of_the_api(webapp, token_headers, world, full, domain_events):
  ident = webapp.post_json("/api/maintenance/create", full, headers=token_headers).json["id"]
  webapp.patch_json(f"/api/maintenance/{ident}", {"name": "Renamed work"}, headers=token_headers)
  webapp.post_json(f"/api/maintenance/{ident}/update", {"status": "in-progress"}, headers=token_headers)
  webapp.post_json(f"/api/maintenance/{ident}/comment", {"comment": "Going"}, headers=token_headers)
  webapp.post_json(
    f"/api/maintenance/{ident}/events",
    {"comment": "Note", "internal": True},
    headers=token_headers,
    status=201,
  )
  names = [(name, data) for name, event_id, data in domain_events if event_id == ident]
  assert [name for name, _ in names] == [
    "maintenance.created",
    "maintenance.updated",
    "maintenance.updated",
    "maintenance.status_changed",
    "maintenance.commented",
    "maintenance.commented",
  ]
  assert names[3][1] == {"old": "scheduled", "new": "in-progress"}
  assert (names[4][1]["internal"], names[5][1]["internal"]) == (False, True)


def test_failed_writes_emit_nothing(webapp, token_headers, world, full, domain_events):
  webapp.post_json("/api/maintenance/create", {**full, "name": "abc"}, headers=token_headers, status=400)
  row = world.maintenance("Work")
  webapp.patch_json(f"/api/maintenance/{row.id}", {"status": "done"}, headers=token_headers, status=400)
  webapp.post_json(f"/api/maintenance/{row.id}/comment", {"comment": ""}, headers=token_headers, status=400)
  assert domain_events == []


def test_domain_events_of_the_web_forms(webapp, operator, world, window, domain_events):
  page = webapp.get("/maintenance/create")
  form = form_of(page)
  form["name"] = "Web maintenance"
  form["service_status"] = "down"
  form["scope"] = str(world.lyon.id)
  form["service"] = str(world.network.id)
  form["scheduled_start_date"] = window[0].strftime("%Y-%m-%dT%H:%M")
  form["scheduled_end_date"] = window[1].strftime("%Y-%m-%dT%H:%M")
  location = form.submit(status=303).headers["Location"]
  ident = int(location.rstrip("/").rsplit("/", 1)[1])
  form = form_of(webapp.get(f"/maintenance/{ident}/update"))
  form["status"] = "canceled"
  form.submit(status=303)
  form = webapp.get(f"/maintenance/{ident}").forms["comment-form"]
  form["comment"] = "Postponed to next week"
  form.submit(status=303)
  assert [(name, data) for name, event_id, data in domain_events if name != "maintenance.updated"] == [
    ("maintenance.created", {}),
    ("maintenance.status_changed", {"old": "scheduled", "new": "canceled"}),
    ("maintenance.commented", {"internal": False, "event_id": world.table(MaintenanceEvent)[-1].id}),
  ]


# -- one-step updates (docs/user-guide.md#the-timeline) ------------------------------------------------


def test_an_update_starts_the_maintenance_with_its_message(webapp, operator, world, new_client):
  row = world.maintenance("Router upgrade")
  page = webapp.get(f"/maintenance/{row.id}")
  form = form_of(page, "/comment")
  assert form["status"].value == "scheduled"
  form["status"] = "in-progress"
  form["comment"] = "The work has **started**."
  assert "Your update was posted." in form.submit(status=303).follow().text
  stored = world.maintenance_events(row.id)
  assert [(kind, internal) for kind, internal, _ in stored] == [("update", True), ("comment", False)]
  assert webapp.get(f"/api/maintenance/{row.id}").json["start_date"] is not None
  visitor = new_client().get(f"/maintenance/{row.id}")
  items = visitor.html.select("#timeline ol.timeline-updates > li")
  # (Added directly, the maintenance has no creation event: the update is its only entry.)
  assert [item.select_one(".timeline-status").get_text(strip=True) for item in items] == ["In progress"]
  assert items[0].select_one(".markdown strong").get_text() == "started"


def test_an_internal_comment_is_a_labelled_block(webapp, operator, world):
  row = world.maintenance("Router upgrade")
  world.maintenance_event(row, "Ticket NOC-42", internal=True)
  item = webapp.get(f"/maintenance/{row.id}").html.select_one("#timeline li.is-internal")
  block = item.select_one(".timeline-body-internal")
  assert block.select_one(".timeline-internal-label").get_text(strip=True) == (
    "Internal comment — visible to operators only"
  )
  assert block.select_one(".markdown").get_text(strip=True) == "Ticket NOC-42"
