"""Incident pages (docs/user-guide.md): detail page, forms, the dashboard and scope/service panels, the status
roll-up, the public history feeds, translations and the demo data."""

import datetime as dt
import re
from pathlib import Path

import feedparser
import pytest
import yaml
from sqlalchemy import select

import prodmanager
import prodmanager_incident
from prodmanager.demo import DemoContext
from prodmanager_incident import demo
from prodmanager_incident.models import Incident, IncidentEvent
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def field_errors(page, name: str) -> str:
  container = page.html.select_one(f"#field-{name}").find_parent("div")
  return " ".join(error.get_text(" ", strip=True) for error in container.select(".field-error"))


# -- detail page ------------------------------------------------------------------------------------


def test_detail_page(webapp, world):
  incident = world.incident(
    "Storage down",
    "stable",
    "critical",
    world.lyon,
    world.network,
    external_reference="INC001287",
    external_link="https://itsm.example.com/INC001287",
    description="Timeouts on **backups**\n\n<script>alert('xss')</script><img src=x onerror=alert(1)>",
    start_impact_date=START,
    investigation_date=START + dt.timedelta(minutes=20),
    stable_date=START + dt.timedelta(hours=2),
  )
  page = webapp.get(f"/incident/{incident.id}")
  html = page.html
  assert html.select_one("h1").get_text(strip=True) == "Storage down"
  properties = html.select_one("dl.properties")
  assert [badge["class"] for badge in properties.select(".badge")] == [
    ["badge", "badge-incident_status-stable"],
    ["badge", "badge-severity-critical"],
  ]
  assert [badge.get_text() for badge in properties.select(".badge")] == ["Stable", "Critical"]
  assert properties.select_one(f'a[href="/scope/{world.lyon.id}"]').get_text() == "Lyon DC"
  assert properties.select_one(f'a[href="/service/{world.network.id}"]').get_text() == "Network"
  assert "INC001287" in properties.get_text()
  link = properties.select_one('a[href="https://itsm.example.com/INC001287"]')
  assert link["rel"] == ["noopener", "noreferrer", "nofollow"]
  # Sanitised Markdown.
  markdown = html.select_one("section.markdown")
  assert markdown.select_one("strong").get_text() == "backups"
  assert markdown.select("script, img") == [] and html.select("[onerror]") == []
  assert "alert('xss')" not in page.text
  # Horizontal milestones: start of impact, investigation, stabilisation, resolution.
  milestones = html.select("ol.milestones li.milestone")
  assert [item.select_one(".milestone-label").get_text() for item in milestones] == [
    "Start of impact",
    "Investigation start",
    "Stabilisation date",
    "Resolution date",
  ]
  assert [
    item.select_one("time")["datetime"] if item.select_one("time") else None for item in milestones
  ] == [
    "2024-05-01T12:00+00:00",
    "2024-05-01T12:20+00:00",
    "2024-05-01T14:00+00:00",
    None,
  ]
  assert ["milestone-reached" in item["class"] for item in milestones] == [True, True, True, False]
  # The vertical timeline is there, without the comment form for visitors.
  assert html.select_one("section#timeline") and html.select_one("#comment-form") is None


def test_skipped_milestones_are_not_reached(webapp, world):
  incident = world.incident(
    "Skipped", "resolved", start_impact_date=START, resolve_date=START + dt.timedelta(hours=1)
  )
  milestones = webapp.get(f"/incident/{incident.id}").html.select("ol.milestones li.milestone")
  assert ["milestone-reached" in item["class"] for item in milestones] == [True, False, False, True]
  assert [item.select_one(".milestone-date").get_text(strip=True) for item in milestones][1:3] == ["—", "—"]


def test_detail_of_unknown_incident_is_404(webapp, world):
  webapp.get("/incident/9999", status=404)
  webapp.get("/incident/abc", status=404)


# -- forms ------------------------------------------------------------------------------------------


