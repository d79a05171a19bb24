"""Announcements: time-boxed messages of one (scope, service) pair (docs/user-guide.md#announcements)."""

import datetime as dt
import enum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from prodmanager.cache import changes_at
from prodmanager.db import Base, UTCDateTime, enum_column, utcnow
from prodmanager.membership import Membership
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

# Every announcement belongs to one (scope, service) pair.
PAIR = Membership(scope=Scope, service=Service)


class AnnouncementLevel(enum.Enum):
  """Declaration order is importance order: high < medium < low."""

  HIGH = "high"
  MEDIUM = "medium"
  LOW = "low"


class Announcement(PAIR.columns(), Base):
  __tablename__ = "announcement"

  id: Mapped[int] = mapped_column(primary_key=True)
  name: Mapped[str] = mapped_column(String(255), index=True)
  description: Mapped[str] = mapped_column(Text, default="")
  level: Mapped[AnnouncementLevel] = mapped_column(enum_column(AnnouncementLevel), index=True)
  creation_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  # Both ends of the window are indexed: the dashboard asks for start <= now <= end.
  start_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
  end_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

  def state(self, now: dt.datetime) -> str:
    """``upcoming``, ``ongoing`` (start <= now <= end) or ``ended``."""
    if now < self.start_date:
      changes_at(self.start_date)  # a cached page showing it upcoming expires when it starts
      return "upcoming"
    if now > self.end_date:
      return "ended"
    changes_at(self.end_date)
    return "ongoing"
