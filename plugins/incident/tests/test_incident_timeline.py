"""Incident timelines (docs/user-guide.md#the-timeline): create/update events, comments through the compat path, the REST
path and the detail page's form, who sees internal events (pages and API), and the domain events of
every change path (web and API)."""

import pytest

from prodmanager_incident.models import IncidentEvent

PUBLIC = "Fix deployed, **monitoring**"
INTERNAL = "Root cause: the storage controller firmware"
CREATE = '{"name": [null, "Storage down"]}'


@pytest.fixture
def story(world):
  """An incident with a create event, an internal and a public comment."""
  return world.incident(
    "Storage down",
    "stable",
    events=[("create", CREATE, True), ("comment", INTERNAL, True), ("comment", PUBLIC, False)],
  )


def reader_headers(reader, webapp, operator_fixture, make_token) -> dict:
  if reader == "operator":
    # The session cookie reads everything; its API writes need the CSRF token.
    return {"X-CSRF-Token": operator_fixture()}
  if reader == "incident token":
    return make_token(["incident_api"])
  if reader == "scope token":
    return make_token(["scope_api"])
  return {}


ALL_EVENTS = [("create", CREATE, True), ("comment", INTERNAL, True), ("comment", PUBLIC, False)]
PUBLIC_EVENTS = [("comment", PUBLIC, False)]
# Sessions and tokens carrying incident_api see internal events; anonymous readers and other tokens do
# not (0.22 showed them to any valid token). HTML pages never read the Authorization header.
API_VISIBLE = {
  "anonymous": PUBLIC_EVENTS,
  "operator": ALL_EVENTS,
  "incident token": ALL_EVENTS,
  "scope token": PUBLIC_EVENTS,
}
PAGE_SHOWS_INTERNAL = {"anonymous": False, "operator": True, "incident token": False, "scope token": False}


def as_tuples(events: list[dict]) -> list[tuple]:
  return [(event["type"], event["content"], event["internal"]) for event in events]


@pytest.mark.parametrize("reader", list(API_VISIBLE))
def test_internal_events_visibility_in_the_api(request, webapp, make_token, story, reader):
  operator = request.getfixturevalue("operator") if reader == "operator" else None
  headers = reader_headers(reader, webapp, operator, make_token)
  expected = API_VISIBLE[reader]
  assert as_tuples(webapp.get(f"/api/incident/{story.id}", headers=headers).json["events"]) == expected
  assert as_tuples(webapp.get("/api/incident", headers=headers).json["items"][0]["events"]) == expected
  assert as_tuples(webapp.get(f"/api/incident/{story.id}/events", headers=headers).json["items"]) == expected
  # The comment path answers with the parent, with the same visibility.
  if reader != "anonymous":
    response = webapp.post(
      f"/api/incident/{story.id}/comment", {"comment": "More"}, headers=headers, status="*"
    )
    if reader == "scope token":
      assert response.status_int == 403
    else:
      assert as_tuples(response.json["events"]) == expected + [("comment", "More", False)]


@pytest.mark.parametrize("reader", list(PAGE_SHOWS_INTERNAL))
def test_internal_events_visibility_on_the_detail_page(request, webapp, make_token, story, reader):
  operator = request.getfixturevalue("operator") if reader == "operator" else None
  headers = reader_headers(reader, webapp, operator, make_token)
  page = webapp.get(f"/incident/{story.id}", headers=headers)
  timeline = page.html.select_one("#timeline")
  comments = [
    item.select_one(".markdown").get_text(" ", strip=True)
    for item in timeline.select(":scope > ol.timeline > li")
  ]
  shows_internal = PAGE_SHOWS_INTERNAL[reader]
  public_text = "Fix deployed, monitoring"
  if shows_internal:
    assert public_text in comments and INTERNAL in comments
    assert (
      timeline.select_one("details.timeline-technical summary").get_text(strip=True) == "Technical events (1)"
    )
    assert timeline.select_one("form#comment-form")
  else:
    assert comments == [public_text]
    assert INTERNAL not in page.text and "timeline-technical" not in page.text
    assert timeline.select_one("form#comment-form") is None
  # Comments are Markdown, rendered.
  assert timeline.select_one("strong").get_text() == "monitoring"


# -- comments through the API -----------------------------------------------------------------------