def test_create_through_the_form(webapp, operator, world, form_of):
  page = webapp.get(f"/incident/create?scope={world.lyon.id}")
  form = form_of(page)
  assert form["scope"].value == str(world.lyon.id)
  assert [option[0] for option in form["severity"].options] == [
    "",
    "critical",
    "high",
    "moderate",
    "low",
    "minor",
  ]
  labels = [label.get_text(" ", strip=True) for label in page.html.select("form.form label")]
  for label in (
    "Name *",
    "Severity *",
    "Status",
    "Start of impact (UTC)",
    "Investigation start (UTC)",
    "Resolution date (UTC)",
  ):
    assert label in labels
  form["name"] = "Queue backlog"
  form["service"] = str(world.network.id)
  form["severity"] = "moderate"
  form["description"] = "Messages *wait*"
  form["start_impact_date"] = "2024-05-01T11:15"
  response = form.submit(status=303)
  (row,) = world.table(Incident)
  assert (row.name, row.scope_id, row.service_id, row.severity.value, row.status.value) == (
    "Queue backlog",
    world.lyon.id,
    world.network.id,
    "moderate",
    "active",
  )
  assert row.start_impact_date == dt.datetime(2024, 5, 1, 11, 15, tzinfo=dt.UTC)
  assert (row.investigation_date, row.stable_date, row.resolve_date) == (None, None, None)
  assert response.location == f"http://localhost/incident/{row.id}"
  assert "“Queue backlog” was created." in response.follow().text
  assert [event[0] for event in world.incident_events(row.id)] == ["create"]


def test_create_form_shows_every_field_error(webapp, operator, world, form_of):
  values = {
    "csrf_token": operator(),
    "name": "abc",
    "severity": "blocker",
    "status": "closed",
    "scope": "",
    "service": "9999",
    "external_link": "ftp://files.example.com",
    "start_impact_date": "yesterday",
    "resolve_date": "soon",
  }
  page = webapp.post("/incident/create", values, status=400)
  assert field_errors(page, "name") == "must be at least 4 characters long"
  assert field_errors(page, "severity") == "must be one of: critical, high, moderate, low, minor"
  assert field_errors(page, "status") == "must be one of: active, investigating, stable, resolved"
  assert field_errors(page, "scope") == "this field is required"
  assert field_errors(page, "service") == "no Service with id 9999"
  assert field_errors(page, "external_link") == "expected an http:// or https:// URL"
  assert field_errors(page, "start_impact_date").startswith("expected a date")
  assert field_errors(page, "resolve_date").startswith("expected a date")
  assert field_errors(page, "external_reference") == ""
  assert form_of(page)["name"].value == "abc"
  assert world.count(Incident) == 0 and world.count(IncidentEvent) == 0


def test_update_form_is_prefilled_and_moves_the_milestones(webapp, operator, world, form_of):
  incident = world.incident(
    "Latency",
    "investigating",
    "high",
    start_impact_date=START,
    investigation_date=START + dt.timedelta(minutes=5),
    external_reference="INC7",
  )
  form = form_of(webapp.get(f"/incident/{incident.id}/update"))
  assert {
    name: form[name].value for name in ("name", "status", "severity", "scope", "external_reference")
  } == {
    "name": "Latency",
    "status": "investigating",
    "severity": "high",
    "scope": str(world.paris.id),
    "external_reference": "INC7",
  }
  assert (form["start_impact_date"].value, form["investigation_date"].value, form["stable_date"].value) == (
    "2024-05-01T12:00",
    "2024-05-01T12:05",
    "",
  )
  form["status"] = "stable"
  before = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
  response = form.submit(status=303)
  assert response.location == f"http://localhost/incident/{incident.id}"
  row = world.row(Incident, incident.id)
  assert row.status.value == "stable"
  assert row.investigation_date == START + dt.timedelta(minutes=5) and row.stable_date >= before
  assert [event[0] for event in world.incident_events(incident.id)] == ["update"]
  # Saving the form again without a change records nothing.
  form_of(webapp.get(f"/incident/{incident.id}/update")).submit(status=303)
  assert (
    len(world.incident_events(incident.id)) == 1
    and world.row(Incident, incident.id).stable_date == row.stable_date
  )
  # Moving back through the form clears the stabilisation date.
  form = form_of(webapp.get(f"/incident/{incident.id}/update"))
  form["status"] = "investigating"
  form.submit(status=303)
  assert world.row(Incident, incident.id).stable_date is None


