"""The whole journey of a reader, through a real SMTP server: subscribe, confirmation mail,
confirm, an incident created through the API, its mail, one-click unsubscribe, no more mail."""

import re

from prodmanager.testing import page_form
from prodmanager_notification.models import Delivery, DeliveryStatus, Subscriber

PUBLIC_URL = "http://localhost"


def link(text: str, path: str) -> str:
  match = re.search(re.escape(PUBLIC_URL) + re.escape(path) + r"[A-Za-z0-9_.\-]+", text)
  assert match, f"no {path} link in:\n{text}"
  return match.group(0)[len(PUBLIC_URL) :]


def subscribe(webapp, email: str, **fields):
  form = page_form(webapp.get("/notification"), "/notification/suscribe")
  form["email"] = email
  for name, values in fields.items():
    for field in form.fields.get(name, []):
      field.checked = field._value in [str(value) for value in values]
  return form.submit(status=303)


def confirm(webapp, smtp, deliver) -> str:
  """Deliver the confirmation mail, follow its link, press the button; the manage page's path."""
  deliver()
  (mail,) = smtp.take()
  page = webapp.get(link(mail.text, "/notification/confirm/"))
  answer = page_form(page, "").submit(status=303)
  return answer.location


def test_subscribe_confirm_notify_unsubscribe(webapp, new_client, token_headers, world, smtp, deliver, make):
  answer = subscribe(webapp, "Reader@Example.com")
  assert answer.location.endswith("/notification")
  assert "Check your mailbox" in answer.follow().text
  assert make.count(Subscriber) == 0  # nothing before the confirmation

  deliver()
  (mail,) = smtp.take()
  assert mail.rcpt_tos == ["reader@example.com"]
  assert mail.subject == "[ProdManager] Confirm your subscription"
  assert "List-Unsubscribe" not in mail.message  # not a notification yet
  confirm_path = link(mail.text, "/notification/confirm/")
  assert link(mail.html, "/notification/confirm/") == confirm_path
  page = webapp.get(confirm_path)  # following the link confirms nothing by itself
  assert make.count(Subscriber) == 0
  manage = page_form(page, "").submit(status=303)
  (row,) = make.table(Subscriber)
  assert row.email == "reader@example.com" and row.confirmed_at is not None and row.all_events
  assert manage.location.endswith(f"/notification/manage/{row.token}")
  assert "Subscription confirmed" in manage.follow().text

  created = webapp.post_json(
    "/api/incident",
    {"name": "Database down", "severity": "critical", "scope": world.paris.id, "service": world.compute.id,
     "description": "Timeouts on **writes**"},
    headers=token_headers,
    status=201,
  ).json  # fmt: skip
  report = deliver()
  assert len(report.sent) == 1
  (mail,) = smtp.take()
  assert mail.rcpt_tos == ["reader@example.com"]
  assert mail.message["To"] == "reader@example.com" and "Bcc" not in mail.message
  assert mail.message["From"] == "Status page <status@example.com>"
  assert mail.subject == "[ProdManager] Database down - New incident"
  assert "Database down" in mail.text and "Critical" in mail.text
  assert "<strong>writes</strong>" in mail.html
  assert f"{PUBLIC_URL}/incident/{created['id']}" in mail.text
  assert f'href="{PUBLIC_URL}/incident/{created["id"]}"' in mail.html
  unsubscribe_url = f"{PUBLIC_URL}/notification/unsubscribe/{row.token}"
  assert mail.message["List-Unsubscribe"] == f"<{unsubscribe_url}>"
  assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
  assert unsubscribe_url in mail.text and unsubscribe_url in mail.html

  # RFC 8058: the mail client POSTs without cookies (so without a CSRF token).
  mail_client = new_client()
  answer = mail_client.post(
    unsubscribe_url[len(PUBLIC_URL) :],
    "List-Unsubscribe=One-Click",
    content_type="application/x-www-form-urlencoded",
  )
  assert answer.status_int == 200 and "receives no more notifications" in answer.text
  assert make.count(Subscriber) == 0

  webapp.patch_json(f"/api/incident/{created['id']}", {"status": "stable"}, headers=token_headers)
  webapp.post(f"/api/incident/{created['id']}/comment", {"comment": "Fixed"}, headers=token_headers)
  deliver()
  assert smtp.take() == []


def test_a_pending_notification_of_an_unsubscribed_reader_is_cancelled(
  webapp, new_client, token_headers, world, smtp, deliver, make
):
  reader = make.subscriber("late@example.com")
  webapp.post_json(
    "/api/incident",
    {"name": "Slow", "severity": "low", "scope": world.paris.id, "service": world.compute.id},
    headers=token_headers,
    status=201,
  )
  new_client().post(f"/notification/unsubscribe/{reader.token}", "List-Unsubscribe=One-Click")
  report = deliver()
  assert report.sent == [] and len(report.cancelled) == 1
  assert smtp.take() == []
  (delivery,) = make.table(Delivery)
  assert delivery.status is DeliveryStatus.CANCELLED and "deleted" in delivery.last_error