@pytest.mark.parametrize(
  ("encoding", "body", "internal"),
  [
    ("form", {"comment": "Public by default"}, False),
    ("json", {"comment": "Public by default"}, False),
    ("form", {"comment": "Operators only", "internal": "true"}, True),
    ("form", {"comment": "Said public", "internal": "false"}, False),
    ("json", {"comment": "Operators only", "internal": True}, True),
    ("json", {"comment": "Said public", "internal": False}, False),
    ("json", {"comment": "Null is public", "internal": None}, False),
  ],
)
def test_comment_compat_path_answers_200_with_the_incident(
  webapp, token_headers, world, encoding, body, internal
):
  incident = world.incident("Commented")
  send = webapp.post_json if encoding == "json" else webapp.post
  response = send(f"/api/incident/{incident.id}/comment", body, headers=token_headers)
  assert response.status_int == 200
  assert response.json["id"] == incident.id and response.json["name"] == "Commented"
  assert as_tuples(response.json["events"]) == [("comment", body["comment"], internal)]
  assert world.incident_events(incident.id) == [("comment", body["comment"], internal)]


def test_comment_rest_path_answers_201_with_the_event(webapp, token_headers, world):
  incident = world.incident("Commented")
  response = webapp.post_json(
    f"/api/incident/{incident.id}/events", {"comment": "REST *comment*"}, headers=token_headers, status=201
  )
  body = response.json
  assert set(body) == {"id", "creation_date", "content", "internal", "type", "status"}
  assert (body["type"], body["content"], body["internal"], body["status"]) == (
    "comment",
    "REST *comment*",
    False,
    None,
  )
  assert len(body["creation_date"]) == len("2024-05-01T10:30")
  assert world.incident_events(incident.id) == [("comment", "REST *comment*", False)]
  listed = webapp.get(f"/api/incident/{incident.id}/events").json["items"]
  assert listed == [body]


@pytest.mark.parametrize(
  ("encoding", "body", "field"),
  [
    ("form", {"comment": ""}, "comment"),
    ("form", {"comment": "   "}, "comment"),
    ("form", {"internal": "true"}, "comment"),
    ("json", {"comment": "x" * (64 * 1024 + 1)}, "comment"),
    ("form", {"comment": "Fine", "internal": "maybe"}, "internal"),
    ("json", {"comment": "Fine", "internal": "perhaps"}, "internal"),
  ],
)
@pytest.mark.parametrize("path", ["comment", "events"])
def test_bad_comments_are_400_and_write_nothing(webapp, token_headers, world, encoding, body, field, path):
  incident = world.incident("Commented")
  send = webapp.post_json if encoding == "json" else webapp.post
  response = send(f"/api/incident/{incident.id}/{path}", body, headers=token_headers, status=400)
  assert list(response.json["reasons"]) == [field]
  assert world.count(IncidentEvent) == 0


def test_comment_on_an_unknown_incident_is_404(webapp, token_headers, world):
  webapp.post("/api/incident/9999/comment", {"comment": "lost"}, headers=token_headers, status=404)
  webapp.post_json("/api/incident/9999/events", {"comment": "lost"}, headers=token_headers, status=404)
  webapp.get("/api/incident/9999/events", status=404)
  assert world.count(IncidentEvent) == 0


# -- comments through the detail page ------------------------------------------------------------------


def test_comment_form_of_the_detail_page(webapp, operator, world, form_of):
  incident = world.incident("Commented")
  page = webapp.get(f"/incident/{incident.id}")
  form = form_of(page, "/comment")
  form["comment"] = "Seen from the page"
  form["internal"] = True
  response = form.submit(status=303)
  assert response.location == f"http://localhost/incident/{incident.id}#timeline"
  assert world.incident_events(incident.id) == [("comment", "Seen from the page", True)]
  page = response.follow()
  assert "Your comment was added." in page.text
  assert (
    page.html.select_one("#timeline .timeline-body-internal .markdown").get_text(strip=True)
    == "Seen from the page"
  )


def test_comment_form_errors_keep_what_was_typed(webapp, operator, world, form_of):
  incident = world.incident("Commented")
  form = form_of(webapp.get(f"/incident/{incident.id}"), "/comment")
  form["comment"] = "x" * (64 * 1024 + 1)
  form["internal"] = True
  page = form.submit(status=400)
  assert "must be at most 65536 characters long" in page.html.select_one("#comment-form").get_text()
  assert page.html.select_one("#field-comment").get_text().strip() == "x" * (64 * 1024 + 1)
  assert page.html.select_one("#field-internal").has_attr("checked")
  assert world.count(IncidentEvent) == 0


def test_comment_form_needs_a_login(webapp, world):
  incident = world.incident("Commented")
  webapp.post(f"/incident/{incident.id}/comment", {"comment": "anonymous"}, status=(302, 303, 400, 403))
  assert world.count(IncidentEvent) == 0