def test_update_form_error_changes_nothing(webapp, operator, world):
  incident = world.incident("Steady", start_impact_date=START)
  before = world.table(Incident)
  page = webapp.post(
    f"/incident/{incident.id}/update",
    {"csrf_token": operator(), "status": "resolved", "resolve_date": "2024-05-01T11:00"},
    status=400,
  )
  assert field_errors(page, "resolve_date") == "must not be before Start of impact"
  assert world.table(Incident) == before and world.incident_events() == []


def test_delete_asks_for_confirmation_then_deletes(webapp, operator, world):
  incident = world.incident("Doomed", events=[("comment", "bye", False)])
  page = webapp.get(f"/incident/{incident.id}/delete")
  form = next(form for form in page.forms.values() if form.action.endswith(f"/incident/{incident.id}/delete"))
  assert world.count(Incident) == 1
  response = form.submit(status=303)
  assert response.location == "http://localhost/incident"
  assert world.count(Incident) == 0 and world.count(IncidentEvent) == 0


def test_anonymous_cannot_write(webapp, world):
  incident = world.incident("Guarded")
  before = world.table(Incident)
  for path in ("/incident/create", f"/incident/{incident.id}/update", f"/incident/{incident.id}/delete"):
    assert webapp.get(path, status=303).location.startswith("http://localhost/login?next=")
    webapp.post(path, {"name": "Hacked", "status": "resolved"}, status=403)
  webapp.post(f"/incident/{incident.id}/comment", {"comment": "Hacked"}, status=403)
  assert world.table(Incident) == before and world.incident_events() == []


def test_comment_form_without_csrf_token_is_refused(webapp, operator, world):
  incident = world.incident("Guarded")
  page = webapp.post(f"/incident/{incident.id}/comment", {"comment": "Forged"}, status=400)
  assert "Please reload the page and try again" in page.text
  assert world.incident_events() == []


def test_a_scope_with_incidents_cannot_be_deleted_from_its_page(webapp, operator, world):
  world.incident("Child", scope=world.lyon)
  page = webapp.get(f"/scope/{world.lyon.id}/delete")
  form = next(form for form in page.forms.values() if form.action.endswith("/delete"))
  page = form.submit(status=403)
  # What blocks the deletion, with a link to it, and no Delete button to press again.
  assert "Scope deletion refused" in page.html.select_one(".alert-error").get_text()
  links = [
    (link.get_text(strip=True), link["href"]) for link in page.html.select(".delete-blockers a[href*='?']")
  ]
  assert links == [("Incidents (1)", f"/incident?scope={world.lyon.id}")]
  assert page.html.select("form.confirm-delete") == []
  assert webapp.get(links[0][1]).html.select_one("main").get_text().count("Child") >= 1
  assert world.db.get(Scope, world.lyon.id) is not None and world.count(Incident) == 1


# -- dashboard, scope and service pages -----------------------------------------------------------------


def panel(page, name: str):
  return page.html.select_one(f"section.panel-{name}")


def test_dashboard_shows_the_ongoing_incidents(webapp, world):
  world.incident("Old active", "active", "low", start_impact_date=START)
  world.incident(
    "Recent stable",
    "stable",
    "critical",
    world.lyon,
    world.network,
    start_impact_date=START + dt.timedelta(hours=1),
  )
  world.incident(
    "Resolved one",
    "resolved",
    "high",
    start_impact_date=START + dt.timedelta(hours=2),
    resolve_date=START + dt.timedelta(hours=3),
  )
  page = webapp.get("/")
  ongoing = panel(page, "incidents-ongoing")
  assert ongoing.select_one("h2").get_text() == "Ongoing incidents"
  items = ongoing.select("li")
  assert [item.select_one("a").get_text() for item in items] == ["Recent stable", "Old active"]
  assert [badge["class"][1] for badge in items[0].select(".badge")] == [
    "badge-severity-critical",
    "badge-incident_status-stable",
  ]
  assert "Lyon DC · Network" in items[0].get_text()
  assert items[0].select_one("a")["href"] == f"/incident/{items[0].select_one('a')['href'].rsplit('/', 1)[1]}"
  # The resolved incident is reached through the past incidents link.
  past = panel(page, "incidents-past")
  link = past.select_one("a")
  assert link["href"] == "/incident?status=resolved" and link.get_text() == "See the resolved incident"
  assert [name.get_text() for name in webapp.get(link["href"]).html.select("tbody tr td:first-child")] == [
    "Resolved one"
  ]


