"""Push hooks (docs/integrations.md#push-hooks): Alertmanager and Grafana notifications, as their
documentation shows them, set the monitors named by their labels; idempotent, tolerant of unknown
monitors, refused without monitor_api, 400 on a malformed body."""

import pytest

from prodmanager.domain_events import DomainEvent, Subscriber
from prodmanager.state import app_state
from prodmanager_alerthooks.testing import ALERTMANAGER, GRAFANA, notification

HOOKS = {"alertmanager": ALERTMANAGER, "grafana": GRAFANA}


@pytest.fixture
def hook_token(make_token):
  return make_token(["monitor_api"])


@pytest.fixture
def post(webapp, hook_token):
  """``post("grafana", body)``: the hook's JSON answer (200 unless ``status`` says otherwise)."""

  def send(kind, body, status=200, headers=None, app=None):
    client = app or webapp
    return client.post_json(
      f"/api/hooks/{kind}", body, headers=hook_token if headers is None else headers, status=status
    ).json

  return send


def firing(reference, **labels):
  return ("firing", {"prodmanager_monitor": reference, **labels})


def resolved(reference, **labels):
  return ("resolved", {"prodmanager_monitor": reference, **labels})


@pytest.mark.parametrize("kind", sorted(HOOKS))
def test_firing_sets_alert_then_resolved_sets_ok(kind, post, make):
  monitor = make.monitor(name="API latency", external_reference="api-latency")
  answer = post(kind, notification(HOOKS[kind], firing("api-latency", severity="critical")))
  assert answer == {
    "updated": [
      {
        "id": monitor.id,
        "name": "API latency",
        "external_reference": "api-latency",
        "old": "ok",
        "new": "alert",
      }
    ],
    "unchanged": [],
    "unknown": [],
    "unlabelled": 0,
  }
  answer = post(kind, notification(HOOKS[kind], resolved("api-latency", severity="critical")))
  assert answer["updated"] == [
    {
      "id": monitor.id,
      "name": "API latency",
      "external_reference": "api-latency",
      "old": "alert",
      "new": "ok",
    }
  ]
  assert make.monitor_history() == [(monitor.id, "ok", "alert"), (monitor.id, "alert", "ok")]
  assert make.row(type(monitor), monitor.id).status.value == "ok"


@pytest.mark.parametrize(
  ("severity", "status"),
  [
    ("critical", "alert"),
    ("error", "alert"),
    ("CRITICAL", "alert"),
    ("page", "alert"),
    (None, "alert"),
    ("warning", "warning"),
    ("warn", "warning"),
    ("info", "warning"),
  ],
)
def test_severity_label_maps_firing_alerts(severity, status, post, make):
  monitor = make.monitor(external_reference="disk")
  labels = {} if severity is None else {"severity": severity}
  answer = post("alertmanager", notification(ALERTMANAGER, firing("disk", **labels)))
  assert [(entry["id"], entry["new"]) for entry in answer["updated"]] == [(monitor.id, status)]


def test_the_same_notification_twice_changes_nothing(post, make):
  monitor = make.monitor(external_reference="queue", status="ok")
  body = notification(GRAFANA, firing("queue", severity="warning"))
  first = post("grafana", body)
  second = post("grafana", body)
  assert [entry["new"] for entry in first["updated"]] == ["warning"]
  assert second["updated"] == []
  assert second["unchanged"] == [
    {"id": monitor.id, "name": "Monitor", "external_reference": "queue", "status": "warning"}
  ]
  assert make.monitor_history() == [(monitor.id, "ok", "warning")]  # one row for one real change


@pytest.fixture
def status_events(registry):
  """The monitor.status_changed events delivered during the test (after each request's commit)."""
  events = []
  subscriber = Subscriber("test-alerthooks", events.append, frozenset({"monitor.status_changed"}))
  app_state(registry).subscribers.add(subscriber)
  yield events
  app_state(registry).subscribers.remove(subscriber)


def test_a_change_emits_monitor_status_changed_once(post, make, status_events):
  monitor = make.monitor(external_reference="cache")
  body = notification(ALERTMANAGER, firing("cache", severity="error"))
  post("alertmanager", body)
  post("alertmanager", body)
  assert [(event.name, event.id, event.data["old"], event.data["new"]) for event in status_events] == [
    ("monitor.status_changed", monitor.id, "ok", "alert")
  ]
  assert all(isinstance(event, DomainEvent) for event in status_events)


