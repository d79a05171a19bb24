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


def status_columns(changes: dict[str, tuple], field: str = "status") -> dict:
  """The ``old_status``/``new_status`` columns of an event recording ``changes`` (``{field: (old,
  new)}``), encoded as in the diff; no value when the status is not among the changes."""
  if field not in changes:
    return {}
  old, new = changes[field]
  return {"old_status": encode_value(old), "new_status": encode_value(new)}


def status_columns_of_diff(content: str, field: str = "status") -> dict:
  """The status columns an event with this stored diff has (``{}`` when it tells no status).

  For events written outside a :class:`~prodmanager.timeline.TimelineService`, by tests and tools
  that arrange timelines directly: the application itself sets the columns from the changes with
  :func:`status_columns` and reads them, never the diff.
  """
  try:
    diff = json.loads(content or "{}")
  except ValueError:
    return {}
  change = diff.get(field) if isinstance(diff, dict) else None
  if not (isinstance(change, list) and len(change) == 2 and isinstance(change[1], str)):
    return {}
  return {"old_status": change[0] if isinstance(change[0], str) else None, "new_status": change[1]}


def event_date(value: dt.datetime) -> str:
  """Event dates in the API's format, like every other date (``YYYY-MM-DDTHH:MM``, UTC): stored to
  the second, shown at 0.22's minute precision (its clients parse that format)."""
  return format_datetime(value)
