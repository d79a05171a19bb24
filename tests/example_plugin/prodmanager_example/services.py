"""Domain service of runbooks: fields, filters, JSON shape. HTML pages and the API both use it."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from prodmanager.fields import MAX_TEXT, Reference, Text, Url
from prodmanager.services import Filter, ResourceService
from prodmanager.urls import api_url
from prodmanager_service.models import Service

from .models import Runbook


class RunbookService(ResourceService):
  model = Runbook
  type_name = "runbook"
  unique = ("name",)
  search_columns = ("name", "description")
  fields = (
    Text("name", required=True, min_length=4, max_length=255),
    Text("description", max_length=MAX_TEXT, multiline=True),
    Url("url"),
    Reference("service", required=True, model=Service, attribute="service_id"),
  )

  @classmethod
  def filter_declarations(cls):
    return [Filter("service", Runbook.service_id, "int", model=Service)]

  def load_options(self, statement):
    return statement.options(joinedload(Runbook.service))

  def get(self, ident: int):
    return self.db.get(Runbook, ident, options=[joinedload(Runbook.service)])

  def serialize(self, row, extra: dict) -> dict:
    return {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      "url": row.url,
      "service": row.service_id,
      "links": {
        "self": api_url(self.request, "runbook", row.id),
        "service": api_url(self.request, "service", row.service_id),
      },
    }


def runbooks_counter(db, service_id: int) -> int:
  """How many runbooks a service has (registered with add_dependent)."""
  return db.scalar(select(func.count()).select_from(Runbook).where(Runbook.service_id == service_id))
