"""Draft incidents from alerts (docs/integrations.md#from-alert-to-incident-drafts): an alert opens a
draft, a second monitor of the pair joins it, publishing creates the incident (and its notification,
then only), dismissing drops it, recovery closes it or proposes resolving, operators only, nothing
public before publication."""

import datetime as dt

import pytest
from sqlalchemy import select

from prodmanager.db import utcnow
from prodmanager.integrations import Integration
from prodmanager.runs import run_integration
from prodmanager.state import app_state
from prodmanager.testing import page_form
from prodmanager_alertdrafts.models import AlertDraft, DraftMonitor, DraftState
from prodmanager_alerthooks.testing import ALERTMANAGER, notification
from prodmanager_incident.models import Incident, IncidentEvent
from prodmanager_notification.models import Channel, Message, Subscriber

# A name no page shows unless it comes from the draft.
SECRET_NAME = "Checkout latency zq7"


@pytest.fixture
def hook_headers(make_token):
  return make_token(["monitor_api"], name="hooktoken")


@pytest.fixture
def draft_headers(make_token):
  return make_token(["alertdrafts_api"], name="drafttoken")


@pytest.fixture
def hook(webapp, hook_headers):
  """``hook("firing", "ref", "ref2")``: an Alertmanager notification about these monitors."""

  def send(status, *references):
    alerts = [
      (status, {"prodmanager_monitor": reference, "severity": "critical"}) for reference in references
    ]
    return webapp.post_json(
      "/api/hooks/alertmanager", notification(ALERTMANAGER, *alerts), headers=hook_headers
    ).json

  return send


@pytest.fixture
def monitor(make, world):
  """``monitor("ref")``: a monitor of the alertmanager integration on Paris DC · Compute, unless told."""

  def create(reference, name=None, integration="alertmanager", scope=None, service=None, **values):
    return make.monitor(
      name=name or f"{SECRET_NAME} {reference}",
      integration=integration,
      external_reference=reference,
      scope=scope or world.paris,
      service=service or world.compute,
      **values,
    )

  return create


def drafts(dbsession) -> list[AlertDraft]:
  dbsession.expire_all()
  return list(dbsession.scalars(select(AlertDraft).order_by(AlertDraft.id)))


def draft_monitors(dbsession, draft) -> list[tuple]:
  rows = dbsession.scalars(
    select(DraftMonitor).where(DraftMonitor.draft_id == draft.id).order_by(DraftMonitor.alerted_at)
  )
  return [(row.monitor_id, row.recovered_at is not None) for row in rows]


def messages(dbsession, event: str) -> int:
  dbsession.expire_all()
  return len(list(dbsession.scalars(select(Message).where(Message.event == event))))


@pytest.fixture
def webhook(make):
  """A confirmed webhook subscriber of every notification: the outbox writes a message for each."""
  return make.add(
    Subscriber,
    channel=Channel.WEBHOOK,
    name="chat",
    url="http://127.0.0.1:9/hook",
    secret="s",
    all_events=True,
    kinds="",
    confirmed_at=utcnow(),
  )


def test_an_alert_opens_a_draft_with_a_suggestion(hook, monitor, dbsession, webapp, draft_headers, world):
  row = monitor("api", external_link="https://alerts.example.com/api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  assert (draft.state, draft.scope_id, draft.service_id, draft.severity.value) == (
    DraftState.OPEN,
    world.paris.id,
    world.compute.id,
    "high",
  )
  assert draft.name == f"Compute (Paris DC): {SECRET_NAME} api in alert"
  assert (
    f"**{SECRET_NAME} api**" in draft.description and "https://alerts.example.com/api" in draft.description
  )
  assert draft_monitors(dbsession, draft) == [(row.id, False)]
  assert dbsession.scalars(select(Incident)).first() is None
  body = webapp.get("/api/alertdraft", headers=draft_headers).json
  (item,) = body["items"]
  assert item["state"] == "open" and item["incident"] is None and item["resolve_proposed"] is False
  assert [(entry["id"], entry["status"], entry["source"]) for entry in item["monitors"]] == [
    (row.id, "alert", "")
  ]
  assert webapp.get(f"/api/alertdraft/{draft.id}", headers=draft_headers).json == item


