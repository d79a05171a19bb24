"""Domain service of monitors: validation, status history, counts per scope and service."""

from sqlalchemy import select

from prodmanager.domain_events import emit
from prodmanager.fields import MAX_TEXT, Choice, Text, Url, format_datetime
from prodmanager.membership import MemberService
from prodmanager.runs import freshness_many
from prodmanager.services import Filter
from prodmanager.urls import api_url

from .models import PAIR, STATUSES, Monitor, MonitorStatus, MonitorStatusChange

__all__ = ["STATUSES", "MonitorService", "record_status_change"]


def record_status_change(session, row, old, new, *, source: str = "") -> None:
  """Record one status of ``row`` in its history (``old`` None: its first status); a change (``old``
  set) also emits ``monitor.status_changed`` (``old``, ``new``, ``source``: the integration that
  made it, or "" for an operator's edit)."""
  session.add(MonitorStatusChange(monitor_id=row.id, old_status=old, new_status=new))
  if old is not None:
    emit(session, "monitor.status_changed", "monitor", row.id, old=old.value, new=new.value, source=source)


class MonitorService(MemberService):
  model = Monitor
  membership = PAIR
  type_name = "monitor"
  unique = ()
  search_columns = ("name", "description", "external_reference")
  fields = (
    Text("name", required=True, min_length=4, max_length=255),
    Text("description", max_length=MAX_TEXT, multiline=True),
    Choice("status", enum=MonitorStatus, prefix="monitor_status"),
    Text("integration", max_length=255),
    Text("external_reference", max_length=255),
    Url("external_link"),
    *PAIR.fields(),
  )

  @classmethod
  def filter_declarations(cls):
    return [
      Filter("status", Monitor.status, "enum", MonitorStatus, prefix="monitor_status"),
      *PAIR.filters(Monitor),
      Filter("integration", Monitor.integration, "text"),
    ]

  def prepare_create(self, row, values: dict) -> None:
    if values.get("status") is None:
      values["status"] = MonitorStatus.OK
    values["description"] = values.get("description") or ""

  def prepare_update(self, row, values: dict) -> None:
    if "status" in values and values["status"] is None:
      values["status"] = row.status
    if "description" in values and values["description"] is None:
      values["description"] = ""

  def after_change(self, row, changes) -> None:
    # Every status change is recorded, including the initial status, for uptime figures.
    if changes is None:
      record_status_change(self.db, row, None, row.status)
    elif "status" in changes:
      old, new = changes["status"]
      record_status_change(self.db, row, old, new)
    if changes is None or set(PAIR.names) & set(changes):
      # Refresh the relationships used by the JSON links and the pages after the ids changed.
      self.db.flush()
      self.db.refresh(row, attribute_names=list(PAIR.names))

  def history(self, row, limit: int = 20) -> list:
    statement = (
      select(MonitorStatusChange)
      .where(MonitorStatusChange.monitor_id == row.id)
      .order_by(MonitorStatusChange.changed_at.desc(), MonitorStatusChange.id.desc())
      .limit(limit)
    )
    return list(self.db.scalars(statement))

  def aggregates(self, rows: list) -> dict[int, dict]:
    # Whether each monitor's integration still gets data for it (the "no data since" of its page):
    # one query for the whole page of rows.
    result = super().aggregates(rows)
    fresh = freshness_many(self.db, self.request.registry.settings, rows)
    for row in rows:
      result[row.id]["freshness"] = fresh.get(row.id)
    return result

  def serialize(self, row, extra: dict) -> dict:
    fresh = extra.get("freshness")
    stale = fresh is not None and fresh.stale
    data = {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      **PAIR.ids(row),
      "integration": row.integration,
      "external_reference": row.external_reference,
      "external_link": row.external_link,
      "status": row.status.value,
      "stale": stale,
      "stale_since": format_datetime(fresh.last_data_at) if stale else None,
      "links": {
        "self": api_url(self.request, "monitor", row.id),
        **PAIR.links(self.request, row),
      },
    }
    # What other plugins add to monitors (add_aggregate with a schema), such as their availability.
    return self.with_aggregates(row, extra, data)