def test_a_monitor_takes_the_worst_status_of_its_alerts(post, make):
  monitor = make.monitor(external_reference="db")
  body = notification(
    ALERTMANAGER, firing("db", severity="warning"), firing("db", severity="critical"), resolved("db")
  )
  answer = post("alertmanager", body)
  assert [(entry["id"], entry["new"]) for entry in answer["updated"]] == [(monitor.id, "alert")]
  # The warning alone still fires once the critical one resolved.
  answer = post("alertmanager", notification(ALERTMANAGER, firing("db", severity="warning"), resolved("db")))
  assert [(entry["old"], entry["new"]) for entry in answer["updated"]] == [("alert", "warning")]


def test_every_monitor_with_the_reference_and_unknown_references_reported(post, make):
  first = make.monitor(name="Paris web", external_reference="web")
  second = make.monitor(name="Lyon web", external_reference="web")
  other = make.monitor(name="Mail", external_reference="mail", status="alert")
  body = notification(
    GRAFANA, firing("web"), firing("mail"), firing("nowhere"), ("firing", {"alertname": "no label"})
  )
  answer = post("grafana", body)
  assert sorted(entry["id"] for entry in answer["updated"]) == [first.id, second.id]
  assert [entry["id"] for entry in answer["unchanged"]] == [other.id]
  assert answer["unknown"] == ["nowhere"]
  assert answer["unlabelled"] == 1
  assert make.row(type(other), other.id).status.value == "alert"


def test_only_unknown_monitors_is_a_200_writing_nothing(post, make):
  answer = post("alertmanager", notification(ALERTMANAGER, firing("ghost"), resolved("phantom")))
  assert answer == {"updated": [], "unchanged": [], "unknown": ["ghost", "phantom"], "unlabelled": 0}
  assert make.monitor_history() == []


def test_labels_named_by_the_settings(build_app, make_token, post, make):
  app = build_app(**{"alerthooks.monitor_label": "alertname", "alerthooks.severity_label": "level"})
  monitor = make.monitor(external_reference="HighLatency")
  body = notification(
    ALERTMANAGER, ("firing", {"alertname": "HighLatency", "level": "warning", "severity": "critical"})
  )
  answer = post("alertmanager", body, app=app)
  assert [(entry["id"], entry["new"]) for entry in answer["updated"]] == [(monitor.id, "warning")]


def test_bad_label_setting_stops_startup(build_app):
  with pytest.raises(Exception, match="PM_ALERTHOOKS_MONITOR_LABEL|alerthooks.monitor_label"):
    build_app(**{"alerthooks.monitor_label": "9 bad"})


@pytest.mark.parametrize("kind", sorted(HOOKS))
def test_no_token_401_and_token_without_monitor_api_403(kind, post, make, make_token):
  monitor = make.monitor(external_reference="api")
  body = notification(HOOKS[kind], firing("api"))
  assert post(kind, body, status=401, headers={})["message"]
  denied = post(kind, body, status=403, headers=make_token(["scope_api", "incident_api"]))
  assert "monitor_api" in str(denied["reasons"])
  assert make.row(type(monitor), monitor.id).status.value == "ok"
  assert make.monitor_history() == []


@pytest.mark.parametrize("kind", sorted(HOOKS))
@pytest.mark.parametrize(
  "body",
  [
    {},
    {"alerts": "none"},
    {"alerts": [{"labels": {"prodmanager_monitor": "api"}}]},
    {"alerts": [{"status": "pending", "labels": {"prodmanager_monitor": "api"}}]},
    {"alerts": [{"status": "firing", "labels": {"prodmanager_monitor": 3}}]},
    [],
  ],
  ids=[
    "no alerts",
    "alerts not a list",
    "no status",
    "unknown status",
    "label not a string",
    "not an object",
  ],
)
def test_malformed_notification_400(kind, body, post, make):
  monitor = make.monitor(external_reference="api")
  answer = post(kind, body, status=400)
  # The reason names the part of the payload at fault.
  assert list(answer["reasons"]) == (["body"] if isinstance(body, list) else ["alerts"])
  assert make.row(type(monitor), monitor.id).status.value == "ok"


def test_not_json_400(webapp, hook_token):
  response = webapp.post(
    "/api/hooks/alertmanager",
    "alerts=1",
    headers={**hook_token, "Content-Type": "application/json"},
    status=400,
  )
  assert response.json["reasons"] == {"body": ["the body is not valid application/json"]}


def test_hooks_documented_in_the_openapi_document(webapp):
  document = webapp.get("/api/openapi.json").json
  for kind, schema in (("alertmanager", "AlertmanagerNotification"), ("grafana", "GrafanaNotification")):
    operation = document["paths"][f"/api/hooks/{kind}"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{schema}"}
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
  alert = document["components"]["schemas"]["AlertmanagerAlert"]
  assert alert["properties"]["status"]["enum"] == ["firing", "resolved"]
