"""What sends a notification (docs/notifications.md#what-sends-a-notification), to whom (filters, follows), and what it says."""

import datetime as dt

import pytest

from prodmanager.commands import CommandContext
from prodmanager.domain_events import emit
from prodmanager_notification.models import Delivery, Message


def incident(webapp, headers, world, scope=None, service=None, **values):
  body = {"name": "Database down", "severity": "high", "scope": (scope or world.paris).id,
          "service": (service or world.compute).id, **values}  # fmt: skip
  return webapp.post_json("/api/incident", body, headers=headers, status=201).json


def subjects(smtp) -> dict[str, list[str]]:
  found = {}
  for mail in smtp.take():
    for rcpt in mail.rcpt_tos:
      found.setdefault(rcpt, []).append(mail.subject)
  return found


def test_incident_triggers_and_labels(webapp, token_headers, world, smtp, deliver, make):
  make.subscriber("all@example.com")
  created = incident(webapp, token_headers, world)
  webapp.patch_json(f"/api/incident/{created['id']}", {"status": "investigating"}, headers=token_headers)
  webapp.post(f"/api/incident/{created['id']}/comment", {"comment": "We are on it"}, headers=token_headers)
  deliver()
  mails = smtp.take()
  assert [mail.subject for mail in mails] == [
    "[ProdManager] Database down - New incident",
    "[ProdManager] Database down - Updated incident",
    "[ProdManager] Database down - Updated incident",
  ]
  assert "Investigating" in mails[1].text and "was Active" in mails[1].text
  assert "We are on it" in mails[2].text and "We are on it" in mails[2].html


def test_a_status_posted_with_its_message_sends_one_notification(
  webapp, token_headers, world, smtp, deliver, make
):
  make.subscriber("all@example.com")
  created = incident(webapp, token_headers, world)
  deliver()
  smtp.take()
  webapp.post(
    f"/api/incident/{created['id']}/comment",
    {"comment": "Failover in progress", "status": "investigating"},
    headers=token_headers,
  )
  deliver()
  mails = smtp.take()
  assert [mail.subject for mail in mails] == ["[ProdManager] Database down - Updated incident"]
  assert "Failover in progress" in mails[0].text
  assert "Investigating" in mails[0].text and "was Active" in mails[0].text
  # An internal message with a public status change: the change is told, the message is not.
  webapp.post(
    f"/api/incident/{created['id']}/comment",
    {"comment": "root cause: disk", "status": "stable", "internal": "true"},
    headers=token_headers,
  )
  deliver()
  mails = smtp.take()
  assert [mail.subject for mail in mails] == ["[ProdManager] Database down - Updated incident"]
  assert "root cause" not in mails[0].text and "Stable" in mails[0].text


def test_internal_comments_and_updates_without_a_status_change_send_nothing(
  webapp, token_headers, world, smtp, deliver, make
):
  make.subscriber("all@example.com")
  created = incident(webapp, token_headers, world)
  deliver()
  smtp.take()
  webapp.post(
    f"/api/incident/{created['id']}/comment", {"comment": "secret", "internal": "true"}, headers=token_headers
  )
  webapp.patch_json(
    f"/api/incident/{created['id']}", {"name": "Database down"}, headers=token_headers
  )  # nothing changes
  webapp.patch_json(f"/api/incident/{created['id']}", {"description": "more words"}, headers=token_headers)
  assert make.count(Message) == 1
  deliver()
  assert smtp.take() == []


def test_filters_by_kind_scope_and_service(webapp, token_headers, world, smtp, deliver, make):
  make.subscriber("everything@example.com")
  make.subscriber("paris@example.com", scopes=[world.paris])
  make.subscriber("network@example.com", services=[world.network])
  make.subscriber("maintenances@example.com", kinds=["maintenance"])
  make.subscriber("unconfirmed@example.com", confirmed=False)
  incident(webapp, token_headers, world, scope=world.lyon, service=world.network)
  deliver()
  assert set(subjects(smtp)) == {"everything@example.com", "network@example.com"}
  incident(webapp, token_headers, world, scope=world.paris, service=world.compute)
  deliver()
  assert set(subjects(smtp)) == {"everything@example.com", "paris@example.com"}


