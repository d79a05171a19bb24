"""The daily availability roll-ups: per monitor and UTC day, the seconds spent in each status."""

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from prodmanager.db import Base, UTCDateTime


class AvailabilityDay(Base):
  """One monitor's UTC day: measured seconds per status, maintenance seconds (left out of the
  measure), the worst status measured (its rank: 0 ok, 1 warning, 2 alert; None when nothing was
  measured) and the instant the day is computed up to (its end once the day is over).

  A day the monitor did not exist, or had no status yet, has no row: it has no data."""

  __tablename__ = "availability_day"

  monitor_id: Mapped[int] = mapped_column(ForeignKey("monitor.id", ondelete="CASCADE"), primary_key=True)
  day: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
  ok_seconds: Mapped[int] = mapped_column(Integer, default=0)
  warning_seconds: Mapped[int] = mapped_column(Integer, default=0)
  alert_seconds: Mapped[int] = mapped_column(Integer, default=0)
  maintenance_seconds: Mapped[int] = mapped_column(Integer, default=0)
  worst: Mapped[int | None] = mapped_column(SmallInteger)
  computed_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
