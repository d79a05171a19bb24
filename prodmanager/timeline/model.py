"""The events table of a timeline: its columns and the types of its events."""

import datetime as dt
import enum
from typing import NamedTuple

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, enum_column, utcnow


class EventType(enum.Enum):
  CREATE = "create"
  UPDATE = "update"
  COMMENT = "comment"


class EventColumns:
  """Columns of a timeline event; the plugin's model adds ``__tablename__`` and ``parent_id``.

  ``old_status`` and ``new_status`` are the status change an event records, as typed data: set on
  the ``create`` event (``old_status`` empty) and on each ``update`` that changed the status, empty
  otherwise. Feeds and payloads find status changes with ``new_status IS NOT NULL``, never by
  reading the diff in ``content``.
  """

  id: Mapped[int] = mapped_column(primary_key=True)
  creation_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  type: Mapped[EventType] = mapped_column(enum_column(EventType))
  content: Mapped[str] = mapped_column(Text, default="")
  internal: Mapped[bool] = mapped_column(Boolean, default=False)
  author: Mapped[str | None] = mapped_column(String(255))
  old_status: Mapped[str | None] = mapped_column(String(32))
  new_status: Mapped[str | None] = mapped_column(String(32))

  @property
  def status_change(self) -> bool:
    """An update event that changed the status."""
    return self.type is EventType.UPDATE and self.new_status is not None


class EventRecord(NamedTuple):
  """A stored event as the pages and the API read it: its columns, without the session's bookkeeping
  of a mapped row (timelines are read by the hundred per list; they are never changed through it)."""

  parent_id: int
  id: int
  creation_date: dt.datetime
  type: EventType
  content: str
  internal: bool
  author: str | None
  old_status: str | None
  new_status: str | None

  status_change = EventColumns.status_change


EVENT_RECORD_COLUMNS = EventRecord._fields
