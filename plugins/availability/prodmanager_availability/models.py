"""The daily availability roll-ups: per monitor and UTC day, the seconds spent in each status."""

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, SmallInteger
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


class AvailabilityPairSummary(Base):
  """The 90-day summary of one (scope, service) pair's monitors, what the components' bars say in
  words: the up and measured seconds of their days (the uptime), the days with an outage (some
  alert) or degraded (warnings, no alert), how many day rows it sums (0: no data) and the UTC day
  the 90 days end at (a row of an earlier day is stale: the days moved on).

  Written for every pair that has monitors by the worker's job right after it rolls up the days,
  and for the pairs a committed change touched by that change's commit
  (:mod:`prodmanager_availability.summaries`)."""

  __tablename__ = "availability_pair_summary"

  scope_id: Mapped[int] = mapped_column(ForeignKey("scope.id", ondelete="CASCADE"), primary_key=True)
  service_id: Mapped[int] = mapped_column(
    ForeignKey("service.id", ondelete="CASCADE"), primary_key=True, index=True
  )
  day: Mapped[dt.date] = mapped_column(Date)
  up_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
  measured_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
  outage_days: Mapped[int] = mapped_column(Integer, default=0)
  degraded_days: Mapped[int] = mapped_column(Integer, default=0)
  day_rows: Mapped[int] = mapped_column(Integer, default=0)
