"""Mails: one message per recipient, plain text and HTML, sent over SMTP with 0.22's settings.

The subject is ``PM_MAIL_PREFIX`` + the title + 0.22's label ("[ProdManager] Database down - New
incident"); Markdown is rendered and sanitised by the core's renderer; links start with
PM_PUBLIC_URL; maintenance mails carry the maintenance's ``.ics``; the text is in the instance's
language (``PM_LANG``). Event mails carry ``List-Unsubscribe`` and ``List-Unsubscribe-Post``
(RFC 8058 one-click).
"""

import datetime as dt
import smtplib
import ssl
import zoneinfo
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from prodmanager.markdown import render_markdown
from prodmanager.state import app_state

from .settings import MailSettings, format_address

_environment = Environment(
  loader=PackageLoader("prodmanager_notification", "templates/mail"),
  autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
  trim_blocks=True,
  lstrip_blocks=True,
)


class PermanentFailure(Exception):
  """The recipient or the message is refused for good (SMTP 5xx on the recipient): no retry."""


class TemporaryFailure(Exception):
  """The server is unreachable or answered 4xx: retry later."""


def translator(registry):
  catalogues = app_state(registry).catalogues
  lang = registry.settings["prodmanager.lang"]
  return lambda key, **kwargs: catalogues.translate(lang, key, **kwargs)


def local_time(registry, text: str | None) -> str:
  """An ISO UTC date of a snapshot in the instance's time zone, ``2024-05-01 14:00 (Europe/Paris)``."""
  if not text:
    return ""
  value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
  zone = registry.settings["prodmanager.timezone"]
  return f"{value.astimezone(zoneinfo.ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def subject_of(settings: MailSettings, _, snapshot: dict) -> str:
  if "template" in snapshot:
    title = _(f"notification.mail.{snapshot['template']}_subject")
  else:
    title = f"{snapshot['name']} - {_(snapshot['label'])}"
  prefix = settings.prefix.strip()
  subject = f"{prefix} {title}" if prefix else title
  return " ".join(subject.split())  # no line breaks in a header


def compose(
  registry,
  settings: MailSettings,
  snapshot: dict,
  recipient: str,
  unsubscribe_url: str | None,
  manage_url: str | None,
  delivery_id: int | None = None,
) -> EmailMessage:
  """The message of one delivery."""
  _ = translator(registry)
  site = registry.settings["prodmanager.site_name"] or _("app.name")
  values = {
    "_": _,
    "s": snapshot,
    "site_name": site,
    "page_url": snapshot["base_url"] + snapshot["path"] if "path" in snapshot else snapshot["base_url"],
    "unsubscribe_url": unsubscribe_url,
    "manage_url": manage_url,
    "date": lambda text: local_time(registry, text),
    "markdown": render_markdown,
    "lang": registry.settings["prodmanager.lang"],
  }
  name = snapshot.get("template") or snapshot["kind"]
  message = EmailMessage()
  message["Subject"] = subject_of(settings, _, snapshot)
  message["From"] = format_address(settings.sender)
  message["To"] = recipient
  if settings.reply_to:
    message["Reply-To"] = format_address(settings.reply_to)
  message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
  domain = urlsplit(snapshot["base_url"]).hostname or "localhost"
  message["Message-ID"] = make_msgid(domain=domain)
  message["Auto-Submitted"] = "auto-generated"
  if delivery_id is not None:
    message["X-ProdManager-Delivery"] = str(delivery_id)  # the outbox row: lets a reader spot a resend
  if unsubscribe_url:
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Id"] = f"{' '.join(site.split())} <notifications.{domain}>"
  message.set_content(_environment.get_template(f"{name}.txt").render(values))
  message.add_alternative(_environment.get_template(f"{name}.html").render(values), subtype="html")
  if snapshot.get("ics"):
    filename = "".join(c if c.isalnum() or c in "-_" else "-" for c in snapshot["name"])[:60] or "maintenance"
    message.add_attachment(
      snapshot["ics"].encode("utf-8"),
      maintype="text",
      subtype="calendar",
      filename=f"{filename}.ics",
      params={"method": "PUBLISH"},
    )
  return message


class Mailer:
  """One SMTP connection, opened on first use and reused for a batch of deliveries."""

  def __init__(self, settings: MailSettings):
    self.settings = settings
    self.connection = None

  def connect(self):
    settings = self.settings
    context = ssl.create_default_context() if settings.validate_certs else ssl._create_unverified_context()  # noqa: S323
    try:
      if settings.use_ssl:
        connection = smtplib.SMTP_SSL(
          settings.server, settings.port, timeout=settings.timeout, context=context
        )
      else:
        connection = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
      if settings.use_tls:
        connection.starttls(context=context)
      if settings.use_credentials:
        connection.login(settings.username, settings.password)
    except smtplib.SMTPAuthenticationError as error:
      raise TemporaryFailure(f"SMTP login refused: {error.smtp_code} {error.smtp_error!r}") from None
    except (OSError, smtplib.SMTPException) as error:
      raise TemporaryFailure(f"SMTP server {settings.server}:{settings.port} unavailable: {error}") from None
    return connection

  def send(self, message: EmailMessage, recipient: str) -> None:
    if self.connection is None:
      self.connection = self.connect()
    try:
      refused = self.connection.send_message(
        message, from_addr=self.settings.sender_address, to_addrs=[recipient]
      )
    except smtplib.SMTPRecipientsRefused as error:
      code, text = next(iter(error.recipients.values()))
      failure = PermanentFailure if 500 <= code < 600 else TemporaryFailure
      raise failure(f"recipient refused: {code} {text!r}") from None
    except smtplib.SMTPResponseException as error:
      self.close()
      failure = (
        PermanentFailure if 500 <= error.smtp_code < 600 and error.smtp_code != 554 else TemporaryFailure
      )
      raise failure(f"SMTP error {error.smtp_code} {error.smtp_error!r}") from None
    except (TimeoutError, OSError, smtplib.SMTPException) as error:
      self.close()
      raise TemporaryFailure(f"SMTP connection lost: {error}") from None
    if refused:
      code, text = refused[recipient]
      raise PermanentFailure(f"recipient refused: {code} {text!r}")

  def close(self) -> None:
    if self.connection is not None:
      try:
        self.connection.quit()
      except (OSError, smtplib.SMTPException):
        pass
      self.connection = None