def test_a_second_monitor_of_the_pair_joins_the_open_draft(hook, monitor, dbsession, world):
  first, second = monitor("api"), monitor("db")
  other_pair = monitor("dns", service=world.network)
  hook("firing", "api")
  hook("firing", "db")
  (draft,) = drafts(dbsession)
  assert draft_monitors(dbsession, draft) == [(first.id, False), (second.id, False)]
  assert f"**{SECRET_NAME} db**" in draft.description  # the suggestion names the monitor that joined
  hook("firing", "dns")
  assert [(row.service_id, row.state.value) for row in drafts(dbsession)] == [
    (world.compute.id, "open"),
    (world.network.id, "open"),
  ]
  assert draft_monitors(dbsession, drafts(dbsession)[1]) == [(other_pair.id, False)]


def test_only_alerts_of_the_covered_integrations_open_drafts(hook, monitor, dbsession, webapp, token_headers):
  monitor("dns-check", integration="dns")  # PM_ALERT_DRAFTS is "http, alertmanager" here
  suffixed = monitor("eu", integration="alertmanager_eu")  # <name>_<suffix> is covered
  warned = monitor("warn")
  hook("firing", "dns-check")
  webapp.patch_json(f"/api/monitor/{warned.id}", {"status": "warning"}, headers=token_headers)
  assert drafts(dbsession) == []
  hook("firing", "eu")
  (draft,) = drafts(dbsession)
  assert draft_monitors(dbsession, draft) == [(suffixed.id, False)]


def test_a_pull_integration_run_opens_the_draft_in_its_transaction(registry, monitor, dbsession):
  # The http plugin is not enabled in this folder's application: a probe stands in under its name.
  integrations = app_state(registry).integrations
  integrations.add(Integration("http", lambda context, watched: "alert", None, None, None, 60, "probe"))
  try:
    row = monitor("site", integration="http")
    run_integration(registry, integrations.by_name["http"], force=True)
  finally:
    integrations.by_name.pop("http", None)
  (draft,) = drafts(dbsession)
  assert draft_monitors(dbsession, draft) == [(row.id, False)]
  dbsession.expire_all()
  assert dbsession.scalars(select(DraftMonitor)).one().source == "http"


