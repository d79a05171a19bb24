"""Subscribing from /notification and 0.22's routes: double opt-in, answers that reveal nothing,
throttling per client and per address, the manage page, following one incident."""

import time

import pytest
from test_notification_journey import PUBLIC_URL, confirm, link, subscribe

from prodmanager.testing import TEST_SECRET, page_form
from prodmanager_notification import signing
from prodmanager_notification.models import Delivery, Subscriber


def flash_of(answer) -> str:
  page = answer.follow()
  return page.html.select_one(".flash, .alert, [role=status], [role=alert]").get_text(" ", strip=True)


def test_the_page_offers_the_filters_and_both_forms(webapp, world):
  page = webapp.get("/notification")
  assert page.html.select_one("h1").get_text(strip=True) == "Subscribe to notifications"
  subscribe_form = page_form(page, "/notification/suscribe")
  assert {field._value for field in subscribe_form.fields["kinds"]} == {
    "incident",
    "maintenance",
    "announcement",
  }
  assert str(world.paris.id) in {field._value for field in subscribe_form.fields["scopes"]}
  assert str(world.compute.id) in {field._value for field in subscribe_form.fields["services"]}
  assert page_form(page, "/notification/unsuscribe").method.upper() == "POST"


def test_0_22_subscribe_route_answers_with_a_redirect_and_a_message(webapp, smtp, deliver):
  answer = subscribe(webapp, "fan@example.com")
  assert answer.status_int == 303 and answer.location == f"{PUBLIC_URL}/notification"
  assert "Check your mailbox" in answer.follow().text
  deliver()
  (mail,) = smtp.take()
  assert mail.rcpt_tos == ["fan@example.com"]


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x@example.com\r\nBcc: victim@example.com"])
def test_a_bad_address_is_refused_with_400_and_a_message(webapp, make, email):
  form = page_form(webapp.get("/notification"), "/notification/suscribe")
  form["email"] = email
  answer = form.submit(status=400)
  assert "Enter a valid e-mail address" in answer.text
  assert make.count(Delivery) == 0


def test_answers_reveal_nothing_about_an_address(webapp, smtp, deliver, make):
  make.subscriber("known@example.com")
  make.subscriber("pending@example.com", confirmed=False)
  answers = []
  for email in ("known@example.com", "pending@example.com", "new@example.com"):
    answer = subscribe(webapp, email)
    answers.append((answer.status_int, answer.location, flash_of(answer)))
  assert len(set(answers)) == 1 and answers[0][:2] == (303, f"{PUBLIC_URL}/notification")
  unsubscribes = []
  for email in ("known@example.com", "unknown@example.com"):
    form = page_form(webapp.get("/notification"), "/notification/unsuscribe")
    form["email"] = email
    answer = form.submit(status=303)
    unsubscribes.append((answer.location, flash_of(answer)))
  assert len(set(unsubscribes)) == 1
  deliver()
  mails = {}
  for mail in smtp.take():
    mails.setdefault(mail.rcpt_tos[0], []).append(mail)
  # Only the owner of an address learns anything: the confirmed one is told it is subscribed, and
  # receives its unsubscribe link; an unknown address receives nothing.
  known = {mail.subject: mail for mail in mails["known@example.com"]}
  assert set(known) == {
    "[ProdManager] Confirm your subscription",
    "[ProdManager] Unsubscribe from notifications",
  }
  assert "already subscribed" in known["[ProdManager] Confirm your subscription"].text
  assert ["already subscribed" in mail.text for mail in mails["new@example.com"]] == [False]
  assert ["already subscribed" in mail.text for mail in mails["pending@example.com"]] == [False]
  assert "unknown@example.com" not in mails


def test_0_22_unsubscribe_route_mails_the_link_and_the_link_unsubscribes(
  webapp, new_client, smtp, deliver, make
):
  reader = make.subscriber("leaving@example.com")
  form = page_form(webapp.get("/notification"), "/notification/unsuscribe")
  form["email"] = "Leaving@example.com"
  assert "If this address is subscribed" in form.submit(status=303).follow().text
  assert make.count(Subscriber) == 1  # nobody else can unsubscribe an address
  deliver()
  (mail,) = smtp.take()
  assert mail.subject == "[ProdManager] Unsubscribe from notifications"
  path = link(mail.text, "/notification/unsubscribe/")
  assert path.endswith(reader.token)
  page = new_client().get(path)  # GET only shows the button
  assert make.count(Subscriber) == 1
  assert "receives no more notifications" in page_form(page, "").submit().text
  assert make.count(Subscriber) == 0


def test_an_invalid_unsubscribe_address_is_refused(webapp):
  form = page_form(webapp.get("/notification"), "/notification/unsuscribe")
  form["email"] = "nope"
  assert "Enter a valid e-mail address" in form.submit(status=400).text


def test_one_address_gets_a_few_mails_per_period_whoever_asks(webapp, new_client, smtp, deliver):
  clients = [new_client() for _ in range(5)]
  answers = {flash_of(subscribe(client, "victim@example.com")) for client in clients}
  assert len(answers) == 1  # the same answer every time
  deliver()
  assert len(smtp.take()) == 3  # PM_NOTIFICATION_ADDRESS_LIMIT


