"""Where readers find the subscription (navigation, footer, dashboard, incident pages), the
operators' page (subscribers, webhooks, failed deliveries with their error, retry now) and /metrics."""

from prodmanager.testing import page_form
from prodmanager_notification.models import Delivery, DeliveryStatus, Subscriber


def failed_delivery(webapp, token_headers, world, smtp, deliver, make):
  make.subscriber("gone@example.com")
  body = {"name": "Outage", "severity": "high", "scope": world.paris.id, "service": world.compute.id}
  webapp.post_json("/api/incident", body, headers=token_headers, status=201)
  smtp.refused.add("gone@example.com")
  deliver()
  smtp.refused.clear()
  (row,) = make.table(Delivery)
  return row


def test_subscribe_links_on_the_dashboard_the_footer_and_incident_pages(webapp, world, make):
  home = webapp.get("/")
  assert home.html.select_one(".site-nav a[href='/notification']") is not None
  assert home.html.select_one(".site-footer a[href='/notification']") is not None
  assert home.html.select_one(".notification-invite a[href='/notification']") is not None
  incident = make.incident(name="Visible one")
  page = webapp.get(f"/incident/{incident.id}")
  form = page.forms["follow"]
  assert form.action == "/notification/suscribe" and form["incident"].value == str(incident.id)


def test_without_mail_no_invitation_nor_follow_form(build_app, connection, make, world):
  client = build_app(**{"notification.mail_enabled": "false"})
  assert client.get("/").html.select_one(".notification-invite") is None
  incident = make.incident(name="Quiet")
  assert "follow" not in client.get(f"/incident/{incident.id}").forms


def test_the_operators_page_needs_a_login(webapp):
  answer = webapp.get("/notification/admin", expect_errors=True)
  assert answer.status_int in (302, 303, 403)
  assert "gone@example.com" not in answer.text


def test_operators_see_failures_with_their_error_and_retry_them(
  webapp, operator, token_headers, world, smtp, deliver, make
):
  row = failed_delivery(webapp, token_headers, world, smtp, deliver, make)
  page = webapp.get("/notification/admin")
  failed = page.html.select_one(f"#delivery-{row.id}")
  assert "550" in failed.get_text() and "gone@example.com" in failed.get_text()
  assert "0 to do, 1 failed, 0 sent" in page.html.select_one("#delivery-counts").get_text()
  answer = page_form(page, "/notification/admin/retry").submit(status=303)
  assert "tried again" in answer.follow().text
  assert make.row(Delivery, row.id).status is DeliveryStatus.PENDING
  assert deliver().sent == [row.id]


def test_operators_add_and_delete_webhooks(webapp, operator, world, make):
  page = webapp.get("/notification/admin")
  form = page.forms["add-webhook"]
  form["name"] = "Ops"
  form["url"] = "not a url"
  answer = form.submit(status=400)
  assert "http or https URL" in answer.text
  form = answer.forms["add-webhook"]
  form["url"] = "https://hooks.example.com/ops"
  form["flavour"] = "discord"
  form.submit(status=303)
  (hook,) = make.db.query(Subscriber).all()
  assert (hook.name, hook.url, hook.flavour.value, bool(hook.secret)) == (
    "Ops",
    "https://hooks.example.com/ops",
    "discord",
    True,
  )
  page = webapp.get("/notification/admin")
  page_form(page, f"/notification/admin/subscriber/{hook.id}/delete").submit(status=303)
  assert make.count(Subscriber) == 0


def test_metrics_expose_the_outbox(webapp, token_headers, world, smtp, deliver, make):
  failed_delivery(webapp, token_headers, world, smtp, deliver, make)
  make.subscriber("reader@example.com")
  body = {"name": "Second", "severity": "high", "scope": world.paris.id, "service": world.compute.id}
  webapp.post_json("/api/incident", body, headers=token_headers, status=201)
  text = webapp.get("/metrics").text
  assert 'prodmanager_notification_deliveries{status="failed"} 1.0' in text
  assert 'prodmanager_notification_deliveries{status="pending"} 2.0' in text
  deliver()
  text = webapp.get("/metrics").text
  assert 'prodmanager_notification_deliveries{status="sent"} 2.0' in text
  assert "prodmanager_notification_delivery_latency_seconds_count 2.0" in text
  assert "prodmanager_notification_oldest_pending_seconds 0.0" in text
