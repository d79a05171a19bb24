"""Helpers of the announcement tests (imported by name: a module called ``conftest`` would be
ambiguous between the plugins' test folders)."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prodmanager_announcement.models import Announcement, AnnouncementLevel
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

API = "http://localhost/api"
# A fixed window far from today, for tests that do not depend on the current time.
START = dt.datetime(2030, 5, 1, 10, 0, tzinfo=dt.UTC)
END = dt.datetime(2030, 5, 31, 18, 0, tzinfo=dt.UTC)


def now() -> dt.datetime:
  return dt.datetime.now(dt.UTC)


def api_date(value: dt.datetime) -> str:
  """The API's format, ``YYYY-MM-DDTHH:MM`` (UTC)."""
  return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


@dataclass
class World:
  """Scopes ``paris``, ``lyon`` and services ``compute``, ``network``, on the test's session."""

  db: Session
  paris: Scope
  lyon: Scope
  compute: Service
  network: Service

  def announcement(
    self, name="Announcement", level="medium", start=START, end=END, scope=None, service=None, **values
  ) -> Announcement:
    """An announcement added directly (no domain event is emitted this way)."""
    row = Announcement(
      name=name,
      level=AnnouncementLevel(level),
      start_date=start,
      end_date=end,
      scope_id=(scope or self.paris).id,
      service_id=(service or self.compute).id,
      description=values.pop("description", ""),
      creation_date=values.pop("creation_date", start),
      **values,
    )
    self.db.add(row)
    self.db.flush()
    return row

  def table(self) -> list:
    """Every announcement, read from the database (not from the session's identity map)."""
    table = Announcement.__table__
    return self.db.execute(select(table).order_by(table.c.id)).all()

  def count(self, model=Announcement) -> int:
    return self.db.scalar(select(func.count()).select_from(model))


def expected_announcement(ident: int, scope: int, service: int, name: str, **values) -> dict:
  """The 0.22 shape of an announcement (docs/api.md#endpoints-of-a-resource-type); ``values`` override the defaults.

  ``creation_date`` is set by the server: it is left out unless given (see :func:`created_at`).
  """
  creation = {"creation_date": values.pop("creation_date")} if "creation_date" in values else {}
  return {
    "id": ident,
    "name": name,
    "description": "",
    "level": "medium",
    "scope": scope,
    "service": service,
    "start_date": api_date(START),
    "end_date": api_date(END),
    **creation,
    **values,
    "links": {
      "self": f"{API}/announcement/{ident}",
      "scope": f"{API}/scope/{scope}",
      "service": f"{API}/service/{service}",
    },
  }


def created_at(body: dict) -> tuple[dict, str]:
  """The object without its server-set ``creation_date``, and that date."""
  body = dict(body)
  return body, body.pop("creation_date")
