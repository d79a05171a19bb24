"""The tables the 0.22 upgrade and import write besides the plugins' own (core revision 0005).

* ``app_config``: 0.22's instance record (its random ``uuid``), kept as 0.22 had it.
* ``legacy_import``: which 0.22 row became which row here, per source database (named by its
  ``app_config`` uuid): what makes ``prodmanager import`` idempotent, and what the in-place upgrade
  records too (each row kept its id), so that importing a copy of the same database imports nothing.
* ``legacy_subscriber``: 0.22's e-mail subscribers, confirmed (0.22 had no opt-in: subscribing was
  the confirmation), when the notification plugin is not installed (with it, they become its
  subscribers); held here until it is, nothing is sent to them from this table.
"""

import datetime as dt

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow


class AppConfig(Base):
  __tablename__ = "app_config"

  id: Mapped[int] = mapped_column(primary_key=True)
  uuid: Mapped[str] = mapped_column(String(64), unique=True)


class LegacyImport(Base):
  """One 0.22 row brought over: ``kind`` (``incident``, ``incident_event``...) and ids on both sides."""

  __tablename__ = "legacy_import"
  __table_args__ = (UniqueConstraint("source", "kind", "old_id", name="uq_legacy_import_source_kind_old_id"),)

  id: Mapped[int] = mapped_column(primary_key=True)
  source: Mapped[str] = mapped_column(String(255))
  kind: Mapped[str] = mapped_column(String(32))
  old_id: Mapped[int] = mapped_column(Integer)
  new_id: Mapped[int] = mapped_column(Integer)
  imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LegacySubscriber(Base):
  """A 0.22 subscriber, confirmed, waiting for the notification plugin."""

  __tablename__ = "legacy_subscriber"

  id: Mapped[int] = mapped_column(primary_key=True)
  email: Mapped[str] = mapped_column(String(320), unique=True)
  confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
  imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
