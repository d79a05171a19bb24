"""The notification settings: 0.22's ``PM_MAIL_*`` variables with its defaults, and the outbox's own.

Declared with ``add_setting`` (docs/notifications.md#mail-settings). They are parsed in declaration
order, so the last one (``PM_MAIL_ENABLED``) checks the combination: TLS and SSL together, a missing
server or sender, credentials required without a user name stop startup with a clear message.
"""

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr

PREFIX = "prodmanager.notification."


def parse_address(value: str) -> str:
  """``status@example.com`` or ``Status page <status@example.com>``; empty means none."""
  if not value:
    return ""
  _name, address = parseaddr(value)
  if "@" not in address or address.startswith("@") or address.endswith("@"):
    raise ValueError("expected an e-mail address such as status@example.com or 'Status <status@example.com>'")
  return value


def parse_seconds(minimum: int, maximum: int):
  def parse(value: str) -> int:
    try:
      number = int(value)
    except ValueError:
      raise ValueError("expected a whole number of seconds") from None
    if not minimum <= number <= maximum:
      raise ValueError(f"expected a number of seconds between {minimum} and {maximum}")
    return number

  return parse


def parse_count(minimum: int, maximum: int):
  def parse(value: str) -> int:
    try:
      number = int(value)
    except ValueError:
      raise ValueError("expected an integer") from None
    if not minimum <= number <= maximum:
      raise ValueError(f"expected an integer between {minimum} and {maximum}")
    return number

  return parse


@dataclass(frozen=True)
class MailSettings:
  enabled: bool
  server: str
  port: int
  username: str
  password: str
  use_credentials: bool
  use_tls: bool
  use_ssl: bool
  validate_certs: bool
  sender: str
  prefix: str
  reply_to: str
  timeout: int

  @property
  def sender_address(self) -> str:
    """The bare address of the sender (the envelope's MAIL FROM)."""
    return parseaddr(self.sender)[1]


@dataclass(frozen=True)
class OutboxSettings:
  confirm_hours: int
  max_attempts: int
  retry_seconds: int
  retry_max_seconds: int
  batch_size: int
  lease_seconds: int
  webhook_timeout: int
  subscribe_limit: int
  subscribe_period: int
  address_limit: int
  address_period: int


def mail_settings(settings) -> MailSettings:
  get = lambda key: settings[PREFIX + "mail_" + key]  # noqa: E731
  return MailSettings(
    enabled=get("enabled"),
    server=get("server"),
    port=get("port"),
    username=get("username"),
    password=get("password"),
    use_credentials=get("use_credentials"),
    use_tls=get("use_tls"),
    use_ssl=get("use_ssl"),
    validate_certs=get("validate_certs"),
    sender=get("sender"),
    prefix=get("prefix"),
    reply_to=get("reply_to"),
    timeout=get("timeout"),
  )


def outbox_settings(settings) -> OutboxSettings:
  get = lambda key: settings[PREFIX + key]  # noqa: E731
  return OutboxSettings(
    confirm_hours=get("confirm_hours"),
    max_attempts=get("max_attempts"),
    retry_seconds=get("retry_seconds"),
    retry_max_seconds=get("retry_max_seconds"),
    batch_size=get("batch_size"),
    lease_seconds=get("lease_seconds"),
    webhook_timeout=get("webhook_timeout"),
    subscribe_limit=get("subscribe_limit"),
    subscribe_period=get("subscribe_period"),
    address_limit=get("address_limit"),
    address_period=get("address_period"),
  )


# (key, variable, type, default, description, secret): the PM_MAIL_* ones are 0.22's names and defaults.
MAIL = (
  ("mail_server", "PM_MAIL_SERVER", str, "", "SMTP server host name", False),
  ("mail_port", "PM_MAIL_PORT", parse_count(1, 65535), "587", "SMTP server port", False),
  ("mail_username", "PM_MAIL_USERNAME", str, "", "user name on the SMTP server", False),
  ("mail_password", "PM_MAIL_PASSWORD", str, "", "password on the SMTP server", True),
  (
    "mail_use_credentials",
    "PM_MAIL_USE_CREDENTIALS",
    bool,
    "true",
    "log in to the SMTP server with PM_MAIL_USERNAME and PM_MAIL_PASSWORD",
    False,
  ),
  (
    "mail_use_tls",
    "PM_MAIL_USE_TLS",
    bool,
    "true",
    "STARTTLS after connecting (not with PM_MAIL_USE_SSL)",
    False,
  ),
  (
    "mail_use_ssl",
    "PM_MAIL_USE_SSL",
    bool,
    "false",
    "TLS from the first byte (port 465; not with PM_MAIL_USE_TLS)",
    False,
  ),
  (
    "mail_validate_certs",
    "PM_MAIL_VALIDATE_CERTS",
    bool,
    "true",
    "verify the SMTP server's certificate",
    False,
  ),
  ("mail_sender", "PM_MAIL_SENDER", parse_address, "", "From address of the mails", False),
  ("mail_prefix", "PM_MAIL_PREFIX", str, "[ProdManager]", "start of every subject", False),
  (
    "mail_reply_to",
    "PM_MAIL_REPLY_TO",
    parse_address,
    "",
    "Reply-To address of the mails (empty: none)",
    False,
  ),
  (
    "mail_timeout",
    "PM_MAIL_TIMEOUT",
    parse_seconds(1, 600),
    "30",
    "seconds to wait for the SMTP server",
    False,
  ),
)