# -- domain events ------------------------------------------------------------------------------------


def test_domain_events_of_the_api(webapp, token_headers, world, domain_events):
  body = {"name": "Evented", "severity": "high", "scope": world.paris.id, "service": world.compute.id}
  ident = webapp.post_json("/api/incident", body, headers=token_headers, status=201).json["id"]
  assert domain_events == [("incident.created", "incident", ident, {})]
  domain_events.clear()

  webapp.patch_json(f"/api/incident/{ident}", {"status": "investigating"}, headers=token_headers)
  names = [event[0] for event in domain_events]
  assert names == ["incident.updated", "incident.status_changed"]
  assert domain_events[1][3] == {"old": "active", "new": "investigating"}
  domain_events.clear()

  webapp.post_json(f"/api/incident/{ident}/update", {"severity": "low"}, headers=token_headers)
  assert [event[0] for event in domain_events] == ["incident.updated"]  # no status change
  domain_events.clear()

  webapp.post(f"/api/incident/{ident}/comment", {"comment": "public"}, headers=token_headers)
  webapp.post_json(
    f"/api/incident/{ident}/events", {"comment": "internal", "internal": True}, headers=token_headers
  )
  assert [(name, data["internal"]) for name, _type, _id, data in domain_events] == [
    ("incident.commented", False),
    ("incident.commented", True),
  ]
  domain_events.clear()

  # A refused change emits nothing.
  webapp.patch_json(f"/api/incident/{ident}", {"status": "closed"}, headers=token_headers, status=400)
  webapp.post_json(f"/api/incident/{ident}/comment", {"comment": ""}, headers=token_headers, status=400)
  webapp.post_json(
    "/api/incident", {**body, "resolve_date": "2000-01-01T00:00"}, headers=token_headers, status=400
  )
  assert domain_events == []


def test_domain_events_of_the_web_forms(webapp, operator, world, domain_events, form_of):
  form = form_of(webapp.get("/incident/create"))
  form["name"] = "From the web"
  form["severity"] = "critical"
  form["scope"] = str(world.paris.id)
  form["service"] = str(world.compute.id)
  page = form.submit(status=303).follow()
  ident = int(page.request.path.rsplit("/", 1)[1])
  assert domain_events == [("incident.created", "incident", ident, {})]
  domain_events.clear()

  form = form_of(webapp.get(f"/incident/{ident}/update"))
  form["status"] = "resolved"
  form.submit(status=303)
  assert ("incident.status_changed", "incident", ident, {"old": "active", "new": "resolved"}) in domain_events
  domain_events.clear()

  form = form_of(webapp.get(f"/incident/{ident}"), "/comment")
  form["comment"] = "Resolved, thanks for your patience"
  form.submit(status=303)
  assert [(name, data.get("internal")) for name, _type, _id, data in domain_events] == [
    ("incident.commented", False)
  ]


def test_status_changes_are_typed_columns_of_the_events(webapp, token_headers, world, dbsession):
  """The create event and each update that changes the status carry old/new status columns; other
  updates and comments carry none, whatever their text says. The feeds read these columns."""
  from sqlalchemy import select

  headers = token_headers
  body = {"name": "Disk array", "severity": "high", "scope": world.paris.id, "service": world.compute.id}
  ident = webapp.post_json("/api/incident/create", body, headers=headers).json["id"]
  webapp.patch_json(f"/api/incident/{ident}", {"status": "stable"}, headers=headers)
  webapp.patch_json(
    f"/api/incident/{ident}", {"description": 'quoting "status": ["a", "b"]'}, headers=headers
  )
  webapp.post_json(f"/api/incident/{ident}/comment", {"comment": '"status": ["x", "y"]'}, headers=headers)
  table = IncidentEvent.__table__
  rows = dbsession.execute(
    select(table.c.id, table.c.type, table.c.old_status, table.c.new_status)
    .where(table.c.parent_id == ident)
    .order_by(table.c.id)
  ).all()
  assert [(row.type.value, row.old_status, row.new_status) for row in rows] == [
    ("create", None, "active"),
    ("update", "active", "stable"),
    ("update", None, None),
    ("comment", None, None),
  ]
  # The public feed tells the creation, the status change and the public comment, not the other update.
  feed = webapp.get("/history.atom").text
  told = [row.id for row in rows if f"incident-{ident}-event-{row.id}<" in feed]
  assert told == [rows[0].id, rows[1].id, rows[3].id]
