"""Delivery: retries with back-off while the SMTP server is down, permanent refusals, the limit of
attempts, "retry now", and the mail settings (0.22's names and defaults, clear startup errors)."""

import datetime as dt

import pytest

from prodmanager.db import utcnow
from prodmanager.settings import ConfigurationError
from prodmanager.testing import make_app
from prodmanager_notification.delivery import retry_now
from prodmanager_notification.models import Delivery, DeliveryStatus
from prodmanager_notification.settings import mail_settings


def queue_one(webapp, token_headers, world, make, email="reader@example.com"):
  make.subscriber(email)
  body = {"name": "Outage", "severity": "high", "scope": world.paris.id, "service": world.compute.id}
  webapp.post_json("/api/incident", body, headers=token_headers, status=201)
  (delivery,) = make.table(Delivery)
  return delivery.id


def test_smtp_down_keeps_the_row_pending_then_delivers_it_once(
  webapp, token_headers, world, smtp, deliver, make
):
  ident = queue_one(webapp, token_headers, world, make)
  smtp.stop()
  before = utcnow()
  report = deliver()
  assert report.retried == [ident] and report.sent == []
  row = make.row(Delivery, ident)
  assert row.status is DeliveryStatus.PENDING and row.attempts == 1
  assert "unavailable" in row.last_error and row.claimed_by is None
  assert row.next_attempt_at >= before + dt.timedelta(seconds=30)  # PM_NOTIFICATION_RETRY_SECONDS
  assert not deliver()  # not due yet
  smtp.start()
  report = deliver(now=utcnow() + dt.timedelta(minutes=5))
  assert report.sent == [ident]
  (mail,) = smtp.take()
  assert mail.subject == "[ProdManager] Outage - New incident"
  row = make.row(Delivery, ident)
  assert row.status is DeliveryStatus.SENT and row.attempts == 2 and row.sent_at is not None
  assert not deliver(now=utcnow() + dt.timedelta(days=1))  # never again once sent
  assert smtp.take() == []


def test_the_back_off_doubles_and_the_row_fails_after_the_last_attempt(
  build_app, smtp, world, make, registry
):
  client = build_app(**{"notification.max_attempts": "3", "notification.retry_seconds": "10"})
  from prodmanager_notification.delivery import deliver_due

  app_registry = client.app.registry
  make.subscriber("reader@example.com")
  token = client.post("/api/token/create", {"secret": "test-secret-0123456789", "name": "delivery", "description": "the delivery test",
                                              "permissions": ["incident_api"]}).json  # fmt: skip
  body = {"name": "Outage", "severity": "high", "scope": world.paris.id, "service": world.compute.id}
  client.post_json("/api/incident", body, headers={"Authorization": f"Bearer {token}"}, status=201)
  (delivery,) = make.table(Delivery)
  smtp.stop()
  now = utcnow()
  delays = []
  for _attempt in range(3):
    deliver_due(app_registry, now=now)
    row = make.row(Delivery, delivery.id)
    delays.append(round((row.next_attempt_at - now).total_seconds()))
    now = row.next_attempt_at + dt.timedelta(seconds=1)
  row = make.row(Delivery, delivery.id)
  assert row.status is DeliveryStatus.FAILED and row.attempts == 3 and "unavailable" in row.last_error
  assert delays[0] >= 10 and delays[1] >= 20  # 10 s, then 20 s
  smtp.start()
  assert retry_now(make.db, [delivery.id]) == 1
  report = deliver_due(app_registry)
  assert report.sent == [delivery.id]
  assert len(smtp.take()) == 1


def test_a_refused_recipient_fails_at_once(webapp, token_headers, world, smtp, deliver, make):
  ident = queue_one(webapp, token_headers, world, make, "gone@example.com")
  smtp.refused.add("gone@example.com")
  report = deliver()
  assert report.failed == [ident]
  row = make.row(Delivery, ident)
  assert row.status is DeliveryStatus.FAILED and "550" in row.last_error


