"""Handling an incident from its page (docs/user-guide.md#the-timeline): an update posted in one step
(new status and its message), status changes in the public timeline, comments edited and deleted
(pages and API), technical events shown as people read them, and the new incident's form."""

import datetime as dt
import json

import feedparser
import pytest

from prodmanager_incident.models import Incident, IncidentEvent

START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def stored(world, ident):
  """(type, content, internal, new_status, creation_date) of the incident's events, oldest first."""
  rows = world.db.query(IncidentEvent).filter_by(parent_id=ident).order_by(IncidentEvent.id).all()
  return [(row.type.value, row.content, row.internal, row.new_status, row.creation_date) for row in rows]


def updates_of(page) -> list[tuple[str, str]]:
  """(status shown, message) of each entry of the page's public timeline, newest first."""
  entries = []
  for item in page.html.select("#timeline ol.timeline-updates > li"):
    status = item.select_one(".timeline-status")
    message = item.select_one(".markdown")
    entries.append(
      (status.get_text(strip=True) if status else "", message.get_text(" ", strip=True) if message else "")
    )
  return entries


# -- one-step updates -------------------------------------------------------------------------------


def test_an_update_posts_the_new_status_and_its_message_in_one_step(
  webapp, operator, world, form_of, new_client, domain_events
):
  incident = world.incident("Storage down", start_impact_date=START)
  page = webapp.get(f"/incident/{incident.id}")
  form = form_of(page, "/comment")
  # The form starts on the current status, public.
  assert form["status"].value == "active" and not form["internal"].checked
  assert [option[0] for option in form["status"].options] == ["active", "investigating", "stable", "resolved"]
  form["status"] = "investigating"
  form["comment"] = "We are looking at the storage controllers."
  response = form.submit(status=303)
  assert response.location.endswith(f"/incident/{incident.id}#timeline")
  assert "Your update was posted." in response.follow().text

  row = world.row(Incident, incident.id)
  assert row.status.value == "investigating" and row.investigation_date is not None
  events = stored(world, incident.id)
  assert [(kind, internal, status) for kind, _, internal, status, _ in events] == [
    ("update", True, "investigating"),
    ("comment", False, "investigating"),
  ]
  assert json.loads(events[0][1])["status"] == ["active", "investigating"]
  assert events[0][4] == events[1][4]  # the message is dated like the change it announces
  names = [name for name, *_ in domain_events]
  assert "incident.status_changed" in names and "incident.commented" in names
  commented = next(data for name, _, _, data in domain_events if name == "incident.commented")
  assert commented["status"] == ["active", "investigating"]

  # Anyone reads one update: the new status with its message (the internal event's diff is not shown).
  visitor = new_client().get(f"/incident/{incident.id}")
  assert updates_of(visitor) == [("Investigating", "We are looking at the storage controllers.")]
  assert visitor.html.select_one(".timeline-technical") is None
  assert '"status"' not in visitor.text


def test_an_update_without_a_status_change_is_a_comment(webapp, operator, world, form_of):
  incident = world.incident("Storage down", "stable")
  form = form_of(webapp.get(f"/incident/{incident.id}"), "/comment")
  form["comment"] = "Still watching."
  assert "Your comment was added." in form.submit(status=303).follow().text
  assert [(kind, status) for kind, _, _, status, _ in stored(world, incident.id)] == [("comment", None)]
  assert world.row(Incident, incident.id).status.value == "stable"


def test_an_update_reports_every_error_at_once_and_writes_nothing(webapp, operator, world):
  incident = world.incident("Storage down")
  page = webapp.post(
    f"/incident/{incident.id}/comment",
    {"csrf_token": operator(), "status": "closed", "comment": "  "},
    status=400,
  )
  form = page.html.select_one("#comment-form")
  assert "this field is required" in form.select_one("#field-comment").find_parent("div").get_text()
  assert "must be one of" in form.select_one("#field-status").find_parent("div").get_text()
  assert stored(world, incident.id) == [] and world.row(Incident, incident.id).status.value == "active"