def test_one_client_is_throttled(webapp):
  for number in range(10):
    subscribe(webapp, f"reader{number}@example.com")
  form = page_form(webapp.get("/notification"), "/notification/suscribe")
  form["email"] = "reader10@example.com"
  assert "Too many requests" in form.submit(status=429).text


def test_a_confirmation_link_is_signed_and_expires(webapp, make):
  expired = signing.sign(TEST_SECRET, {"e": "a@example.com", "a": "subscribe"}, 60, now=time.time() - 3600)
  forged = signing.sign("another-secret-0123456789", {"e": "a@example.com", "a": "subscribe"}, 3600)
  for token in (expired, forged, "garbage", expired[:-2] + "xx"):
    page = webapp.get(f"/notification/confirm/{token}")
    answer = page_form(page, "").submit(status=400)
    assert "invalid or has expired" in answer.text
  assert make.count(Subscriber) == 0


def test_confirming_applies_the_filters_asked(webapp, smtp, deliver, world, make):
  subscribe(
    webapp, "ops@example.com", kinds=["maintenance"], scopes=[world.lyon.id], services=[world.network.id]
  )
  confirm(webapp, smtp, deliver)
  (row,) = make.db.query(Subscriber).all()
  assert (row.kind_set, row.scope_ids, row.service_ids) == (
    {"maintenance"},
    {world.lyon.id},
    {world.network.id},
  )


def test_a_new_request_of_a_confirmed_address_changes_nothing_until_confirmed(
  webapp, smtp, deliver, world, make
):
  reader = make.subscriber("ops@example.com")
  subscribe(webapp, "ops@example.com", kinds=["announcement"])
  make.db.expire_all()
  assert make.db.get(Subscriber, reader.id).kinds == ""
  deliver()
  (mail,) = smtp.take()
  assert "already subscribed" in mail.text and f"/notification/manage/{reader.token}" in mail.text
  webapp.get(link(mail.text, "/notification/confirm/")).forms["confirm"].submit(status=303)
  make.db.expire_all()
  assert make.db.get(Subscriber, reader.id).kinds == "announcement"


def test_the_manage_page_changes_filters_and_unfollows(webapp, world, make):
  incident = make.incident(name="Followed one")
  reader = make.subscriber("ops@example.com", follows=[incident])
  page = webapp.get(f"/notification/manage/{reader.token}")
  assert "ops@example.com" in page.text and "Followed one" in page.text
  form = page.forms["manage"]
  for field in form.fields["kinds"]:
    field.checked = field._value == "incident"
  for field in form.fields["scopes"]:
    field.checked = field._value == str(world.paris.id)
  form.fields["unfollow"][0].checked = True
  answer = form.submit(status=303)
  assert "Subscription saved" in answer.follow().text
  make.db.expire_all()
  row = make.db.get(Subscriber, reader.id)
  assert (row.kind_set, row.scope_ids, row.followed_incidents) == ({"incident"}, {world.paris.id}, set())
  assert webapp.get("/notification/manage/unknown-token", status=404)


def test_following_one_incident(webapp, token_headers, smtp, deliver, world, make):
  followed = make.incident(name="Followed", scope=world.paris, service=world.compute)
  other = make.incident(name="Other", scope=world.paris, service=world.compute)
  form = page_form(webapp.get("/notification"), "/notification/suscribe")
  answer = webapp.post(
    "/notification/suscribe",
    {"email": "watcher@example.com", "incident": str(followed.id), "csrf_token": form["csrf_token"].value},
    status=303,
  )
  assert answer.location == f"{PUBLIC_URL}/incident/{followed.id}"
  deliver()
  (mail,) = smtp.take()
  assert "follow the incident" in mail.text and "Followed" in mail.text
  webapp.get(link(mail.text, "/notification/confirm/")).forms["confirm"].submit(status=303)
  (row,) = make.db.query(Subscriber).all()
  assert not row.all_events and row.followed_incidents == {followed.id}
  webapp.post(f"/api/incident/{other.id}/comment", {"comment": "Not for the watcher"}, headers=token_headers)
  webapp.post(f"/api/incident/{followed.id}/comment", {"comment": "For the watcher"}, headers=token_headers)
  deliver()
  (mail,) = smtp.take()
  assert mail.subject == "[ProdManager] Followed - Updated incident" and "For the watcher" in mail.text


def test_following_an_unknown_incident_is_refused(webapp):
  form = page_form(webapp.get("/notification"), "/notification/suscribe")
  webapp.post(
    "/notification/suscribe",
    {"email": "w@example.com", "incident": "999999", "csrf_token": form["csrf_token"].value},
    status=400,
  )


def test_without_mail_the_page_says_so_and_nothing_is_queued(build_app, connection, make):
  client = build_app(**{"notification.mail_enabled": "false"})
  page = client.get("/notification")
  assert "not enabled" in page.text and "suscribe" not in page.text
  token = page.html.select_one("input[name=csrf_token]")
  assert token is None
  assert make.count(Delivery) == 0
