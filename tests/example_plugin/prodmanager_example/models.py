"""The runbook table, on the core's declarative base; table names carry the plugin's prefix."""

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prodmanager.db import Base
from prodmanager_service.models import Service


class Runbook(Base):
  __tablename__ = "example_runbook"

  id: Mapped[int] = mapped_column(primary_key=True)
  name: Mapped[str] = mapped_column(String(255), unique=True)
  description: Mapped[str] = mapped_column(Text, default="")
  url: Mapped[str | None] = mapped_column(String(2048))
  service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="RESTRICT"), index=True)

  # lazy="raise": every query that shows the service loads it explicitly (no N+1 on lists).
  service: Mapped[Service] = relationship(lazy="raise")
