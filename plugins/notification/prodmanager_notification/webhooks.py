"""Webhooks: ProdManager's signed JSON payload, or a chat's incoming-webhook format (Slack, Microsoft
Teams, Discord), POSTed through the same outbox as mails (docs/notifications.md#webhooks-and-chat).

The JSON flavour is signed: ``X-ProdManager-Signature: t=<unix time>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the subscriber's secret over ``<t>.<raw body>``. A receiver recomputes it over the
bytes it received, compares in constant time, refuses a ``t`` more than five minutes away from its
clock (a replayed request) and may remember ``X-ProdManager-Delivery`` (the same delivery is never
sent twice once it succeeded, but a worker that dies between sending and recording may resend it).
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from prodmanager.version import __version__

from .mail import PermanentFailure, TemporaryFailure, translator
from .models import Flavour

SIGNATURE_HEADER = "X-ProdManager-Signature"
# Colours of the chat cards by kind of news: red for incidents, blue for maintenances...
COLOURS = {"incident": 0xCF222E, "maintenance": 0x0969DA, "announcement": 0x8250DF, "monitor": 0xBF8700}
OBJECT_FIELDS = (
  "id", "name", "description", "status", "severity", "level", "service_status", "comment",
  "start_impact_date", "resolve_date", "scheduled_start_date", "scheduled_end_date", "start_date",
  "end_date", "external_link",
)  # fmt: skip


def sign(secret: str, timestamp: int, body: bytes) -> str:
  """The value of ``X-ProdManager-Signature`` for ``body`` sent at ``timestamp``."""
  digest = hmac.new(
    secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256
  ).hexdigest()
  return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = 300) -> bool:
  """What a receiver does (also used by the tests): the signature matches and is recent."""
  try:
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
  except (KeyError, ValueError):
    return False
  now = time.time() if now is None else now
  if abs(now - timestamp) > tolerance:
    return False
  return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={fields.get('v1', '')}")


def payload(snapshot: dict, message_id: int, created_at: str, site_name: str) -> dict:
  """The JSON flavour's body (the ``NotificationPayload`` schema of the OpenAPI document)."""
  kind = snapshot["kind"]
  obj = {key: snapshot[key] for key in OBJECT_FIELDS if key in snapshot}
  obj.update(
    type=kind,
    scope=snapshot["scope"],
    service=snapshot["service"],
    url=snapshot["base_url"] + snapshot["path"],
  )
  body = {
    "event": snapshot["event"],
    "message_id": message_id,
    "created_at": created_at,
    "site": {"name": site_name, "url": snapshot["base_url"]},
    kind: obj,
  }
  if "old_status" in snapshot:
    body["changes"] = {"status": [snapshot["old_status"], snapshot["new_status"]]}
  return body


def headline(registry, snapshot: dict) -> tuple[str, str]:
  """``("New incident", "Database down")`` in the instance language, and the status line."""
  _ = translator(registry)
  label = _(snapshot["label"])
  kind = snapshot["kind"]
  status_key = {
    "incident": "incident_status",
    "maintenance": "maintenance_status",
    "monitor": "monitor_status",
  }.get(kind)
  details = [f"{snapshot['scope']['name']} · {snapshot['service']['name']}"]
  if status_key and snapshot.get("status"):
    status = _(f"{status_key}.{snapshot['status']}")
    if snapshot.get("old_status"):
      status = (
        f"{_(status_key + '.' + snapshot['old_status'])} → {_(status_key + '.' + snapshot['new_status'])}"
      )
    details.insert(0, f"{_('fields.status')}: {status}")
  return label, " — ".join(details)


def slack_escape(text: str) -> str:
  return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_body(registry, flavour: Flavour, snapshot: dict) -> dict:
  """A chat's incoming-webhook body: Slack (text + blocks), Teams (an Adaptive Card message, as
  Teams workflows take), Discord (an embed, no mentions)."""
  label, details = headline(registry, snapshot)
  name = snapshot["name"]
  url = snapshot["base_url"] + snapshot["path"]
  text = snapshot.get("comment") or ""
  colour = COLOURS.get(snapshot["kind"], 0x57606A)
  if flavour is Flavour.SLACK:
    summary = f"{label}: <{url}|{slack_escape(name)}>"
    lines = [f"*{summary}*", slack_escape(details)] + ([slack_escape(text)] if text else [])
    return {
      "text": f"{label}: {name}",
      "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
    }
  if flavour is Flavour.TEAMS:
    blocks = [
      {"type": "TextBlock", "text": label, "weight": "Bolder", "size": "Small", "isSubtle": True},
      {"type": "TextBlock", "text": name, "weight": "Bolder", "size": "Large", "wrap": True},
      {"type": "TextBlock", "text": details, "wrap": True},
    ]
    if text:
      blocks.append({"type": "TextBlock", "text": text, "wrap": True})
    return {
      "type": "message",
      "attachments": [
        {
          "contentType": "application/vnd.microsoft.card.adaptive",
          "contentUrl": None,
          "content": {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": blocks,
            "actions": [{"type": "Action.OpenUrl", "title": label, "url": url}],
          },
        }
      ],
    }
  # Discord
  description = "\n\n".join(filter(None, [details, text]))[:4096]
  return {
    "content": f"{label}: {name}"[:2000],
    "allowed_mentions": {"parse": []},
    "embeds": [{"title": name[:256], "url": url, "description": description, "color": colour}],
  }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
  def redirect_request(self, req, fp, code, msg, headers, newurl):
    raise PermanentFailure(f"the webhook answered {code} (redirects are not followed): {newurl}")


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict, timeout: int) -> int:
  """POST the body; the status of a 2xx answer, else the failure to retry or not."""
  request = urllib.request.Request(url, data=body, method="POST", headers=headers)
  try:
    with _opener.open(request, timeout=timeout) as response:
      response.read(65536)
      return response.status
  except urllib.error.HTTPError as error:
    code = error.code
    text = error.read(500).decode("utf-8", "replace").strip()
    detail = f"HTTP {code}{': ' + text if text else ''}"
    # 408, 425 and 429 ask to come back later; other 4xx will not change by themselves.
    if 400 <= code < 500 and code not in (408, 425, 429):
      raise PermanentFailure(detail) from None
    raise TemporaryFailure(detail) from None
  except PermanentFailure:
    raise
  except (OSError, ValueError) as error:
    raise TemporaryFailure(f"webhook unreachable: {getattr(error, 'reason', error)}") from None


def send(registry, subscriber, delivery_id: int, message, snapshot: dict, timeout: int) -> None:
  site = registry.settings["prodmanager.site_name"] or translator(registry)("app.name")
  headers = {
    "Content-Type": "application/json",
    "User-Agent": f"ProdManager/{__version__} (+{snapshot['base_url']})",
    "X-ProdManager-Event": snapshot["event"],
    "X-ProdManager-Delivery": str(delivery_id),
  }
  flavour = subscriber.flavour or Flavour.JSON
  if flavour is Flavour.JSON:
    created = message.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    body = json.dumps(payload(snapshot, message.id, created, site), separators=(",", ":")).encode("utf-8")
    headers[SIGNATURE_HEADER] = sign(subscriber.secret or "", int(time.time()), body)
  else:
    body = json.dumps(chat_body(registry, flavour, snapshot)).encode("utf-8")
  post(subscriber.url, body, headers, timeout)
