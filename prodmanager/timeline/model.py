"""The events table of a timeline: its columns and the types of its events."""

import datetime as dt
import enum

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, enum_column, utcnow


class EventType(enum.Enum):
  CREATE = "create"
  UPDATE = "update"
  COMMENT = "comment"


class EventColumns:
  """Columns of a timeline event; the plugin's model adds ``__tablename__`` and ``parent_id``."""

  id: Mapped[int] = mapped_column(primary_key=True)
  creation_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  type: Mapped[EventType] = mapped_column(enum_column(EventType))
  content: Mapped[str] = mapped_column(Text, default="")
  internal: Mapped[bool] = mapped_column(Boolean, default=False)
  author: Mapped[str | None] = mapped_column(String(255))
