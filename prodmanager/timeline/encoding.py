"""One encoding of the values and dates of a timeline, in diffs and in the API."""

import datetime as dt
import enum
import json
from typing import Any

from ..fields import format_datetime


def encode_value(value: Any) -> Any:
  """One encoding for every diff: enums by value, dates in the API's format, the rest as JSON has it."""
  if isinstance(value, enum.Enum):
    return value.value
  if isinstance(value, dt.datetime):
    return format_datetime(value)
  return value


def encode_diff(changes: dict[str, tuple]) -> str:
  return json.dumps(
    {field: [encode_value(old), encode_value(new)] for field, (old, new) in changes.items()},
    sort_keys=True,
    ensure_ascii=False,
  )


def event_date(value: dt.datetime) -> str:
  """Event dates keep the seconds (``YYYY-MM-DDTHH:MM:SS``, UTC)."""
  return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
