"""iCalendar (RFC 5545) output of maintenances: one event, and a subscribable feed (docs/api.md#calendars).

Every event carries a stable UID (``maintenance-<id>@<host>``), its scheduled window in UTC, a plain
text description, the URL of its page, ``STATUS:CONFIRMED`` (``CANCELLED`` for a canceled one, so
that subscribed calendars strike it out), a 15-minute display alarm (not on canceled ones: nobody
wants to be reminded of work that will not happen), and ``SEQUENCE``/``LAST-MODIFIED`` taken from
its timeline. ``DTSTAMP`` is the last change too, not the time of the request: the same maintenance
always gives the same bytes, so ETags and 304 answers work for calendar clients that poll.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import TYPE_CHECKING

import nh3
from pyramid.response import Response
from sqlalchemy import func, or_, select

from prodmanager.db import utcnow
from prodmanager.markdown import render_markdown
from prodmanager.text import icalendar_text
from prodmanager.timeline import EventType

from .models import PAIR, PAST, Maintenance, MaintenanceEvent, MaintenanceStatus

# icalendar (8 MB) is imported at the first calendar a process renders (build_event, build_calendar):
# a web process whose calendars are answered from the cache never loads it.
if TYPE_CHECKING:
  from icalendar import Event

PRODID = "-//ProdManager//Maintenance calendar//EN"
ALARM_BEFORE = dt.timedelta(minutes=15)
FEED_RECENT = dt.timedelta(days=30)  # past maintenances ended less than this ago stay in the feed
FEED_LIMIT = 500
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
  """A file name made only of [A-Za-z0-9._-] (never the raw maintenance name in a header)."""
  cleaned = _UNSAFE_FILENAME.sub("-", name).strip("-.") or "calendar"
  return cleaned if cleaned.endswith(".ics") else f"{cleaned}.ics"


def plain_text(markdown_text: str) -> str:
  """The text of a Markdown description, without markup (DESCRIPTION is plain text)."""
  rendered = str(render_markdown(markdown_text))
  rendered = re.sub(r"<br\s*/?>", "\n", rendered)
  rendered = re.sub(r"</(p|li|h[1-6]|tr|pre|blockquote)>", "\n", rendered)
  text = html.unescape(nh3.clean(rendered, tags=set()))
  return re.sub(r"\n{3,}", "\n\n", text).strip()


def revisions(db, ids: list[int]) -> dict[int, tuple[int, dt.datetime | None]]:
  """(number of updates, time of the last event) per maintenance, in one grouped query."""
  if not ids:
    return {}
  statement = (
    select(
      MaintenanceEvent.parent_id,
      func.count().filter(MaintenanceEvent.type == EventType.UPDATE),
      func.max(MaintenanceEvent.creation_date),
    )
    .where(MaintenanceEvent.parent_id.in_(ids))
    .group_by(MaintenanceEvent.parent_id)
  )
  result = {}
  for ident, updates, last in db.execute(statement):
    if last is not None and last.tzinfo is None:
      last = last.replace(tzinfo=dt.UTC)  # aggregates bypass the column type on SQLite
    result[ident] = (updates, last)
  return result


def utc(value: dt.datetime) -> dt.datetime:
  return value.astimezone(dt.UTC).replace(microsecond=0)


def build_event(request, row, revision: tuple[int, dt.datetime | None]) -> Event:
  """One VEVENT; its texts without the characters iCalendar cannot carry (rows stored before input
  refused them must not make a calendar unreadable)."""
  from icalendar import Alarm, Event  # see PRODID

  _ = request._
  updates, last_event = revision
  modified = utc(max(filter(None, [row.creation_date, last_event])))
  event = Event()
  event.add("uid", f"maintenance-{row.id}@{request.domain}")
  event.add("dtstamp", modified)
  event.add("last-modified", modified)
  event.add("created", utc(row.creation_date))
  event.add("sequence", updates)
  event.add("dtstart", utc(row.scheduled_start_date))
  event.add("dtend", utc(row.scheduled_end_date))
  event.add("summary", icalendar_text(row.name))
  lines = [plain_text(row.description)] if row.description else []
  details = [
    f"{_('fields.status')}: {_('maintenance_status.' + row.status.value)}",
    f"{_('fields.service_status')}: {_('service_status.' + row.service_status.value)}",
    f"{_('fields.scope')}: {row.scope.name}",
    f"{_('fields.service')}: {row.service.name}",
  ]
  if row.external_reference:
    details.append(f"{_('fields.external_reference')}: {row.external_reference}")
  lines.append("\n".join(details))
  page = f"{request.application_url}/maintenance/{row.id}"
  lines.append(page)
  event.add("description", icalendar_text("\n\n".join(lines)))
  event.add("url", page)
  event.add("categories", [_("maintenance.singular")])
  event.add("transp", "OPAQUE")
  canceled = row.status is MaintenanceStatus.CANCELED
  event.add("status", "CANCELLED" if canceled else "CONFIRMED")
  if not canceled:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -ALARM_BEFORE)
    alarm.add("description", icalendar_text(_("maintenance.alarm", name=row.name)))
    event.add_component(alarm)
  return event


def build_calendar(request, rows: list, name: str | None = None) -> bytes:
  from icalendar import Calendar  # see PRODID

  calendar = Calendar()
  calendar.add("prodid", PRODID)
  calendar.add("version", "2.0")
  calendar.add("calscale", "GREGORIAN")
  calendar.add("method", "PUBLISH")
  if name:
    calendar.add("x-wr-calname", icalendar_text(name))
  known = revisions(request.dbsession, [row.id for row in rows])
  for row in rows:
    calendar.add_component(build_event(request, row, known.get(row.id, (0, None))))
  return calendar.to_ical()


def calendar_response(body: bytes, filename: str, disposition: str = "attachment") -> Response:
  response = Response(body=body, content_type="text/calendar", charset="utf-8")
  response.headers["Content-Disposition"] = f'{disposition}; filename="{safe_filename(filename)}"'
  return response


def feed_rows(db, scope_id: int | None, service_id: int | None) -> list:
  """Upcoming and running maintenances, and those that ended (or were canceled) recently."""
  since = utcnow() - FEED_RECENT
  statement = (
    select(Maintenance)
    .options(*PAIR.eager(Maintenance))
    .where(
      or_(
        Maintenance.status.in_([MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS]),
        Maintenance.status.in_(PAST)
        & (func.coalesce(Maintenance.end_date, Maintenance.scheduled_end_date) >= since),
      )
    )
    .order_by(Maintenance.scheduled_start_date.desc(), Maintenance.id.desc())
    .limit(FEED_LIMIT)
  )
  statement = statement.where(*PAIR.where(Maintenance, scope=scope_id, service=service_id))
  return list(db.scalars(statement))
