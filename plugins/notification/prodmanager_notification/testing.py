"""Test helpers of the notification plugin: a real SMTP server (aiosmtpd) that keeps what it
receives, and factories for subscribers (``prodmanager.testing`` collects them when the plugin is
enabled)."""

import email
import email.policy
import threading

from prodmanager.db import utcnow
from prodmanager.testing import factory, free_port

from .models import Channel, Flavour, Subscriber


class Received:
  """One message the SMTP server accepted: envelope recipients and the parsed message."""

  def __init__(self, mail_from: str, rcpt_tos: list[str], content: bytes):
    self.mail_from = mail_from
    self.rcpt_tos = rcpt_tos
    self.message = email.message_from_bytes(content, policy=email.policy.default)

  @property
  def subject(self) -> str:
    return str(self.message["Subject"])

  def part(self, subtype: str) -> str:
    body = self.message.get_body(preferencelist=(subtype,))
    return body.get_content() if body is not None else ""

  @property
  def text(self) -> str:
    return self.part("plain")

  @property
  def html(self) -> str:
    return self.part("html")

  def attachments(self) -> list:
    return list(self.message.iter_attachments())


class SmtpServer:
  """An aiosmtpd server on a free local port; ``stop()`` and ``start()`` simulate an outage."""

  def __init__(self):
    self.port = free_port()
    self.received: list[Received] = []
    self.refused: set[str] = set()  # recipients answered 550 (a permanent refusal)
    self.lock = threading.Lock()
    self.controller = None

  async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
    if address in self.refused:
      return "550 5.1.1 No such user here"
    envelope.rcpt_tos.append(address)
    return "250 OK"

  async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
    with self.lock:
      self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
    return "250 Message accepted for delivery"

  def start(self) -> None:
    from aiosmtpd.controller import Controller

    self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
    self.controller.start()

  def stop(self) -> None:
    if self.controller is not None:
      self.controller.stop()
      self.controller = None

  def take(self) -> list[Received]:
    """The messages received since the last call."""
    with self.lock:
      taken, self.received = self.received, []
      self.refused = set()
    return taken

  def settings(self) -> dict[str, str]:
    """The INI settings of an application that sends to this server."""
    return {
      "prodmanager.notification.mail_enabled": "true",
      "prodmanager.notification.mail_server": "127.0.0.1",
      "prodmanager.notification.mail_port": str(self.port),
      "prodmanager.notification.mail_use_tls": "false",
      "prodmanager.notification.mail_use_credentials": "false",
      "prodmanager.notification.mail_sender": "Status page <status@example.com>",
      "prodmanager.notification.mail_timeout": "5",
    }


@factory
def subscriber(
  make,
  email="reader@example.com",
  confirmed=True,
  kinds=(),
  scopes=(),
  services=(),
  follows=(),
  all_events=True,
):
  """A confirmed e-mail subscriber (filters: kinds, scope and service rows, followed incidents)."""
  row = Subscriber(
    channel=Channel.EMAIL, email=email, all_events=all_events, confirmed_at=utcnow() if confirmed else None
  )
  row.set_filters(kinds, [scope.id for scope in scopes], [service.id for service in services])
  for incident in follows:
    row.follow(incident.id)
  return make.add(row)


@factory
def webhook(
  make, url, flavour="json", secret="webhook-secret", name="Hook", kinds=(), scopes=(), services=()
):
  """A webhook subscriber."""
  row = Subscriber(
    channel=Channel.WEBHOOK,
    url=url,
    flavour=Flavour(flavour),
    secret=secret,
    name=name,
    confirmed_at=utcnow(),
  )
  row.set_filters(kinds, [scope.id for scope in scopes], [service.id for service in services])
  return make.add(row)