def test_status_changes_made_elsewhere_appear_in_the_public_timeline(
  webapp, operator, world, form_of, token_headers, new_client
):
  incident = world.incident("Storage down", start_impact_date=START)
  # The full edit form (no message), then the API with a message in the same request, then a comment.
  form = form_of(webapp.get(f"/incident/{incident.id}/update"))
  form["status"] = "stable"
  form.submit(status=303)
  body = {"comment": "Fixed for good.", "status": "resolved"}
  event = webapp.post_json(
    f"/api/incident/{incident.id}/events", body, headers=token_headers, status=201
  ).json
  assert (event["type"], event["status"], event["internal"]) == ("comment", "resolved", False)
  assert webapp.get(f"/api/incident/{incident.id}").json["status"] == "resolved"
  webapp.post(
    f"/api/incident/{incident.id}/comment", {"comment": "Post-mortem to follow."}, headers=token_headers
  )

  visitor = new_client().get(f"/incident/{incident.id}")
  assert updates_of(visitor) == [
    ("", "Post-mortem to follow."),
    ("Resolved", "Fixed for good."),
    ("Stable", ""),
  ]
  # The API's anonymous readers still get the public comments only.
  anonymous = new_client().get(f"/api/incident/{incident.id}/events").json["items"]
  assert [(item["type"], item["status"]) for item in anonymous] == [
    ("comment", "resolved"),
    ("comment", None),
  ]


def test_the_api_refuses_an_unknown_status_with_the_comment_errors(webapp, token_headers, world):
  incident = world.incident("Storage down")
  response = webapp.post_json(
    f"/api/incident/{incident.id}/events",
    {"comment": "x", "status": "closed"},
    headers=token_headers,
    status=400,
  )
  assert list(response.json["reasons"]) == ["status"]
  assert stored(world, incident.id) == []


def test_the_comment_body_documents_the_status(webapp):
  document = webapp.get("/api/openapi.json").json
  body = document["paths"]["/api/incident/{id}/events"]["post"]["requestBody"]["content"]["application/json"]
  assert body["schema"]["properties"]["status"]["enum"][:4] == [
    "active",
    "investigating",
    "stable",
    "resolved",
  ]
  events = document["paths"]["/api/incident/{id}/events/{event_id}"]
  assert {"patch", "delete"} <= set(events)


# -- editing and deleting comments ------------------------------------------------------------------


def test_an_operator_edits_a_comment_from_the_page(webapp, operator, world, form_of, new_client):
  incident = world.incident("Storage down", events=[("comment", "Typo in teh message", False)])
  event_id = stored_ids(world, incident.id)[0]
  page = webapp.get(f"/incident/{incident.id}")
  edit = page.html.select_one(f"#event-{event_id} .timeline-actions a[href$='/comments/{event_id}']")
  form = form_of(webapp.get(edit["href"]), f"/comments/{event_id}")
  assert form["comment"].value.strip() == "Typo in teh message"
  form["comment"] = "No typo in the message"
  form["internal"] = True
  response = form.submit(status=303)
  assert response.location.endswith(f"#event-{event_id}")
  assert "The comment was updated." in response.follow().text
  events = stored(world, incident.id)
  assert events[0][:3] == ("comment", "No typo in the message", True)
  assert events[1][0] == "update" and events[1][2] is True
  assert json.loads(events[1][1]) == {
    "comment": ["Typo in teh message", "No typo in the message"],
    "internal": [False, True],
  }
  # Now internal: visitors no longer see it.
  assert updates_of(new_client().get(f"/incident/{incident.id}")) == []


def test_an_empty_edit_is_refused_and_keeps_the_text(webapp, operator, world):
  incident = world.incident("Storage down", events=[("comment", "Kept", False)])
  event_id = stored_ids(world, incident.id)[0]
  page = webapp.post(
    f"/incident/{incident.id}/comments/{event_id}", {"csrf_token": operator(), "comment": " "}, status=400
  )
  assert "this field is required" in page.text
  assert stored(world, incident.id)[0][1] == "Kept" and len(stored(world, incident.id)) == 1