def test_dashboard_hides_empty_incident_sections(webapp, world):
  page = webapp.get("/")
  assert panel(page, "incidents-ongoing") is None and panel(page, "incidents-past") is None
  world.incident(
    "Resolved one", "resolved", resolve_date=START + dt.timedelta(hours=1), start_impact_date=START
  )
  page = webapp.get("/")
  assert panel(page, "incidents-ongoing") is None and panel(page, "incidents-past") is not None


def test_dashboard_caps_the_list_at_10_with_a_more_link(webapp, world):
  for number in range(12):
    world.incident(f"Ongoing {number:02d}", start_impact_date=START + dt.timedelta(minutes=number))
  ongoing = panel(webapp.get("/"), "incidents-ongoing")
  assert [item.select_one("a").get_text() for item in ongoing.select("li")] == [
    f"Ongoing {number:02d}" for number in range(11, 1, -1)
  ]
  more = ongoing.select_one(".panel-more a")
  assert more.get_text() == "2 more"
  assert more["href"] == "/incident?status=active&status=investigating&status=stable"
  assert len(webapp.get(more["href"]).html.select("tbody tr")) == 12


@pytest.mark.parametrize("kind", ["scope", "service"])
def test_scope_and_service_pages_show_their_own_incidents(webapp, world, kind):
  world.incident("Paris compute", "active", scope=world.paris, service=world.compute)
  world.incident("Lyon network", "investigating", scope=world.lyon, service=world.network)
  world.incident(
    "Lyon network past",
    "resolved",
    scope=world.lyon,
    service=world.network,
    start_impact_date=START,
    resolve_date=START + dt.timedelta(hours=1),
  )
  target = world.lyon if kind == "scope" else world.network
  page = webapp.get(f"/{kind}/{target.id}")
  ongoing = panel(page, "incidents-ongoing")
  assert [item.select_one("a").get_text() for item in ongoing.select("li")] == ["Lyon network"]
  assert (
    panel(page, "incidents-past").select_one("a")["href"] == f"/incident?status=resolved&{kind}={target.id}"
  )
  other = world.paris if kind == "scope" else world.compute
  page = webapp.get(f"/{kind}/{other.id}")
  assert [item.select_one("a").get_text() for item in panel(page, "incidents-ongoing").select("li")] == [
    "Paris compute"
  ]
  assert panel(page, "incidents-past") is None


@pytest.mark.parametrize(
  ("incidents", "banner"),
  [
    # Nothing watched and nothing ongoing: the banner says there is no monitor, not "operational".
    ([], "none"),
    ([("resolved", "critical")], "none"),
    ([("active", "low")], "warning"),
    ([("stable", "moderate"), ("investigating", "minor")], "warning"),
    ([("stable", "high")], "alert"),
    ([("active", "critical"), ("active", "minor")], "alert"),
  ],
)
def test_ongoing_incidents_raise_the_overall_status(webapp, world, incidents, banner):
  for number, (status, severity) in enumerate(incidents):
    world.incident(
      f"Incident {number}",
      status,
      severity,
      resolve_date=START if status == "resolved" else None,
      start_impact_date=START,
    )
  assert webapp.get("/").html.select_one(".banner")["class"] == ["banner", f"banner-{banner}"]


