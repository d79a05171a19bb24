"""Webhook subscribers: the API (notification_api), the signed JSON payload checked by a local
receiver, the Slack, Teams and Discord formats, monitor changes, failures and retries."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from prodmanager_notification.models import Delivery, DeliveryStatus, Subscriber


class Receiver:
  """A local HTTP server that records every POST (headers and raw body) and answers ``status``."""

  def __init__(self):
    self.requests: list[dict] = []
    self.status = 200
    receiver = self

    class Handler(BaseHTTPRequestHandler):
      def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver.requests.append(
          {"path": self.path, "headers": self.headers, "body": body}
        )  # case-insensitive
        self.send_response(receiver.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

      def log_message(self, *args):
        pass

    self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
    self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
    self.thread.start()

  def close(self):
    self.server.shutdown()
    self.server.server_close()


@pytest.fixture
def receiver():
  server = Receiver()
  yield server
  server.close()


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
  """What docs/notifications.md tells a receiver to do, written independently of the plugin."""
  fields = dict(item.split("=", 1) for item in header.split(","))
  timestamp = int(fields["t"])
  if abs(time.time() - timestamp) > tolerance:
    return False
  expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
  return hmac.compare_digest(expected, fields["v1"])


def notification_headers(make_token):
  return make_token(["notification_api"], name="webhooks", description="the webhook tests")


def new_incident(webapp, token_headers, world, **values):
  body = {
    "name": "Database down",
    "severity": "high",
    "scope": world.paris.id,
    "service": world.compute.id,
    **values,
  }
  return webapp.post_json("/api/incident", body, headers=token_headers, status=201).json


def test_the_api_needs_the_notification_permission(webapp, make_token, receiver):
  body = {"name": "Ops channel", "url": receiver.url + "/hook"}
  webapp.post_json("/api/notification/webhook", body, status=401)
  other = make_token(["incident_api"], name="incidents", description="no notification rights")
  answer = webapp.post_json("/api/notification/webhook", body, headers=other, status=403)
  assert "notification_api" in json.dumps(answer.json)
  created = webapp.post_json(
    "/api/notification/webhook", body, headers=notification_headers(make_token), status=201
  )
  assert created.json["flavour"] == "json" and len(created.json["secret"]) >= 32
  assert created.location.endswith(f"/api/notification/webhook/{created.json['id']}")


def test_webhook_crud_and_validation(webapp, make_token, receiver, world):
  headers = notification_headers(make_token)
  created = webapp.post_json(
    "/api/notification/webhook",
    {
      "name": "Chat",
      "url": receiver.url,
      "flavour": "slack",
      "secret": "s3cret",
      "kinds": ["incident"],
      "scopes": [world.paris.id],
    },
    headers=headers,
    status=201,
  ).json
  ident = created["id"]
  assert (created["kinds"], created["scopes"], created["secret"]) == (
    ["incident"],
    [world.paris.id],
    "s3cret",
  )
  assert [hook["id"] for hook in webapp.get("/api/notification/webhook", headers=headers).json] == [ident]
  patched = webapp.patch_json(f"/api/notification/webhook/{ident}", {"kinds": []}, headers=headers).json
  assert patched["kinds"] == [] and patched["scopes"] == [world.paris.id] and patched["flavour"] == "slack"
  bad = webapp.post_json(
    "/api/notification/webhook",
    {"name": "x", "url": "ftp://example.com", "scopes": [999999]},
    headers=headers,
    status=400,
  ).json
  assert set(bad["reasons"]) == {"url", "scopes"}
  webapp.post_json(
    "/api/notification/webhook",
    {"name": "x", "url": receiver.url, "flavour": "irc"},
    headers=headers,
    status=400,
  )
  webapp.delete(f"/api/notification/webhook/{ident}", headers=headers, status=204)
  webapp.get(f"/api/notification/webhook/{ident}", headers=headers, status=404)


def test_json_webhooks_are_signed_and_documented(
  webapp, token_headers, make_token, receiver, world, deliver, make
):
  make.webhook(receiver.url + "/status", secret="shared-secret")
  created = new_incident(webapp, token_headers, world)
  webapp.patch_json(f"/api/incident/{created['id']}", {"status": "investigating"}, headers=token_headers)
  report = deliver()
  assert len(report.sent) == 2
  first, second = receiver.requests
  assert first["path"] == "/status" and first["headers"]["Content-Type"] == "application/json"
  assert verify_signature("shared-secret", first["headers"]["X-ProdManager-Signature"], first["body"])
  assert not verify_signature("another-secret", first["headers"]["X-ProdManager-Signature"], first["body"])
  assert not verify_signature(
    "shared-secret", first["headers"]["X-ProdManager-Signature"], first["body"] + b" "
  )
  payload = json.loads(first["body"])
  assert (
    payload["event"] == "incident.created" and first["headers"]["X-ProdManager-Event"] == "incident.created"
  )
  assert payload["incident"]["id"] == created["id"] and payload["incident"]["name"] == "Database down"
  assert payload["incident"]["url"] == f"http://localhost/incident/{created['id']}"
  assert payload["incident"]["scope"] == {"id": world.paris.id, "name": "Paris DC"}
  assert json.loads(second["body"])["changes"] == {"status": ["active", "investigating"]}
  assert first["headers"]["X-ProdManager-Delivery"] != second["headers"]["X-ProdManager-Delivery"]
  document = webapp.get("/api/openapi.json").json
  assert document["webhooks"]["notification"]["post"]["requestBody"]["content"]["application/json"][
    "schema"
  ] == {"$ref": "#/components/schemas/NotificationPayload"}
  assert "X-ProdManager-Signature" in document["components"]["schemas"]["NotificationPayload"]["description"]


@pytest.mark.parametrize("flavour", ["slack", "teams", "discord"])
def test_chat_formats(webapp, token_headers, receiver, world, deliver, make, flavour):
  make.webhook(receiver.url, flavour=flavour)
  created = new_incident(webapp, token_headers, world, name="API <errors> @everyone")
  deliver()
  (request,) = receiver.requests
  assert "X-ProdManager-Signature" not in request["headers"]
  body = json.loads(request["body"])
  url = f"http://localhost/incident/{created['id']}"
  if flavour == "slack":
    assert body["text"] == "New incident: API <errors> @everyone"
    (block,) = body["blocks"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    assert f"<{url}|API &lt;errors&gt; @everyone>" in block["text"]["text"]
  elif flavour == "teams":
    (attachment,) = body["attachments"]
    assert (
      body["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    )
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["actions"][0]["url"] == url
    assert any(block["text"] == "API <errors> @everyone" for block in card["body"])
  else:
    assert body["allowed_mentions"] == {"parse": []}  # no @everyone ping from an incident's name
    (embed,) = body["embeds"]
    assert embed["url"] == url and embed["title"] == "API <errors> @everyone"


def test_monitor_changes_go_to_webhooks_not_to_mail(
  webapp, token_headers, receiver, world, smtp, deliver, make
):
  make.webhook(receiver.url)
  make.subscriber("reader@example.com")
  monitor = webapp.post_json(
    "/api/monitor",
    {"name": "API probe", "scope": world.paris.id, "service": world.compute.id},
    headers=token_headers,
    status=201,
  ).json
  webapp.patch_json(f"/api/monitor/{monitor['id']}", {"status": "alert"}, headers=token_headers)
  deliver()
  (request,) = receiver.requests
  payload = json.loads(request["body"])
  assert payload["event"] == "monitor.status_changed" and payload["changes"] == {"status": ["ok", "alert"]}
  assert payload["monitor"]["name"] == "API probe"
  assert smtp.take() == []


def test_webhook_filters(webapp, token_headers, receiver, world, deliver, make):
  make.webhook(receiver.url + "/lyon", scopes=[world.lyon])
  make.webhook(receiver.url + "/maintenance", kinds=["maintenance"])
  make.webhook(receiver.url + "/all")
  new_incident(webapp, token_headers, world)
  deliver()
  assert [request["path"] for request in receiver.requests] == ["/all"]


def test_a_failing_webhook_is_retried_then_a_refusing_one_fails(
  webapp, token_headers, receiver, world, deliver, make
):
  make.webhook(receiver.url)
  new_incident(webapp, token_headers, world)
  receiver.status = 503
  report = deliver()
  (delivery,) = make.table(Delivery)
  assert report.retried == [delivery.id] and "HTTP 503" in make.row(Delivery, delivery.id).last_error
  receiver.status = 404
  import datetime as dt

  from prodmanager.db import utcnow

  report = deliver(now=utcnow() + dt.timedelta(hours=1))
  row = make.row(Delivery, delivery.id)
  assert (
    report.failed == [delivery.id] and row.status is DeliveryStatus.FAILED and "HTTP 404" in row.last_error
  )


def test_deliveries_api_lists_failures_and_retries_them(
  webapp, token_headers, make_token, receiver, world, deliver, make
):
  headers = notification_headers(make_token)
  make.webhook(receiver.url)
  new_incident(webapp, token_headers, world)
  receiver.status = 410
  deliver()
  page = webapp.get("/api/notification/delivery?status=failed", headers=headers).json
  (item,) = page["items"]
  assert page["total"] == 1 and item["status"] == "failed" and "HTTP 410" in item["last_error"]
  assert item["event"] == "incident.created" and item["channel"] == "webhook"
  receiver.status = 200
  retried = webapp.post(f"/api/notification/delivery/{item['id']}/retry", headers=headers).json
  assert retried["status"] == "pending" and retried["attempts"] == 0
  assert deliver().sent == [item["id"]]
  webapp.post(f"/api/notification/delivery/{item['id']}/retry", headers=headers, status=409)
  webapp.get("/api/notification/delivery?status=nope", headers=headers, status=400)


def test_email_subscribers_api(webapp, make_token, make):
  headers = notification_headers(make_token)
  reader = make.subscriber("reader@example.com")
  (listed,) = webapp.get("/api/notification/subscriber", headers=headers).json
  assert listed["email"] == "reader@example.com" and listed["confirmed_at"]
  webapp.delete(f"/api/notification/subscriber/{reader.id}", headers=headers, status=204)
  assert make.count(Subscriber) == 0
