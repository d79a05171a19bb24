"""Domain service of monitors: validation, status history, counts per scope and service."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from prodmanager.fields import MAX_TEXT, Choice, Reference, Text, Url
from prodmanager.services import Filter, ResourceService
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .models import Monitor, MonitorStatus, MonitorStatusChange

STATUSES = [status.value for status in MonitorStatus]


class MonitorService(ResourceService):
  model = Monitor
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
    Reference("scope", required=True, model=Scope, attribute="scope_id"),
    Reference("service", required=True, model=Service, attribute="service_id"),
  )

  @classmethod
  def filter_declarations(cls):
    return [
      Filter("status", Monitor.status, "enum", MonitorStatus, prefix="monitor_status"),
      Filter("scope", Monitor.scope_id, "int", model=Scope),
      Filter("service", Monitor.service_id, "int", model=Service),
      Filter("integration", Monitor.integration, "text"),
    ]

  def load_options(self, statement):
    return statement.options(joinedload(Monitor.scope), joinedload(Monitor.service))

  def get(self, ident: int):
    return self.db.get(Monitor, ident, options=[joinedload(Monitor.scope), joinedload(Monitor.service)])

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
      self.db.add(MonitorStatusChange(monitor_id=row.id, old_status=None, new_status=row.status))
    elif "status" in changes:
      old, new = changes["status"]
      self.db.add(MonitorStatusChange(monitor_id=row.id, old_status=old, new_status=new))
    if changes is None or {"scope", "service"} & set(changes):
      # Refresh the relationships used by the JSON links and the pages after the ids changed.
      self.db.flush()
      self.db.refresh(row, attribute_names=["scope", "service"])

  def history(self, row, limit: int = 20) -> list:
    statement = (
      select(MonitorStatusChange)
      .where(MonitorStatusChange.monitor_id == row.id)
      .order_by(MonitorStatusChange.changed_at.desc(), MonitorStatusChange.id.desc())
      .limit(limit)
    )
    return list(self.db.scalars(statement))

  def serialize(self, row, extra: dict) -> dict:
    return {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      "scope": row.scope_id,
      "service": row.service_id,
      "integration": row.integration,
      "external_reference": row.external_reference,
      "external_link": row.external_link,
      "status": row.status.value,
      "links": {
        "self": self.api_url("monitor", row.id),
        "scope": self.api_url("scope", row.scope_id),
        "service": self.api_url("service", row.service_id),
      },
    }

  def html_detail_context(self, row) -> dict:
    return {"history": self.history(row)}


def monitors_count_provider(column):
  """Counts of monitors per status for many scopes (or services) in one grouped query."""

  def provider(db, ids):
    rows = db.execute(
      select(column, Monitor.status, func.count()).where(column.in_(ids)).group_by(column, Monitor.status)
    ).all()
    counts = {}
    for ident, status, count in rows:
      counts.setdefault(ident, dict.fromkeys(STATUSES, 0))[status.value] = count
    return counts

  return provider


def monitors_counter(column):
  def counter(db, ident):
    return db.scalar(select(func.count()).select_from(Monitor).where(column == ident))

  return counter
