"""Input fields: one declaration per resource field, shared by HTML forms and the JSON API.

A field turns a raw value (a form string or a JSON value) into a Python value, or raises
``ValueError`` with a message meant for the person who typed it.
"""

import datetime as dt
import enum as enum_module
import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from .db import keep_row
from .errors import Message
from .text import check_text

MAX_NAME = 255
MAX_TEXT = 64 * 1024

DATE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
_ISO_Z = re.compile(r"Z$")

# Accepted dates, in UTC. The upper bound leaves a day below year 10000 so that every accepted
# date can still be shown in any time zone (offsets reach ±14 h) and moved by the minutes that
# calendars and lifetimes add, without an OverflowError.
MIN_DATE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_DATE = dt.datetime(9999, 12, 30, 23, 59, 59, tzinfo=dt.UTC)
DATE_RANGE_MESSAGE = Message("validation.date_range")


def parse_datetime(raw: Any) -> dt.datetime:
  """Accept ``YYYY-MM-DDTHH:MM`` (UTC, the 0.22 format), ``YYYY-MM-DD HH:MM`` and ISO 8601 with offset."""
  if isinstance(raw, dt.datetime):
    value = raw
  else:
    text = str(raw).strip()
    value = None
    for fmt in DATE_FORMATS:
      try:
        value = dt.datetime.strptime(text, fmt)
        break
      except ValueError:
        continue
    if value is None:
      try:
        value = dt.datetime.fromisoformat(_ISO_Z.sub("+00:00", text))
      except ValueError:
        raise ValueError(Message("validation.date")) from None
  if value.tzinfo is None:
    value = value.replace(tzinfo=dt.UTC)
  try:
    value = value.astimezone(dt.UTC)
  except OverflowError:  # 9999-12-31T23:59-14:00 is in year 10000 in UTC
    value = None
  if value is None or not MIN_DATE <= value <= MAX_DATE:
    raise ValueError(DATE_RANGE_MESSAGE)
  return value


def format_datetime(value: dt.datetime | None) -> str | None:
  """The API's minute-precision UTC format, kept from 0.22."""
  if value is None:
    return None
  return _formatted(value)


# isoformat, cut to the minute: strftime costs ten times more. Kept per moment: a list of 50
# incidents formats some 500 dates, and the next list after a write formats the same ones again
# (a kept date costs a tenth of one formatted: 1 µs against 12 µs).
@functools.lru_cache(maxsize=4096)
def _formatted(value: dt.datetime) -> str:
  # Years are four digits (MIN_DATE..MAX_DATE).
  return value.astimezone(dt.UTC).isoformat(timespec="minutes")[:16]


@dataclass
class Field:
  name: str
  required: bool = False
  label: str = ""
  attribute: str = ""  # model attribute when it differs from the field name (``scope`` -> ``scope_id``)
  help: str = ""  # translation key of a help text shown under the form input
  create_help: str = ""  # the same, on the create form only (what an empty value means there)
  default: Any = None  # the value a create form starts with (the service decides what is stored)

  @property
  def attr(self) -> str:
    return self.attribute or self.name

  def label_message(self) -> Message:
    """The field's label (``fields.<name>`` unless ``label`` names another key), translated where
    it is shown: messages name fields by it ("must not be before Scheduled start")."""
    return Message(self.label or f"fields.{self.name}")

  def parse(self, raw: Any, service) -> Any:
    """Turn a raw form or JSON value into the stored value; every field kind overrides it."""
    return raw

  def empty(self, raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")

  def empty_value(self) -> Any:
    return None


@dataclass
class Text(Field):
  min_length: int = 0
  max_length: int = MAX_NAME
  multiline: bool = False

  def parse(self, raw, service):
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
      raise ValueError(Message("validation.text"))
    value = check_text(str(raw).strip(), self.multiline)
    if len(value) > self.max_length:
      raise ValueError(Message("validation.max_length", max=self.max_length))
    if len(value) < self.min_length:
      raise ValueError(Message("validation.min_length", min=self.min_length))
    return value

  def empty_value(self):
    # Markdown texts are stored as empty text (0.22 failed on a missing description); short
    # optional values such as references are stored as null.
    return "" if self.multiline else None


@dataclass
class Url(Field):
  max_length: int = 2048

  def parse(self, raw, service):
    if not isinstance(raw, str):
      raise ValueError(Message("validation.url_type"))
    value = check_text(raw.strip())
    if "\t" in value or "\n" in value:
      # urlparse drops them silently, so the check below would pass on a URL stored with them.
      raise ValueError(Message("validation.url_whitespace"))
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
      raise ValueError(Message("validation.url"))
    if len(value) > self.max_length:
      raise ValueError(Message("validation.max_length", max=self.max_length))
    return value


@dataclass
class Choice(Field):
  enum: type[enum_module.Enum] | None = None
  prefix: str = ""  # translation prefix of the values (``runbook_state`` -> ``runbook_state.ok``)

  def parse(self, raw, service):
    values = [member.value for member in self.enum]
    if not isinstance(raw, str) or raw.strip().lower() not in values:
      raise ValueError(Message("validation.choice", choices=", ".join(values)))
    return self.enum(raw.strip().lower())


@dataclass
class Reference(Field):
  """An integer id of a row of another resource type, which must exist."""

  model: Any = None

  def parse(self, raw, service):
    if isinstance(raw, bool):
      raise ValueError(Message("validation.integer_id"))
    try:
      ident = int(str(raw).strip())
    except ValueError:
      raise ValueError(Message("validation.integer_id")) from None
    if ident < 1 or ident > 2**63 - 1:
      raise ValueError(Message("validation.positive_id"))
    row = service.db.get(self.model, ident)
    if row is None:
      raise ValueError(Message("validation.unknown_reference", field=self.label_message(), ident=ident))
    keep_row(service.db, row)  # the write's hooks read it again (prodmanager.db.keep_row)
    return ident


@dataclass
class DateTime(Field):
  def parse(self, raw, service):
    return parse_datetime(raw)


@dataclass
class Boolean(Field):
  def parse(self, raw, service):
    if isinstance(raw, bool):
      return raw
    lowered = str(raw).strip().lower()
    if lowered in ("true", "t", "1", "yes", "y", "on"):
      return True
    if lowered in ("false", "f", "0", "no", "n", "off"):
      return False
    raise ValueError(Message("validation.boolean"))

  def empty_value(self):
    return False