def test_maintenance_mails_carry_the_calendar(webapp, token_headers, world, smtp, deliver, make):
  make.subscriber("ops@example.com", kinds=["maintenance"])
  start = dt.datetime(2030, 1, 10, 22, 0, tzinfo=dt.UTC)
  body = {
    "name": "Storage upgrade", "scope": world.paris.id, "service": world.compute.id, "service_status": "down",
    "scheduled_start_date": start.strftime("%Y-%m-%dT%H:%M"),
    "scheduled_end_date": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
  }  # fmt: skip
  created = webapp.post_json("/api/maintenance", body, headers=token_headers, status=201).json
  webapp.patch_json(f"/api/maintenance/{created['id']}", {"status": "in-progress"}, headers=token_headers)
  deliver()
  scheduled, updated = smtp.take()
  assert scheduled.subject == "[ProdManager] Storage upgrade - Scheduled maintenance"
  assert updated.subject == "[ProdManager] Storage upgrade - Updated maintenance"
  (attachment,) = scheduled.attachments()
  assert attachment.get_content_type() == "text/calendar"
  assert attachment.get_filename() == "Storage-upgrade.ics"
  ics = attachment.get_content()
  ics = ics.decode() if isinstance(ics, bytes) else ics
  assert (
    "BEGIN:VEVENT" in ics and "DTSTART:20300110T220000Z" in ics and f"UID:maintenance-{created['id']}@" in ics
  )
  assert "2030-01-10 22:00 (UTC)" in scheduled.text


def test_announcements_notify_their_creation(webapp, token_headers, world, smtp, deliver, make):
  make.subscriber("news@example.com", kinds=["announcement"])
  make.subscriber("incidents@example.com", kinds=["incident"])
  body = {"name": "API v1 retires", "level": "medium", "scope": world.paris.id, "service": world.compute.id,
          "start_date": "2030-01-01T00:00", "end_date": "2030-02-01T00:00", "description": "Use **v2**"}  # fmt: skip
  webapp.post_json("/api/announcement", body, headers=token_headers, status=201)
  deliver()
  (mail,) = smtp.take()
  assert mail.rcpt_tos == ["news@example.com"]
  assert mail.subject == "[ProdManager] API v1 retires - New announcement"
  assert "<strong>v2</strong>" in mail.html


def test_the_web_ui_notifies_like_the_api(webapp, operator, world, smtp, deliver, make):
  make.subscriber("all@example.com")
  page = webapp.get("/incident/create")
  form = next(form for form in page.forms.values() if form.action != "/logout")
  form["name"] = "Seen from the form"
  form["severity"] = "high"
  form["scope"] = str(world.paris.id)
  form["service"] = str(world.compute.id)
  form.submit(status=303)
  deliver()
  assert [mail.subject for mail in smtp.take()] == ["[ProdManager] Seen from the form - New incident"]


def test_markdown_is_sanitised_in_mails(webapp, token_headers, world, smtp, deliver, make):
  make.subscriber("all@example.com")
  incident(
    webapp, token_headers, world, description="<script>alert(1)</script> [x](javascript:alert(1)) **ok**"
  )
  deliver()
  (mail,) = smtp.take()
  assert "<script>" not in mail.html and "javascript:" not in mail.html and "<strong>ok</strong>" in mail.html


def test_the_outbox_is_written_in_the_transaction_of_the_change(registry, connection, make):
  make.subscriber("all@example.com")
  row = make.incident(name="Direct")
  context = CommandContext(registry)
  with pytest.raises(RuntimeError):
    with context.session() as session:
      emit(session, "incident.created", "incident", row.id)
      raise RuntimeError("the change fails")
  assert make.count(Message) == 0 and make.count(Delivery) == 0
  with context.session() as session:
    emit(session, "incident.created", "incident", row.id)
  assert make.count(Message) == 1 and make.count(Delivery) == 1