def test_an_operator_deletes_a_comment_after_confirming(webapp, operator, world, form_of):
  incident = world.incident("Storage down", events=[("comment", "Wrong incident", False)])
  event_id = stored_ids(world, incident.id)[0]
  page = webapp.get(f"/incident/{incident.id}/comments/{event_id}/delete")
  assert "Do you really want to delete this comment?" in page.text
  response = form_of(page, "/delete").submit(status=303)
  assert "The comment was deleted." in response.follow().text
  events = stored(world, incident.id)
  assert [(kind, internal) for kind, _, internal, _, _ in events] == [("update", True)]
  assert json.loads(events[0][1]) == {"comment": ["Wrong incident", None]}


def test_comment_pages_are_for_operators_and_for_comments_only(webapp, operator, world, new_client):
  incident = world.incident("Storage down", events=[("create", '{"name": [null, "x"]}', True)])
  other = world.incident("Other", events=[("comment", "Elsewhere", False)])
  create_id, other_id = stored_ids(world, incident.id)[0], stored_ids(world, other.id)[0]
  webapp.get(f"/incident/{incident.id}/comments/{create_id}", status=404)  # not a comment
  webapp.get(f"/incident/{incident.id}/comments/{other_id}", status=404)  # another incident's
  webapp.get(f"/incident/{incident.id}/comments/abc", status=404)
  webapp.get(f"/incident/{other.id}/comments/{other_id}/nonsense", status=404)
  visitor = new_client()
  assert visitor.get(f"/incident/{other.id}/comments/{other_id}", status=303).location.startswith(
    "http://localhost/login"
  )
  assert visitor.get(f"/incident/{other.id}").html.select(".timeline-actions") == []


def test_the_api_edits_and_deletes_comments(webapp, token_headers, world, new_client):
  incident = world.incident("Storage down", events=[("comment", "First", False)])
  event_id = stored_ids(world, incident.id)[0]
  path = f"/api/incident/{incident.id}/events/{event_id}"
  new_client().patch_json(path, {"comment": "Anonymous"}, status=401)
  edited = webapp.patch_json(path, {"comment": "First, edited"}, headers=token_headers, status=200).json
  assert (edited["id"], edited["content"], edited["internal"]) == (event_id, "First, edited", False)
  webapp.patch_json(path, {"comment": ""}, headers=token_headers, status=400)
  webapp.patch_json(
    f"/api/incident/{incident.id}/events/{event_id + 1000}",
    {"comment": "x"},
    headers=token_headers,
    status=404,
  )
  webapp.delete(path, headers=token_headers, status=204)
  webapp.delete(path, headers=token_headers, status=404)
  assert [kind for kind, *_ in stored(world, incident.id)] == ["update", "update"]


def stored_ids(world, ident) -> list[int]:
  rows = world.db.query(IncidentEvent.id).filter_by(parent_id=ident).order_by(IncidentEvent.id).all()
  return [row[0] for row in rows]


# -- technical events ---------------------------------------------------------------------------------


def test_technical_events_show_labels_names_and_local_dates(webapp, operator, world, form_of):
  form = form_of(webapp.get(f"/incident/create?scope={world.lyon.id}&service={world.network.id}"))
  form["name"] = "Storage down"
  form["severity"] = "high"
  form["description"] = "Timeouts during **backups**"
  form["start_impact_date"] = "2024-05-01T12:00"
  page = form.submit(status=303).follow()
  table = page.html.select_one(".timeline-technical table.technical-events")
  headers = [cell.get_text(strip=True) for cell in table.select("thead th")]
  assert headers == ["Date", "Event", "Field", "Before", "After"]
  rows = {
    row.select_one("th").get_text(strip=True): row.select("td")[-1]
    for row in table.select("tbody tr")
    if row.select_one("th")
  }
  assert rows["Severity"].get_text(strip=True) == "High"
  assert rows["Status"].get_text(strip=True) == "Active"
  assert rows["Scope"].select_one("a")["href"] == f"/scope/{world.lyon.id}"
  assert rows["Scope"].get_text(strip=True) == world.lyon.name
  assert rows["Start of impact"].select_one("time")["datetime"] == "2024-05-01T12:00+00:00"
  assert rows["Start of impact"].get_text(" ", strip=True) == "2024-05-01 12:00 UTC"
  assert rows["Description"].select_one("strong").get_text() == "backups"
  assert "**" not in table.get_text()


