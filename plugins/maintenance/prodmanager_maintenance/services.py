"""Domain service of maintenances: validation, status rules, timeline, lists, counts and weather."""

from prodmanager.db import enum_rank, utcnow
from prodmanager.domain_events import emit
from prodmanager.fields import MAX_TEXT, Choice, DateTime, Text, Url, format_datetime
from prodmanager.membership import MemberService
from prodmanager.services import Filter
from prodmanager.timeline import TimelineService
from prodmanager.urls import api_url

from .models import PAIR, PAST, Maintenance, MaintenanceEvent, MaintenanceStatus, ServiceStatus

STATUSES = [status.value for status in MaintenanceStatus]
DATE_FIELDS = ("scheduled_start_date", "scheduled_end_date", "start_date", "end_date")


class MaintenanceService(TimelineService, MemberService):
  model = Maintenance
  membership = PAIR
  event_model = MaintenanceEvent
  type_name = "maintenance"
  unique = ()
  search_columns = ("name", "description", "external_reference")
  default_sort = "-scheduled_start_date"
  fields = (
    Text("name", required=True, min_length=4, max_length=255),
    Text("description", max_length=MAX_TEXT, multiline=True),
    Text("external_reference", max_length=255),
    Url("external_link"),
    Choice(
      "status", enum=MaintenanceStatus, prefix="maintenance_status", default=MaintenanceStatus.SCHEDULED
    ),
    Choice("service_status", required=True, enum=ServiceStatus, prefix="service_status"),
    *PAIR.fields(),
    DateTime("scheduled_start_date", required=True),
    DateTime("scheduled_end_date", required=True),
    DateTime("start_date"),
    DateTime("end_date"),
  )

  # -- reading ---------------------------------------------------------------------------------

  @classmethod
  def filter_declarations(cls):
    return [
      Filter("status", Maintenance.status, "enum", MaintenanceStatus, prefix="maintenance_status"),
      Filter("service_status", Maintenance.service_status, "enum", ServiceStatus, prefix="service_status"),
      *PAIR.filters(Maintenance),
      Filter("external_reference", Maintenance.external_reference, "text"),
      Filter("start_after", Maintenance.scheduled_start_date, "after"),
      Filter("start_before", Maintenance.scheduled_start_date, "before"),
      Filter("end_after", Maintenance.scheduled_end_date, "after"),
      Filter("end_before", Maintenance.scheduled_end_date, "before"),
    ]

  @classmethod
  def sort_orders(cls):
    # Statuses are stored as strings, whose alphabetical order ("canceled" < "failed" <
    # "in-progress"...) means nothing: enum_rank orders them as declared (scheduled first).
    rank = enum_rank(Maintenance.status, MaintenanceStatus)
    start, end, ident = Maintenance.scheduled_start_date, Maintenance.scheduled_end_date, Maintenance.id
    return {
      "-scheduled_start_date": [start.desc(), rank, ident.desc()],
      "scheduled_start_date": [start.asc(), rank, ident.asc()],
      "-scheduled_end_date": [end.desc(), rank, ident.desc()],
      "scheduled_end_date": [end.asc(), rank, ident.asc()],
      "status": [rank, start.desc(), ident.desc()],
      "-status": [rank.desc(), start.desc(), ident.desc()],
      "name": [Maintenance.name.asc(), ident.asc()],
      "-name": [Maintenance.name.desc(), ident.desc()],
    }

  # -- writing ---------------------------------------------------------------------------------

  def check(self, values: dict, row) -> dict:
    reasons = self.check_date_order(values, row, "scheduled_start_date", "scheduled_end_date")
    reasons.update(self.check_date_order(values, row, "start_date", "end_date"))
    return reasons

  def prepare_create(self, row, values: dict) -> None:
    row.creation_date = utcnow()
    values["description"] = values.get("description") or ""
    if values.get("status") is None:
      values["status"] = MaintenanceStatus.SCHEDULED
    self.apply_status_dates(None, values)

  def prepare_update(self, row, values: dict) -> None:
    if "status" in values and values["status"] is None:
      values["status"] = row.status  # an emptied status keeps the current one
    if "description" in values and values["description"] is None:
      values["description"] = ""
    self.apply_status_dates(row, values)

  @staticmethod
  def apply_status_dates(row, values: dict) -> None:
    """Actual dates follow the status (docs/user-guide.md#maintenances); a date the caller changed wins.

    ``in-progress`` fills ``start_date`` when empty; succeed/failed/canceled fill ``end_date`` when
    empty; back to ``in-progress`` clears ``end_date`` (the work is not over); back to ``scheduled``
    clears both. A date sent unchanged (an update form sends every field) does not count as the
    caller's choice, so the web form and the API follow the same rules.
    """
    old = row.status if row is not None else None
    new = values.get("status", old)
    if new == old:
      return

    def current(name):
      return getattr(row, name) if row is not None else None

    def given(name):
      return name in values and values[name] != current(name)

    def value(name):
      return values[name] if name in values else current(name)

    stamp = utcnow()
    if new is MaintenanceStatus.IN_PROGRESS:
      if not given("start_date") and value("start_date") is None:
        values["start_date"] = stamp
      if not given("end_date") and old in PAST:
        values["end_date"] = None
    elif new in PAST:
      if not given("end_date") and value("end_date") is None:
        values["end_date"] = stamp
    elif new is MaintenanceStatus.SCHEDULED:
      for name in ("start_date", "end_date"):
        if not given(name):
          values[name] = None

  def after_change(self, row, changes) -> None:
    super().after_change(row, changes)
    if changes is None or {"scope", "service"} & set(changes):
      # Refresh the relationships used by the pages after the ids changed.
      self.db.flush()
      self.db.refresh(row, attribute_names=["scope", "service"])

  def domain_events(self, row, changes) -> None:
    """``maintenance.created`` ("maintenance scheduled"), ``maintenance.updated`` and, when the
    status changed, ``maintenance.status_changed`` with the old and new status."""
    super().domain_events(row, changes)
    if changes and "status" in changes:
      old, new = changes["status"]
      emit(self.db, "maintenance.status_changed", self.type_name, row.id, old=old.value, new=new.value)

  # -- output ----------------------------------------------------------------------------------

  def serialize(self, row, extra: dict) -> dict:
    return {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      "external_reference": row.external_reference,
      "external_link": row.external_link,
      "status": row.status.value,
      "service_status": row.service_status.value,
      **PAIR.ids(row),
      "creation_date": format_datetime(row.creation_date),
      "scheduled_start_date": format_datetime(row.scheduled_start_date),
      "scheduled_end_date": format_datetime(row.scheduled_end_date),
      "start_date": format_datetime(row.start_date),
      "end_date": format_datetime(row.end_date),
      "events": [self.serialize_event(event) for event in extra.get("events", [])],
      "links": {
        "self": api_url(self.request, "maintenance", row.id),
        **PAIR.links(self.request, row),
        "calendar": api_url(self.request, "maintenance", row.id, "calendar"),
      },
    }