OUTBOX = (
  (
    "confirm_hours",
    "PM_NOTIFICATION_CONFIRM_HOURS",
    parse_count(1, 24 * 30),
    "48",
    "hours a confirmation link stays valid",
  ),
  (
    "max_attempts",
    "PM_NOTIFICATION_MAX_ATTEMPTS",
    parse_count(1, 100),
    "12",
    "attempts before a delivery is marked failed",
  ),
  (
    "retry_seconds",
    "PM_NOTIFICATION_RETRY_SECONDS",
    parse_seconds(1, 86400),
    "30",
    "first retry delay, doubled at each failure",
  ),
  (
    "retry_max_seconds",
    "PM_NOTIFICATION_RETRY_MAX_SECONDS",
    parse_seconds(1, 7 * 86400),
    "3600",
    "longest delay between two attempts",
  ),
  (
    "batch_size",
    "PM_NOTIFICATION_BATCH_SIZE",
    parse_count(1, 1000),
    "20",
    "deliveries a worker claims at once",
  ),
  (
    "lease_seconds",
    "PM_NOTIFICATION_LEASE_SECONDS",
    parse_seconds(5, 86400),
    "900",
    "how long a claim lasts: a worker that died gives its deliveries back after it",
  ),
  (
    "webhook_timeout",
    "PM_NOTIFICATION_WEBHOOK_TIMEOUT",
    parse_seconds(1, 120),
    "10",
    "seconds to wait for a webhook",
  ),
  (
    "subscribe_limit",
    "PM_NOTIFICATION_SUBSCRIBE_LIMIT",
    parse_count(1, 100000),
    "10",
    "subscribe requests per client and period",
  ),
  (
    "subscribe_period",
    "PM_NOTIFICATION_SUBSCRIBE_PERIOD",
    parse_seconds(1, 86400),
    "3600",
    "period of the client limit",
  ),
  (
    "address_limit",
    "PM_NOTIFICATION_ADDRESS_LIMIT",
    parse_count(1, 1000),
    "3",
    "mails one address may be sent by requests per period",
  ),
  (
    "address_period",
    "PM_NOTIFICATION_ADDRESS_PERIOD",
    parse_seconds(1, 7 * 86400),
    "86400",
    "period of the address limit",
  ),
)


def check_mail(registry):
  """The validator of PM_MAIL_ENABLED, parsed after the other mail settings: their combination."""

  def validate(enabled: bool) -> None:
    if not enabled:
      return  # as 0.22: the other mail settings are only read when mail is enabled
    settings = registry.settings
    get = lambda key: settings.get(PREFIX + "mail_" + key)  # noqa: E731
    problems = []
    if get("use_tls") and get("use_ssl"):
      problems.append(
        "PM_MAIL_USE_TLS and PM_MAIL_USE_SSL cannot both be true: STARTTLS (port 587) "
        "or TLS from the start (port 465), set the other one to false"
      )
    if not get("server"):
      problems.append("PM_MAIL_SERVER is required when mail is enabled")
    if not get("sender"):
      problems.append("PM_MAIL_SENDER is required when mail is enabled (the From address)")
    if get("use_credentials") and not get("username"):
      problems.append(
        "PM_MAIL_USE_CREDENTIALS is true (the default) but PM_MAIL_USERNAME is empty: "
        "set the user name and password, or PM_MAIL_USE_CREDENTIALS=false"
      )
    if problems:
      raise ValueError("; ".join(problems))

  return validate


def declare(config) -> None:
  for key, env, kind, default, description, secret in MAIL:
    config.add_setting(
      PREFIX + key, env=env, type=kind, default=default, description=description, secret=secret
    )
  for key, env, kind, default, description in OUTBOX:
    config.add_setting(PREFIX + key, env=env, type=kind, default=default, description=description)
  config.add_setting(
    PREFIX + "mail_enabled",
    env="PM_MAIL_ENABLED",
    type=bool,
    default="false",
    validate=check_mail(config.registry),
    description="send notification mails (0.22's switch)",
  )


def format_address(value: str) -> str:
  """A configured address as a header value (a display name is quoted when needed)."""
  name, address = parseaddr(value)
  return str(Address(display_name=name, addr_spec=address)) if name else address
