"""Domain service of announcements: validation, the window rule, filters, orders, JSON shape."""

from prodmanager.db import enum_rank, utcnow
from prodmanager.domain_events import emit
from prodmanager.fields import MAX_TEXT, Choice, DateTime, Text, format_datetime
from prodmanager.membership import MemberService
from prodmanager.services import Filter
from prodmanager.timeline import encode_value
from prodmanager.urls import api_url

from .models import PAIR, Announcement, AnnouncementLevel

LEVELS = [level.value for level in AnnouncementLevel]


def level_rank():
  """Levels are stored as their text, whose alphabetical order (high, low, medium) means nothing:
  order by the rank of the value in the enum's declaration (high < medium < low), a SQL CASE."""
  return enum_rank(Announcement.level, AnnouncementLevel)


class AnnouncementService(MemberService):
  model = Announcement
  membership = PAIR
  type_name = "announcement"
  weather_field = "level"
  unique = ()
  search_columns = ("name", "description")
  default_sort = "-start_date"
  fields = (
    Text("name", required=True, min_length=4, max_length=255),
    Text("description", max_length=MAX_TEXT, multiline=True),
    Choice("level", required=True, enum=AnnouncementLevel, prefix="announcement_level"),
    *PAIR.fields(),
    DateTime("start_date", required=True),
    DateTime("end_date", required=True),
  )

  @classmethod
  def filter_declarations(cls):
    return [
      Filter("level", Announcement.level, "enum", AnnouncementLevel, prefix="announcement_level"),
      *PAIR.filters(Announcement),
      Filter("start_before", Announcement.start_date, "before"),
      Filter("start_after", Announcement.start_date, "after"),
      Filter("end_before", Announcement.end_date, "before"),
      Filter("end_after", Announcement.end_date, "after"),
    ]

  @classmethod
  def sort_orders(cls):
    start, end, name, ident = (
      Announcement.start_date,
      Announcement.end_date,
      Announcement.name,
      Announcement.id,
    )
    rank = level_rank()
    return {
      # Default (docs/api.md#lists): the latest start first, then the most important level.
      "-start_date": [start.desc(), rank, ident.desc()],
      "start_date": [start.asc(), rank, ident.asc()],
      "-end_date": [end.desc(), rank, ident.desc()],
      "end_date": [end.asc(), rank, ident.asc()],
      "level": [rank, start.desc(), ident.desc()],
      "-level": [rank.desc(), start.desc(), ident.desc()],
      "name": [name.asc(), ident.asc()],
      "-name": [name.desc(), ident.desc()],
    }

  def check(self, values: dict, row) -> dict:
    return self.check_date_order(values, row, "start_date", "end_date")

  def prepare_create(self, row, values: dict) -> None:
    # A description left out is stored as empty text (the Markdown field's empty value; 0.22
    # answered 500 there), so only the server's date is set here.
    row.creation_date = utcnow()

  def after_change(self, row, changes) -> None:
    # Announcements have no timeline: their domain events are emitted here, delivered after commit.
    if changes is None:
      emit(self.db, "announcement.created", self.type_name, row.id)
    else:
      emit(
        self.db,
        "announcement.updated",
        self.type_name,
        row.id,
        changes={field: [encode_value(old), encode_value(new)] for field, (old, new) in changes.items()},
      )

  def ongoing(self, statement, now):
    """Restrict a statement to the announcements ongoing at ``now`` (start <= now <= end)."""
    return statement.where(Announcement.start_date <= now, Announcement.end_date >= now)

  def serialize(self, row, extra: dict) -> dict:
    return {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      "level": row.level.value,
      **PAIR.ids(row),
      "creation_date": format_datetime(row.creation_date),
      "start_date": format_datetime(row.start_date),
      "end_date": format_datetime(row.end_date),
      "links": {
        "self": api_url(self.request, "announcement", row.id),
        **PAIR.links(self.request, row),
      },
    }
