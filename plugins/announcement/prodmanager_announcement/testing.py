"""Test data of the announcement plugin: ``make.announcement(...)`` and the JSON shape of an
announcement (``prodmanager.testing`` collects the factory when the plugin is enabled)."""

import datetime as dt

from prodmanager.testing import factory

from .models import PAIR, Announcement, AnnouncementLevel

API = "http://localhost/api"
# A fixed window far from today, for tests that do not depend on the current time.
START = dt.datetime(2030, 5, 1, 10, 0, tzinfo=dt.UTC)
END = dt.datetime(2030, 5, 31, 18, 0, tzinfo=dt.UTC)


def api_date(value: dt.datetime) -> str:
  """The API's format, ``YYYY-MM-DDTHH:MM`` (UTC)."""
  return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


@factory
def announcement(
  make, name="Announcement", level="medium", start=START, end=END, scope=None, service=None, **values
) -> Announcement:
  """An announcement added directly, on the first scope and service of the test unless given (no
  domain event is emitted this way)."""
  return make.add(
    Announcement,
    name=name,
    level=AnnouncementLevel(level),
    start_date=start,
    end_date=end,
    **make.parent_ids(PAIR, scope=scope, service=service),
    description=values.pop("description", ""),
    creation_date=values.pop("creation_date", start),
    **values,
  )


def expected_announcement(ident: int, scope: int, service: int, name: str, **values) -> dict:
  """The JSON of an announcement (docs/api.md); ``values`` override the defaults.

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