def test_one_message_per_recipient(webapp, token_headers, world, smtp, deliver, make):
  for number in range(3):
    make.subscriber(f"reader{number}@example.com")
  body = {"name": "Outage", "severity": "high", "scope": world.paris.id, "service": world.compute.id}
  webapp.post_json("/api/incident", body, headers=token_headers, status=201)
  deliver()
  mails = smtp.take()
  assert sorted(tuple(mail.rcpt_tos) for mail in mails) == [(f"reader{n}@example.com",) for n in range(3)]
  assert all("Bcc" not in mail.message and mail.message["To"] == mail.rcpt_tos[0] for mail in mails)


def test_mail_settings_keep_0_22_names_and_defaults(registry):
  defaults = mail_settings(
    make_app(
      ["scope", "service", "incident", "notification"], {"database_uri": "sqlite://", "secret_key": "x" * 20}
    ).registry.settings
  )
  assert (defaults.enabled, defaults.port, defaults.use_tls, defaults.use_ssl, defaults.use_credentials) == (
    False,
    587,
    True,
    False,
    True,
  )
  assert (defaults.validate_certs, defaults.prefix, defaults.sender, defaults.reply_to) == (
    True,
    "[ProdManager]",
    "",
    "",
  )
  environ = {
    "PM_MAIL_ENABLED": "true", "PM_MAIL_SERVER": "smtp.example.com", "PM_MAIL_PORT": "465", "PM_MAIL_USE_TLS": "false",
    "PM_MAIL_USE_SSL": "true", "PM_MAIL_USERNAME": "status", "PM_MAIL_PASSWORD": "pw", "PM_MAIL_SENDER": "status@example.com",
    "PM_MAIL_PREFIX": "[Status]", "PM_MAIL_REPLY_TO": "ops@example.com", "PM_MAIL_VALIDATE_CERTS": "no",
  }  # fmt: skip
  configured = mail_settings(
    make_app(
      ["scope", "service", "incident", "notification"],
      {"database_uri": "sqlite://", "secret_key": "x" * 20},
      environ,
    ).registry.settings
  )
  assert (configured.enabled, configured.server, configured.port, configured.use_ssl, configured.use_tls) == (
    True,
    "smtp.example.com",
    465,
    True,
    False,
  )
  assert (configured.prefix, configured.reply_to, configured.validate_certs, configured.password) == (
    "[Status]",
    "ops@example.com",
    False,
    "pw",
  )


@pytest.mark.parametrize(
  ("environ", "message"),
  [
    ({"PM_MAIL_USE_SSL": "true"}, "PM_MAIL_USE_TLS and PM_MAIL_USE_SSL cannot both be true"),
    ({"PM_MAIL_SERVER": ""}, "PM_MAIL_SERVER is required"),
    ({"PM_MAIL_SENDER": ""}, "PM_MAIL_SENDER is required"),
    ({"PM_MAIL_USERNAME": ""}, "PM_MAIL_USERNAME is empty"),
    ({"PM_MAIL_PORT": "http"}, "PM_MAIL_PORT='http': expected an integer"),
    ({"PM_MAIL_SENDER": "nobody"}, "PM_MAIL_SENDER='nobody': expected an e-mail address"),
  ],
)
def test_bad_mail_settings_stop_startup_with_a_clear_message(environ, message):
  base = {
    "PM_MAIL_ENABLED": "true",
    "PM_MAIL_SERVER": "smtp.example.com",
    "PM_MAIL_USERNAME": "u",
    "PM_MAIL_SENDER": "s@example.com",
  }
  with pytest.raises(ConfigurationError) as error:
    make_app(
      ["scope", "service", "incident", "notification"],
      {"database_uri": "sqlite://", "secret_key": "x" * 20},
      {**base, **environ},
    )
  assert message in str(error.value)


def test_tls_and_ssl_together_are_accepted_while_mail_is_disabled_as_in_0_22():
  registry = make_app(
    ["scope", "service", "incident", "notification"],
    {"database_uri": "sqlite://", "secret_key": "x" * 20},
    {"PM_MAIL_USE_SSL": "true"},
  ).registry
  assert mail_settings(registry.settings).use_ssl
