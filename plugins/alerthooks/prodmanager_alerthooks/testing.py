"""Test data of the alerthooks plugin: notifications as their senders document them, with labels set by the tests.

ALERTMANAGER: the webhook_config payload of version 4 (prometheus.io/docs/alerting/latest/
configuration/#webhook_config), with values as a running Alertmanager fills them in. GRAFANA: the
example payload of Grafana's webhook contact point documentation (unified alerting).
"""

import copy

ALERTMANAGER = {
  "version": "4",
  "groupKey": '{}:{alertname="HighLatency"}',
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "prodmanager",
  "groupLabels": {"alertname": "HighLatency"},
  "commonLabels": {"alertname": "HighLatency", "job": "api"},
  "commonAnnotations": {"summary": "High request latency"},
  "externalURL": "http://alertmanager.example.com:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "HighLatency", "job": "api", "instance": "api-1:9100"},
      "annotations": {"summary": "High request latency", "description": "p99 above 1s for 10m"},
      "startsAt": "2026-12-01T09:51:03.157Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=latency%3E1",
      "fingerprint": "c6eadffa33fcdf37",
    }
  ],
}

GRAFANA = {
  "receiver": "My Super Webhook",
  "status": "firing",
  "orgId": 1,
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
      "annotations": {
        "description": "The system has high memory usage",
        "runbook_url": "https://myrunbook.com/runbook/1234",
        "summary": "This alert was triggered for zone us-1",
      },
      "startsAt": "2021-10-12T09:51:03.157076+02:00",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
      "fingerprint": "c6eadffa33fcdf37",
      "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
      "dashboardURL": "",
      "panelURL": "",
      "values": {"B": 44.23943737541908, "C": 1},
    },
    {
      "status": "firing",
      "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
      "annotations": {
        "description": "The system has high CPU usage",
        "runbook_url": "https://myrunbook.com/runbook/1234",
        "summary": "This alert was triggered for zone eu-1",
      },
      "startsAt": "2021-10-12T09:56:03.157076+02:00",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
      "fingerprint": "bc97ff14869b13e3",
      "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1",
      "dashboardURL": "",
      "panelURL": "",
      "values": {"B": 44.23943737541908, "C": 1},
    },
  ],
  "groupLabels": {},
  "commonLabels": {"team": "blue"},
  "commonAnnotations": {},
  "externalURL": "https://play.grafana.org/",
  "version": "1",
  "groupKey": "{}:{}",
  "truncatedAlerts": 0,
  "title": "[FIRING:2]  (blue)",
  "state": "alerting",
  "message": "**Firing**\n\nLabels:\n - alertname = T2\n - team = blue\n - zone = us-1\n",
}


def notification(document: dict, *alerts: tuple[str, dict]) -> dict:
  """``document`` with its alerts' statuses and extra labels replaced: ``("firing", {"severity":
  "critical"})`` per alert, applied to the document's alerts in turn (the last one repeated)."""
  body = copy.deepcopy(document)
  templates = body["alerts"]
  body["alerts"] = []
  for index, (status, labels) in enumerate(alerts):
    alert = copy.deepcopy(templates[min(index, len(templates) - 1)])
    alert["status"] = status
    alert["labels"].update(labels)
    if status == "resolved":
      alert["endsAt"] = "2026-12-01T10:21:03.157Z"
    body["alerts"].append(alert)
  body["status"] = "firing" if any(status == "firing" for status, _ in alerts) else "resolved"
  return body
