"""Domain service of incidents: validation, milestone dates, timeline, lists, counts per scope and service.

Milestones (docs/user-guide.md#incidents). Each status past ``active`` has a date: investigating →
``investigation_date``, stable → ``stable_date``, resolved → ``resolve_date`` (``active`` has
``start_impact_date``, which defaults to now and is never cleared). When the status changes:

* the new status's date, when empty, is filled with now;
* the dates of the statuses above the new one are cleared (moving back);
* the statuses skipped on the way forward get no date;
* a date the caller gives explicitly wins over all of this (also on creation: a caller may create
  a resolved incident with its dates). A date equal, to the minute, to the stored one is not a
  change: the HTML update form sends every date back pre-filled, at the API's minute precision.

Order. Enums are stored as their string values, so "by status" and "by severity" use
:func:`prodmanager.db.enum_rank`, a CASE built from the enums' declaration order (one source of
truth, no rank column to keep in step). The default order is ``start_impact_date`` newest first
(indexed), then status, then severity. ``sort`` offers the orders of :data:`SORT_HELP`.
"""

import datetime as dt

from prodmanager.db import enum_rank, utcnow
from prodmanager.domain_events import emit
from prodmanager.errors import Message, ValidationFailed
from prodmanager.fields import MAX_TEXT, Choice, DateTime, Text, Url, format_datetime
from prodmanager.membership import MemberService
from prodmanager.services import Filter
from prodmanager.timeline import TimelineService
from prodmanager.urls import api_url

from .models import PAIR, Incident, IncidentEvent, IncidentSeverity, IncidentStatus

STATUSES = [status.value for status in IncidentStatus]
RANK = {status: rank for rank, status in enumerate(IncidentStatus)}
# The date of each status; ``active``'s date is the start of the impact.
MILESTONES = (
  (IncidentStatus.ACTIVE, "start_impact_date"),
  (IncidentStatus.INVESTIGATING, "investigation_date"),
  (IncidentStatus.STABLE, "stable_date"),
  (IncidentStatus.RESOLVED, "resolve_date"),
)
DATE_FIELDS = tuple(name for _, name in MILESTONES)
SORT_HELP = {
  "-start_impact_date": "start of impact, newest first, then status and severity (default)",
  "start_impact_date": "start of impact, oldest first, then status and severity",
  "status": "status (active first), then severity, then start of impact newest first",
  "severity": "severity (critical first), then status, then start of impact newest first",
  "-creation_date": "creation date, newest first",
  "name": "name A→Z",
  "-name": "name Z→A",
}


def status_rank():
  return enum_rank(Incident.status, IncidentStatus)


def severity_rank():
  return enum_rank(Incident.severity, IncidentSeverity)


def default_order() -> list:
  return [Incident.start_impact_date.desc(), status_rank(), severity_rank(), Incident.id.desc()]