# -- the forms ----------------------------------------------------------------------------------------


def test_a_new_incident_form_starts_active_with_now_as_the_start_of_impact(webapp, operator, world, form_of):
  page = webapp.get("/incident/create")
  form = form_of(page)
  assert form["status"].value == "active"
  assert form["start_impact_date"].value == ""
  assert page.html.select_one("#field-start_impact_date-help").get_text(strip=True).startswith("Empty: now")
  # The update form does not say it: there, the start of impact is set.
  incident = world.incident("Storage down", "stable", start_impact_date=START)
  update = webapp.get(f"/incident/{incident.id}/update")
  assert form_of(update)["status"].value == "stable" and "Empty: now" not in update.text


@pytest.mark.parametrize(
  ("language", "name", "severity", "resolve"),
  [
    (
      "en",
      "must be at least 4 characters long",
      "this field is required",
      "must not be before Start of impact",
    ),
    (
      "fr",
      "doit comporter au moins 4 caractères",
      "ce champ est obligatoire",
      "ne doit pas précéder « Début de l'impact »",
    ),
  ],
)
def test_every_error_of_the_form_comes_back_at_once_in_the_readers_language(
  webapp, operator, world, language, name, severity, resolve
):
  headers = {"Accept-Language": language}
  form = {
    "csrf_token": operator(),
    "name": "abc",
    "scope": str(world.lyon.id),
    "service": str(world.network.id),
    "status": "resolved",
    "start_impact_date": "2024-05-01T12:00",
    "resolve_date": "2024-05-01T11:00",
  }
  page = webapp.post("/incident/create", form, headers=headers, status=400)

  def errors(field):
    return (
      page.html.select_one(f"#field-{field}")
      .find_parent("div")
      .select_one(".field-error")
      .get_text(" ", strip=True)
    )

  assert errors("name") == name
  assert errors("severity") == severity
  assert errors("resolve_date") == resolve
  alert = page.html.select_one(".alert-error").get_text(" ", strip=True)
  assert alert == ("Incident creation failed" if language == "en" else "Échec de la création (Incident)")
  assert world.count(Incident) == 0


def test_the_history_feed_has_one_entry_per_update_posted_in_one_step(webapp, token_headers, world):
  incident = world.incident("Storage down")
  body = {"comment": "We are on it.", "status": "investigating"}
  webapp.post_json(f"/api/incident/{incident.id}/events", body, headers=token_headers, status=201)
  feed = feedparser.parse(webapp.get("/history.atom").body)
  assert [entry.title for entry in feed.entries] == ["Storage down — Status: Active → Investigating"]
  assert feed.entries[0].content[0].value == "<p>Status: Active → Investigating</p>\n<p>We are on it.</p>"


def test_a_refused_delete_reads_in_french(webapp, operator, world):
  world.incident("Child", scope=world.lyon)
  headers = {"Accept-Language": "fr"}
  page = webapp.post(
    f"/scope/{world.lyon.id}/delete", {"csrf_token": operator()}, headers=headers, status=403
  )
  alert = page.html.select_one(".alert-error").get_text(" ", strip=True)
  assert alert == "Suppression refusée (Périmètre) : des éléments y sont encore rattachés"
  blockers = page.html.select_one(".delete-blockers")
  assert blockers.select_one("p").get_text(strip=True).startswith("Déplacez ou supprimez")
  assert [link.get_text(strip=True) for link in blockers.select("li a")] == ["Incidents (1)"]
  api = webapp.delete(
    f"/api/scope/{world.lyon.id}", headers={**headers, "X-CSRF-Token": operator()}, status=403
  )
  assert api.json["reasons"] == {
    "incidents": ["Incidents : encore 1 rattaché(s) ; supprimez-les ou déplacez-les d'abord"]
  }