def test_scope_status_is_raised_by_its_own_incidents_only(webapp, world):
  world.incident("Lyon outage", "active", "critical", scope=world.lyon, service=world.network)
  world.incident("Paris glitch", "active", "minor", scope=world.paris, service=world.compute)
  assert webapp.get(f"/scope/{world.lyon.id}").html.select_one(".banner")["class"][1] == "banner-alert"
  assert webapp.get(f"/scope/{world.paris.id}").html.select_one(".banner")["class"][1] == "banner-warning"
  assert webapp.get(f"/service/{world.compute.id}").html.select_one(".banner")["class"][1] == "banner-warning"


# -- history feeds --------------------------------------------------------------------------------------


def test_history_feeds_publish_public_updates_only(webapp, token_headers, world):
  body = {
    "name": "Storage down",
    "severity": "critical",
    "scope": world.lyon.id,
    "service": world.network.id,
    "description": "Backups time out",
  }
  ident = webapp.post_json("/api/incident/create", body, headers=token_headers).json["id"]
  webapp.post_json(f"/api/incident/{ident}/update", {"status": "investigating"}, headers=token_headers)
  webapp.post_json(
    f"/api/incident/{ident}/update", {"external_reference": "SECRET-REF-42"}, headers=token_headers
  )
  webapp.post(f"/api/incident/{ident}/comment", {"comment": "The *fix* is deployed"}, headers=token_headers)
  webapp.post(
    f"/api/incident/{ident}/comment",
    {"comment": "Vendor ticket 0xdeadbeef", "internal": "true"},
    headers=token_headers,
  )
  webapp.post_json(f"/api/incident/{ident}/update", {"status": "resolved"}, headers=token_headers)
  other = webapp.post_json(
    "/api/incident/create",
    {**body, "name": "Elsewhere", "scope": world.paris.id, "service": world.compute.id},
    headers=token_headers,
  ).json["id"]

  atom = webapp.get("/history.atom")
  assert atom.content_type == "application/atom+xml"
  feed = feedparser.parse(atom.body)
  assert not feed.bozo
  titles = [entry.title for entry in feed.entries]
  assert titles == [
    "New incident: Elsewhere",
    "Storage down — Status: Investigating → Resolved",
    "Storage down: update",
    "Storage down — Status: Active → Investigating",
    "New incident: Storage down",
  ]
  comment = feed.entries[2]
  assert "<em>fix</em>" in comment.content[0].value
  assert comment.link == f"http://localhost/incident/{ident}"
  assert feed.entries[3].content[0].value == "<p>Status: Active → Investigating</p>"
  assert "Backups time out" in feed.entries[4].content[0].value
  # Never an internal comment, never the content of a diff.
  assert "0xdeadbeef" not in atom.text and "SECRET-REF-42" not in atom.text
  # Stable ids: the same entries answer the same ids.
  again = feedparser.parse(webapp.get("/history.atom").body)
  assert [entry.id for entry in again.entries] == [entry.id for entry in feed.entries]
  assert len(set(entry.id for entry in feed.entries)) == 5

  rss = feedparser.parse(webapp.get("/history.rss").body)
  assert [entry.title for entry in rss.entries] == titles
  assert "0xdeadbeef" not in webapp.get("/history.rss").text

  # Filters.
  scoped = feedparser.parse(webapp.get("/history.atom", {"scope": world.paris.id}).body)
  assert [entry.title for entry in scoped.entries] == ["New incident: Elsewhere"]
  serviced = feedparser.parse(webapp.get("/history.atom", {"service": world.network.id}).body)
  assert len(serviced.entries) == 4 and all(f"/incident/{ident}" in entry.link for entry in serviced.entries)
  assert other != ident


# -- translations -------------------------------------------------------------------------------------