def test_publishing_creates_the_incident_and_its_notification_then_only(
  hook, monitor, dbsession, webapp, operator, webhook, draft_headers
):
  monitor("api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  assert messages(dbsession, "incident.created") == 0  # a draft notifies nobody
  page = webapp.get("/drafts")
  assert page.html.select_one(f"#draft-{draft.id} h3").get_text() == draft.name
  response = page_form(page, f"/drafts/{draft.id}/publish").submit(status=303)
  (incident,) = dbsession.scalars(select(Incident)).all()
  assert response.headers["Location"].endswith(f"/incident/{incident.id}")
  assert (incident.name, incident.severity.value, incident.status.value) == (draft.name, "high", "active")
  assert incident.start_impact_date.replace(second=0, microsecond=0) == draft.opened_at.replace(
    second=0, microsecond=0
  )
  assert (incident.scope_id, incident.service_id) == (draft.scope_id, draft.service_id)
  assert messages(dbsession, "incident.created") == 1
  (published,) = drafts(dbsession)
  assert (published.state, published.incident_id, published.decided_by) == (
    DraftState.PUBLISHED,
    incident.id,
    "session:admin",
  )
  assert "Incident" in response.follow().text and incident.name in response.follow().text
  # Publishing twice is refused, and creates nothing.
  answer = webapp.post_json(f"/api/alertdraft/{draft.id}/publish", {}, headers=draft_headers, status=409)
  assert "only an open draft" in answer.json["reasons"]["state"][0]
  assert len(dbsession.scalars(select(Incident)).all()) == 1


def test_publish_through_the_api_with_changes_and_bad_input(
  hook, monitor, dbsession, webapp, draft_headers, world
):
  monitor("api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  path = f"/api/alertdraft/{draft.id}/publish"
  short = webapp.post_json(path, {"name": "abc"}, headers=draft_headers, status=400).json
  assert "name" in short["reasons"]
  webapp.post_json(path, {"severity": "urgent"}, headers=draft_headers, status=400)
  webapp.post_json("/api/alertdraft/99999/publish", {}, headers=draft_headers, status=404)
  webapp.post_json("/api/alertdraft/abc/publish", {}, headers=draft_headers, status=400)
  # Nothing was half written.
  assert drafts(dbsession)[0].state is DraftState.OPEN and dbsession.scalars(select(Incident)).first() is None
  response = webapp.post_json(
    path, {"name": "Checkout is slow", "severity": "critical"}, headers=draft_headers
  )
  incident = dbsession.scalars(select(Incident)).one()
  assert response.headers["Location"] == f"http://localhost/api/incident/{incident.id}"
  assert response.json["incident"] == incident.id and response.json["state"] == "published"
  assert response.json["links"]["incident"] == f"http://localhost/api/incident/{incident.id}"
  assert (incident.name, incident.severity.value) == ("Checkout is slow", "critical")
  assert f"**{SECRET_NAME} api**" in incident.description  # the suggestion's description kept
  # A form-encoded body works too (an empty field keeps the suggestion).
  monitor("net", service=world.network)
  hook("firing", "net")
  second = drafts(dbsession)[1]
  body = webapp.post(
    f"/api/alertdraft/{second.id}/publish", {"name": "", "severity": "low"}, headers=draft_headers
  )
  published = dbsession.get(Incident, body.json["incident"])
  assert (published.name, published.severity.value) == (second.name, "low")


def test_dismissing_drops_the_draft_and_the_next_alert_opens_another(
  hook, monitor, dbsession, webapp, operator, draft_headers
):
  monitor("api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  page = webapp.get("/drafts")
  page_form(page, f"/drafts/{draft.id}/dismiss").submit(status=303)
  (dismissed,) = drafts(dbsession)
  assert dismissed.state is DraftState.DISMISSED and dbsession.scalars(select(Incident)).first() is None
  webapp.post_json(f"/api/alertdraft/{draft.id}/dismiss", {}, headers=draft_headers, status=409)
  assert f"draft-{draft.id}" not in webapp.get("/drafts").text.split('id="drafts-resolutions"')[0]
  hook("resolved", "api")
  hook("firing", "api")
  assert [row.state.value for row in drafts(dbsession)] == ["dismissed", "open"]


def test_recovery_closes_an_open_draft_once_every_monitor_is_back(hook, monitor, dbsession, webapp, operator):
  monitor("api"), monitor("db")
  hook("firing", "api", "db")
  hook("resolved", "api")
  (draft,) = drafts(dbsession)
  assert draft.state is DraftState.OPEN  # db still alerts
  hook("resolved", "db")
  (closed,) = drafts(dbsession)
  assert (closed.state, closed.decided_by) == (DraftState.CLOSED, "recovery")
  assert closed.recovered_at is not None and dbsession.scalars(select(Incident)).first() is None
  recent = webapp.get("/drafts").html.select_one(f"#recent-{draft.id}").get_text(" ", strip=True)
  assert "Closed" in recent and "recovered before it was published" in recent


def test_recovery_of_a_published_draft_proposes_resolving_in_one_click(
  hook, monitor, dbsession, webapp, operator, new_client, draft_headers, webhook
):
  monitor("api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  webapp.post(f"/api/alertdraft/{draft.id}/publish", {"csrf_token": operator()})
  incident = dbsession.scalars(select(Incident)).one()
  webapp.post_json(
    f"/api/alertdraft/{draft.id}/resolve", {}, headers=draft_headers, status=409
  )  # still alerting
  assert webapp.get(f"/incident/{incident.id}").html.select_one("#alertdrafts-resolve") is None
  hook("resolved", "api")
  assert drafts(dbsession)[0].resolve_proposed is True
  # Alerting again withdraws the proposal; recovering again makes it.
  hook("firing", "api")
  assert drafts(dbsession)[0].resolve_proposed is False
  hook("resolved", "api")
  assert drafts(dbsession)[0].resolve_proposed is True
  page = webapp.get(f"/incident/{incident.id}")
  assert "recovered — resolve it?" in page.text
  visitor_page = new_client().get(f"/incident/{incident.id}").text
  assert "alertdrafts-resolve" not in visitor_page and "From an alert" not in visitor_page
  banner = webapp.get("/").html.select_one(".alertdrafts-banner").get_text(" ", strip=True)
  assert "1 published incident may be resolved" in banner
  before = messages(dbsession, "incident.commented")
  response = page_form(page, f"/drafts/{draft.id}/resolve").submit(status=303)
  assert response.headers["Location"].endswith(f"/incident/{incident.id}")
  dbsession.expire_all()
  assert dbsession.get(Incident, incident.id).status.value == "resolved"
  comment = dbsession.scalars(
    select(IncidentEvent).where(IncidentEvent.parent_id == incident.id, IncidentEvent.type == "comment")
  ).one()
  assert comment.internal is False and comment.new_status == "resolved"
  assert messages(dbsession, "incident.commented") == before + 1  # subscribers hear of the resolution
  assert drafts(dbsession)[0].resolve_proposed is False
  webapp.post_json(f"/api/alertdraft/{draft.id}/resolve", {}, headers=draft_headers, status=409)
  # The incident is resolved: a new alert on the pair opens a new draft.
  hook("firing", "api")
  assert [row.state.value for row in drafts(dbsession)] == ["published", "open"]


def test_a_monitor_alerting_on_a_published_pair_joins_its_draft(
  hook, monitor, dbsession, webapp, draft_headers
):
  first = monitor("api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  webapp.post_json(f"/api/alertdraft/{draft.id}/publish", {}, headers=draft_headers)
  second = monitor("db")
  hook("firing", "db")
  (joined,) = drafts(dbsession)
  assert draft_monitors(dbsession, joined) == [(first.id, False), (second.id, False)]
  hook("resolved", "api")
  assert drafts(dbsession)[0].resolve_proposed is False  # db still alerts
  hook("resolved", "db")
  assert drafts(dbsession)[0].resolve_proposed is True
  body = webapp.get("/api/alertdraft", {"state": "published"}, headers=draft_headers).json
  assert [item["resolve_proposed"] for item in body["items"]] == [True]
  assert webapp.get("/api/alertdraft", {"state": "open"}, headers=draft_headers).json["items"] == []


def test_visitors_see_nothing_of_a_draft(hook, monitor, dbsession, webapp, new_client, world, operator):
  row = monitor("api")
  visitor = new_client()
  # Pages and formats read (and cached) before and after the draft exists.
  paths = [
    "/",
    "/incident",
    f"/scope/{world.paris.id}",
    f"/service/{world.compute.id}",
    "/api/incident",
    "/api/monitor",
    "/api/v2/summary.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/history.atom",
    "/history.rss",
    "/badge.svg",
    f"/scope/{world.paris.id}/badge.svg",
    f"/monitor/{row.id}",
  ]
  for path in paths:
    visitor.get(path)
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  # The operator sees the draft, and the banner on the dashboard.
  home = webapp.get("/")
  assert "1 draft incident from an alert waits for a decision." in home.text
  assert 'href="/drafts"' in home.text
  for path in paths:
    text = visitor.get(path).text
    assert draft.name not in text and "alertdrafts" not in text and 'href="/drafts"' not in text, path
    assert "draft incident" not in text, path
  assert visitor.get("/drafts", status=303).headers["Location"].endswith("/login?next=%2Fdrafts")
  visitor.get("/api/alertdraft", status=401)
  visitor.get(f"/api/alertdraft/{draft.id}", status=401)
  visitor.post(f"/drafts/{draft.id}/publish", status=403)
  visitor.post_json(f"/api/alertdraft/{draft.id}/publish", {}, status=401)
  assert drafts(dbsession)[0].state is DraftState.OPEN


def test_tokens_need_the_drafts_permission_and_sessions_the_csrf_token(
  hook, monitor, dbsession, webapp, make_token, operator
):
  monitor("api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  other = make_token(["incident_api", "monitor_api"], name="othertoken")
  webapp.get("/api/alertdraft", headers=other, status=403)
  webapp.post_json(f"/api/alertdraft/{draft.id}/publish", {}, headers=other, status=403)
  webapp.post_json(f"/api/alertdraft/{draft.id}/dismiss", {}, headers=other, status=403)
  # The operator's session without the CSRF token is refused, on the pages and the API.
  webapp.post(f"/drafts/{draft.id}/publish", status=400)
  webapp.post(f"/api/alertdraft/{draft.id}/dismiss", status=400)
  assert drafts(dbsession)[0].state is DraftState.OPEN
  # With it, the session acts through the API too.
  assert (
    webapp.post(f"/api/alertdraft/{draft.id}/dismiss", {"csrf_token": operator()}).json["state"]
    == "dismissed"
  )


def test_list_filters_and_pagination(hook, monitor, dbsession, webapp, draft_headers, world):
  for number, service in enumerate((world.compute, world.network)):
    monitor(f"m{number}", service=service)
    hook("firing", f"m{number}")
  response = webapp.get("/api/alertdraft", {"per_page": "1"}, headers=draft_headers)
  assert (response.headers["x-total"], response.headers["x-total-pages"], len(response.json["items"])) == (
    "2",
    "2",
    1,
  )
  webapp.get("/api/alertdraft", {"state": "pending"}, headers=draft_headers, status=400)
  webapp.get("/api/alertdraft", {"page": "zero"}, headers=draft_headers, status=400)


def test_lists_run_a_constant_number_of_queries(
  hook, monitor, webapp, draft_headers, operator, count_queries, make, world
):
  counts = {"/api/alertdraft": [], "/drafts": []}
  made = 0
  for total in (1, 6):
    while made < total:
      scope = make.scope(name=f"Scope {made:02d}")
      monitor(f"q{made}", scope=scope)
      monitor(f"r{made}", scope=scope)
      hook("firing", f"q{made}", f"r{made}")
      made += 1
    for path, values in counts.items():
      headers = draft_headers if path.startswith("/api") else {}
      webapp.get(path, headers=headers)  # warm-up
      with count_queries() as queries:
        webapp.get(path, headers=headers)
      values.append(len(queries))
  for path, values in counts.items():
    assert values[0] == values[1], f"{path}: {values}"


def test_the_setting_decides_whose_alerts_open_drafts(build_app, monitor, dbsession, make_token):
  off = build_app(**{"prodmanager.alertdrafts.sources": "off"})
  token = make_token(["monitor_api"], name="offtoken")
  monitor("api")
  off.post_json(
    "/api/hooks/alertmanager",
    notification(ALERTMANAGER, ("firing", {"prodmanager_monitor": "api"})),
    headers=token,
  )
  assert drafts(dbsession) == []
  everything = build_app(
    **{"prodmanager.alertdrafts.sources": "all", "prodmanager.alertdrafts.severity": "moderate"}
  )
  manual = monitor("manual", integration=None)
  everything.patch_json(f"/api/monitor/{manual.id}", {"status": "alert"}, headers=make_token(["monitor_api"]))
  (draft,) = drafts(dbsession)
  assert draft.severity.value == "moderate"
  assert draft.opened_at > utcnow() - dt.timedelta(minutes=5)


def test_bad_input_is_refused_with_a_4xx_and_writes_nothing(
  hook, monitor, dbsession, webapp, operator, draft_headers
):
  monitor("api")
  hook("firing", "api")
  (draft,) = drafts(dbsession)
  path = f"/api/alertdraft/{draft.id}/publish"
  webapp.post_json(path, {"name": "x" * 256}, headers=draft_headers, status=400)
  webapp.post_json(path, {"description": "x" * (64 * 1024 + 1)}, headers=draft_headers, status=400)
  webapp.post_json(path, ["not", "an", "object"], headers=draft_headers, status=400)
  webapp.post(path, "{not json", headers={**draft_headers, "Content-Type": "application/json"}, status=400)
  webapp.post(path, "name=x", headers={**draft_headers, "Content-Type": "text/plain"}, status=415)
  webapp.get("/api/alertdraft/0", headers=draft_headers, status=400)
  webapp.get("/api/alertdraft/99999", headers=draft_headers, status=404)
  # The page's form too: a name too short is a 400 page naming the problem, never a 500.
  page = webapp.get("/drafts")
  form = page_form(page, f"/drafts/{draft.id}/publish")
  form["name"] = "abc"
  form["description"] = "Typed by the operator"
  refused = form.submit(status=400)
  # The drafts page again, the error next to the field, what was typed kept.
  errors = refused.html.select_one(f"#draft-{draft.id}-field-name-errors").get_text(" ", strip=True)
  assert "4" in errors
  assert refused.html.select_one(f"#draft-{draft.id}-field-name")["aria-invalid"] == "true"
  assert refused.html.select_one(f"#draft-{draft.id}-field-description").get_text() == "Typed by the operator"
  webapp.post("/drafts/99999/publish", {"csrf_token": operator()}, status=404)
  webapp.post("/drafts/abc/dismiss", {"csrf_token": operator()}, status=404)
  (unchanged,) = drafts(dbsession)
  assert unchanged.state is DraftState.OPEN and dbsession.scalars(select(Incident)).first() is None


def test_a_monitor_s_own_choice_wins_over_the_setting(
  hook, monitor, dbsession, webapp, operator, new_client, draft_headers
):
  chosen = monitor("dns-check", integration="dns")  # not covered by PM_ALERT_DRAFTS here
  refused = monitor("api")  # covered
  path = f"/api/alertdraft/monitor/{chosen.id}"
  assert webapp.get(path, headers=draft_headers).json == {
    "monitor": chosen.id,
    "choice": None,
    "opens_drafts": False,
  }
  # The operator chooses on the monitor's page.
  page = webapp.get(f"/monitor/{chosen.id}")
  assert "opens no draft incident" in page.html.select_one("#alertdrafts-monitor-state").get_text()
  form = page_form(page, f"/drafts/monitor/{chosen.id}")
  form["choice"] = "always"
  form.submit(status=303)
  assert webapp.get(path, headers=draft_headers).json == {
    "monitor": chosen.id,
    "choice": "always",
    "opens_drafts": True,
  }
  assert "alertdrafts-monitor" not in new_client().get(f"/monitor/{chosen.id}").text  # operators only
  # And through the API.
  answer = webapp.post_json(
    f"/api/alertdraft/monitor/{refused.id}", {"choice": "never"}, headers=draft_headers
  ).json
  assert answer == {"monitor": refused.id, "choice": "never", "opens_drafts": False}
  hook("firing", "dns-check", "api")
  (draft,) = drafts(dbsession)
  assert draft_monitors(dbsession, draft) == [(chosen.id, False)]
  # Cleared, the monitor follows the setting again; bad choices and monitors are refused.
  cleared = webapp.post_json(
    f"/api/alertdraft/monitor/{refused.id}", {"choice": None}, headers=draft_headers
  ).json
  assert cleared == {"monitor": refused.id, "choice": None, "opens_drafts": True}
  webapp.post_json(
    f"/api/alertdraft/monitor/{refused.id}", {"choice": "sometimes"}, headers=draft_headers, status=400
  )
  webapp.post(f"/drafts/monitor/{refused.id}", {"choice": "sometimes", "csrf_token": operator()}, status=400)
  webapp.post_json("/api/alertdraft/monitor/99999", {"choice": "never"}, headers=draft_headers, status=404)
  new_client().get(path, status=401)


def test_an_alert_racing_another_transaction_joins_the_draft_it_opened(hook, monitor, dbsession, monkeypatch):
  """Two alerts on one pair committed at once (two replicas): the second's look-up ran before the
  first committed, so it tries to open a draft too; the partial unique index refuses it, and the
  alert joins the draft the other opened instead of failing its status change."""
  from prodmanager_alertdrafts import proposals

  first, second = monitor("api"), monitor("db")
  hook("firing", "api")
  looked_up = []
  real = proposals.active_draft

  def stale_look_up(session, scope_id, service_id):
    looked_up.append((scope_id, service_id))
    return None if len(looked_up) == 1 else real(session, scope_id, service_id)

  monkeypatch.setattr(proposals, "active_draft", stale_look_up)
  hook("firing", "db")
  assert len(looked_up) == 2  # the stale look-up, then the one after the refused insert
  (draft,) = drafts(dbsession)
  assert draft_monitors(dbsession, draft) == [(first.id, False), (second.id, False)]
  dbsession.expire_all()
  assert dbsession.get(type(second), second.id).status.value == "alert"


def test_a_failing_draft_never_loses_the_status_change(hook, monitor, dbsession, monkeypatch, caplog):
  from prodmanager_alertdrafts import proposals

  row = monitor("api")

  def broken(*args, **kwargs):
    raise RuntimeError("the drafts table is unreachable")

  monkeypatch.setattr(proposals, "on_alert", broken)
  hook("firing", "api")
  dbsession.expire_all()
  assert dbsession.get(type(row), row.id).status.value == "alert" and drafts(dbsession) == []
  assert "could not be written" in caplog.text
