"""Which characters a text may hold: refused on the way in, stripped on the way out.

On the way in, every text a person or a script sends (fields, list filters, query parameters)
is refused when it holds a control character: PostgreSQL cannot store NUL at all, XML documents
(Atom, RSS, SVG badges) and iCalendar cannot carry most of them, and nobody types them on purpose.
Tab and line feed are allowed everywhere, carriage return only in multi-line texts (a textarea
sends CR LF). Lone surrogates (``"\\ud800"`` in JSON) cannot be encoded as UTF-8 and are refused
with them.

On the way out, documents that a single bad character would make unreadable for everyone (the
history feeds, calendars, badges) strip what their format cannot carry, so that a row written
before these checks existed, or by hand in the database, never breaks them.
"""

import re

from .errors import Message

# Unicode's control characters (C0, DEL, C1), lone surrogates and the two non-characters that no
# XML document may hold; tab and line feed (and carriage return in multi-line texts) excepted.
_REFUSED_LINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_REFUSED_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# What XML 1.0 cannot carry (its ``Char`` production): C0 controls other than tab, LF and CR,
# surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# What an iCalendar TEXT value cannot carry (RFC 5545 ``CONTROL``); line feeds are escaped by the
# library, so they stay.
_NOT_ICALENDAR = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def refused_character(value: str, multiline: bool = False) -> str | None:
  """The first character of ``value`` that a text input refuses, or None when there is none."""
  match = (_REFUSED_MULTILINE if multiline else _REFUSED_LINE).search(value)
  return match.group() if match else None


def check_text(value: str, multiline: bool = False) -> str:
  """Return ``value``, or raise ``ValueError`` naming the first refused character (U+0000 style)."""
  found = refused_character(value, multiline)
  if found is not None:
    kind = "invalid_characters" if "\ud800" <= found <= "\udfff" else "control_characters"
    raise ValueError(Message(f"validation.{kind}", character=f"U+{ord(found):04X}"))
  return value


def xml_text(value: str) -> str:
  """``value`` without the characters XML 1.0 cannot carry (feeds, SVG badges)."""
  return _NOT_XML.sub("", value)


def icalendar_text(value: str) -> str:
  """``value`` without the characters an iCalendar text cannot carry."""
  return _NOT_ICALENDAR.sub("", value)