def catalogue(package, lang: str) -> dict:
  path = Path(package.__file__).parent / "translations" / f"{lang}.yaml"

  def flatten(mapping, prefix=""):
    flat = {}
    for key, value in mapping.items():
      if isinstance(value, dict):
        flat.update(flatten(value, f"{prefix}{key}."))
      else:
        flat[f"{prefix}{key}"] = value
    return flat

  return flatten(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_every_translation_key_used_exists_in_english_and_french():
  own = {lang: catalogue(prodmanager_incident, lang) for lang in ("en", "fr")}
  assert set(own["en"]) == set(own["fr"])
  known = {lang: {**catalogue(prodmanager, lang), **own[lang]} for lang in ("en", "fr")}
  package = Path(prodmanager_incident.__file__).parent
  sources = [
    path.read_text(encoding="utf-8") for path in [*package.glob("templates/*.jinja2"), *package.glob("*.py")]
  ]
  keys = {key for text in sources for key in re.findall(r"""_\(\s*f?['"]([a-z_]+\.[a-z_.]+)['"]""", text)}
  keys |= {f"incident_status.{status}" for status in ("active", "investigating", "stable", "resolved")}
  keys |= {f"severity.{severity}" for severity in ("critical", "high", "moderate", "low", "minor")}
  keys |= {
    f"fields.{name}"
    for name in (
      "impact_after",
      "impact_before",
      "start_impact_date",
      "investigation_date",
      "stable_date",
      "resolve_date",
    )
  }
  assert len(keys) > 20
  for lang in ("en", "fr"):
    missing = sorted(key for key in keys if key not in known[lang])
    assert not missing, f"{lang}: {missing}"


def test_pages_in_french(webapp, world):
  world.incident("Panne", "investigating", "moderate", investigation_date=START)
  headers = {"Accept-Language": "fr"}
  page = webapp.get("/incident", headers=headers)
  assert page.html.select_one("label[for=filter-impact_after]").get_text(strip=True) == "Impact à partir du"
  assert [badge.get_text() for badge in page.html.select("tbody .badge")] == ["En analyse", "Modérée"]
  assert "Incidents en cours" in webapp.get("/", headers=headers).text


# -- demo data --------------------------------------------------------------------------------------------


def test_demo_loader_tells_the_0_22_story(webapp, dbsession):
  scopes = [Scope(name=f"Demo scope {number}", description="") for number in range(9)]
  services = [Service(name=f"Demo service {number}", description="") for number in range(8)]
  dbsession.add_all(scopes + services)
  dbsession.flush()
  context = DemoContext(dbsession, {"scope": scopes, "service": services})
  assert demo.load(context) == 4
  incidents = {row.external_reference: row for row in dbsession.scalars(select(Incident))}
  assert {ref: (row.name, row.status.value, row.severity.value) for ref, row in incidents.items()} == {
    "INC001287": ("Database storage backend is unresponsive", "stable", "critical"),
    "INC003421": ("Unable to mount on Linux VMs", "active", "critical"),
    "INC001167": ("Go function don't compile", "resolved", "high"),
    "INC000790": ("Public IPs are not accessible from AT&AT provider", "resolved", "moderate"),
  }
  storage = incidents["INC001287"]
  assert (storage.scope_id, storage.service_id) == (scopes[1].id, services[0].id)
  assert storage.investigation_date and storage.stable_date and storage.resolve_date is None
  assert all(
    row.resolve_date > row.start_impact_date
    for ref, row in incidents.items()
    if row.status.value == "resolved"
  )
  assert context.objects["incident"] and len(context.objects["incident"]) == 4
  now = dt.datetime.now(dt.UTC)
  assert all(row.start_impact_date < now for row in incidents.values())
  events = list(dbsession.scalars(select(IncidentEvent).where(IncidentEvent.parent_id == storage.id)))
  kinds = [(event.type.value, event.internal) for event in events]
  assert ("comment", True) in kinds and ("comment", False) in kinds and kinds[0] == ("create", True)
  # The dashboard shows the ongoing ones; visitors see the public comments only.
  ongoing = panel(webapp.get("/"), "incidents-ongoing")
  assert [item.select_one("a").get_text() for item in ongoing.select("li")] == [
    "Unable to mount on Linux VMs",
    "Database storage backend is unresponsive",
  ]
  page = webapp.get(f"/incident/{storage.id}")
  assert "A fix solution have been found" in page.text and "middle of his backup" not in page.text
  feed = feedparser.parse(webapp.get("/history.atom").body)
  assert any(
    entry.title == "Database storage backend is unresponsive — Status: Investigating → Stable"
    for entry in feed.entries
  )