class IncidentService(TimelineService, MemberService):
  model = Incident
  membership = PAIR
  event_model = IncidentEvent
  type_name = "incident"
  keeps_serialized = True
  unique = ()
  search_columns = ("name", "description", "external_reference")
  default_sort = "-start_impact_date"
  sort_help = SORT_HELP
  fields = (
    Text("name", required=True, min_length=4, max_length=255),
    Text("description", max_length=MAX_TEXT, multiline=True),
    Choice("severity", required=True, enum=IncidentSeverity, prefix="severity"),
    Choice("status", enum=IncidentStatus, prefix="incident_status", default=IncidentStatus.ACTIVE),
    *PAIR.fields(),
    Text("external_reference", max_length=255),
    Url("external_link"),
    DateTime("start_impact_date", create_help="incident.start_impact_now"),
    DateTime("investigation_date"),
    DateTime("stable_date"),
    DateTime("resolve_date"),
  )

  # -- lists -----------------------------------------------------------------------------------

  @classmethod
  def filter_declarations(cls):
    return [
      Filter("status", Incident.status, "enum", IncidentStatus, prefix="incident_status"),
      Filter("severity", Incident.severity, "enum", IncidentSeverity, prefix="severity"),
      *PAIR.filters(Incident),
      Filter("external_reference", Incident.external_reference, "text"),
      Filter("impact_after", Incident.start_impact_date, "after"),
      Filter("impact_before", Incident.start_impact_date, "before"),
    ]

  @classmethod
  def sort_orders(cls):
    newest, oldest = Incident.start_impact_date.desc(), Incident.start_impact_date.asc()
    return {
      "-start_impact_date": default_order(),
      "start_impact_date": [oldest, status_rank(), severity_rank(), Incident.id.asc()],
      "status": [status_rank(), severity_rank(), newest, Incident.id.desc()],
      "severity": [severity_rank(), status_rank(), newest, Incident.id.desc()],
      "-creation_date": [Incident.creation_date.desc(), Incident.id.desc()],
      "name": [Incident.name.asc(), Incident.id.asc()],
      "-name": [Incident.name.desc(), Incident.id.desc()],
    }

  # -- milestones ------------------------------------------------------------------------------

  def check(self, values: dict, row) -> dict:
    """The resolution must not come before the start of the impact (also checked, once the
    milestones are derived, in :meth:`apply_milestones`). An update moving the incident back below
    resolved clears the resolution date: nothing to compare then."""
    if row is not None and (values.get("status") or row.status) is not IncidentStatus.RESOLVED:
      return {}
    return self.check_date_order(values, row, "start_impact_date", "resolve_date")

  def prepare_create(self, row, values: dict) -> None:
    values["status"] = values.get("status") or IncidentStatus.ACTIVE
    values["description"] = values.get("description") or ""
    values["creation_date"] = utcnow()
    given = {name: values[name] for name in DATE_FIELDS if values.get(name) is not None}
    self.apply_milestones(values, given, None, {name: None for name in DATE_FIELDS})

  def prepare_update(self, row, values: dict) -> None:
    if "status" in values and values["status"] is None:
      values["status"] = row.status
    if "description" in values and values["description"] is None:
      values["description"] = ""
    stored = {name: getattr(row, name) for name in DATE_FIELDS}
    given = {}
    for name in DATE_FIELDS:
      if name not in values:
        continue
      # The core already put back the stored value of a date sent back unchanged: not a given date.
      if values[name] is not None and values[name] != stored[name]:
        given[name] = values[name]
    if "start_impact_date" in values and values["start_impact_date"] is None:
      values["start_impact_date"] = stored["start_impact_date"]  # required once set
    self.apply_milestones(values, given, row.status, stored)

  def apply_milestones(self, values: dict, given: dict, old_status, stored: dict) -> None:
    """Derive the milestone dates from a status change (see the module docstring)."""
    new_status = values.get("status") or old_status
    moment = utcnow()
    if values.get("start_impact_date", stored["start_impact_date"]) is None:
      values["start_impact_date"] = moment
    if new_status != old_status:
      for status, name in MILESTONES:
        if name in given:
          continue  # the caller's date wins
        if RANK[status] > RANK[new_status]:
          values[name] = None  # never the start of impact: active is the lowest status
        elif status is new_status and values.get(name, stored[name]) is None:
          values[name] = stored[name] or moment
    start = values.get("start_impact_date", stored["start_impact_date"])
    resolved = values.get("resolve_date", stored["resolve_date"])
    if resolved is not None and resolved < start:
      # A resolution date given with the request is refused by check(), with the other errors;
      # this one is derived (resolved now, with an impact said to start later).
      raise ValidationFailed(
        self.failure_message(old_status),
        {"resolve_date": [Message("validation.not_before", other=self.field_label("start_impact_date"))]},
      )

  # -- timeline and domain events --------------------------------------------------------------

  def domain_events(self, row, changes) -> None:
    super().domain_events(row, changes)
    if changes and "status" in changes:
      old, new = changes["status"]
      emit(self.db, "incident.status_changed", "incident", row.id, old=old.value, new=new.value)

  # -- output ----------------------------------------------------------------------------------

  def serialize(self, row, extra: dict) -> dict:
    return {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      "external_reference": row.external_reference,
      "external_link": row.external_link,
      "status": row.status.value,
      "severity": row.severity.value,
      **PAIR.ids(row),
      "creation_date": format_datetime(row.creation_date),
      "start_impact_date": format_datetime(row.start_impact_date),
      "investigation_date": format_datetime(row.investigation_date),
      "stable_date": format_datetime(row.stable_date),
      "resolve_date": format_datetime(row.resolve_date),
      "events": [self.serialize_event(event) for event in extra.get("events", [])],
      "links": {
        "self": api_url(self.request, "incident", row.id),
        **PAIR.links(self.request, row),
      },
    }


def format_duration(request, delta: dt.timedelta | None) -> str:
  """``2 d 3 h 5 min`` (translated); minutes are rounded down."""
  if delta is None:
    return ""
  minutes = max(0, int(delta.total_seconds() // 60))
  days, rest = divmod(minutes, 24 * 60)
  hours, minutes = divmod(rest, 60)
  if days:
    return request._("incident.duration_days", days=days, hours=hours, minutes=minutes)
  if hours:
    return request._("incident.duration_hours", hours=hours, minutes=minutes)
  return request._("incident.duration_minutes", minutes=minutes)
