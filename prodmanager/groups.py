"""Grouping axes (scope, service): the shared model columns, service, JSON shape and pages.

Scopes and services have the same fields, rules and computed values (product.md §2.1–2.2), so
both plugins build on this module; each keeps its own table, migration and registration.
"""

from markupsafe import Markup
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .fields import MAX_TEXT
from .fields import Text as TextField
from .services import ResourceService
from .status import overall_status

MONITOR_STATUSES = ("ok", "warning", "alert")


class GroupColumns:
  """Columns of a grouping axis; the plugin's model adds ``__tablename__``."""

  id: Mapped[int] = mapped_column(primary_key=True)
  name: Mapped[str] = mapped_column(String(255), unique=True)  # the unique constraint indexes it
  description: Mapped[str] = mapped_column(Text, default="")


class GroupService(ResourceService):
  """Service of a grouping axis: name (≥ 3, unique) and Markdown description."""

  fields = (
    TextField("name", required=True, min_length=3, max_length=255),
    TextField("description", max_length=MAX_TEXT, multiline=True),
  )

  def serialize(self, row, extra: dict) -> dict:
    name = self.type_name
    counts = extra.get("monitors_count") or {}
    return {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      "incidents_count": extra.get("incidents_count", 0),
      "maintenances_count": extra.get("maintenances_count", 0),
      "monitors_count": {status: counts.get(status, 0) for status in MONITOR_STATUSES},
      "links": {
        "self": self.api_url(name, row.id),
        "incidents": self.api_url("incident") + f"?{name}={row.id}",
        "maintenances": self.api_url("maintenance") + f"?{name}={row.id}",
        "monitors": self.api_url("monitor") + f"?{name}={row.id}",
      },
    }

  def html_detail_context(self, row) -> dict:
    """The dashboard panels restricted to this scope or service (monitors, incidents...)."""
    panels = [
      Markup(panel.render(self.request, **{self.type_name: row}))
      for panel in self.request.registry["dashboard_panels"]
    ]
    return {"panels": [panel for panel in panels if panel.strip()]}


def group_schema(name: str) -> dict:
  """OpenAPI schema of a scope or service object (0.22 shape)."""
  count = {"type": "integer", "minimum": 0}
  return {
    "type": "object",
    "required": [
      "id",
      "name",
      "description",
      "incidents_count",
      "maintenances_count",
      "monitors_count",
      "links",
    ],
    "properties": {
      "id": {"type": "integer"},
      "name": {"type": "string"},
      "description": {"type": "string"},
      "incidents_count": count,
      "maintenances_count": count,
      "monitors_count": {
        "type": "object",
        "required": list(MONITOR_STATUSES),
        "properties": {status: count for status in MONITOR_STATUSES},
      },
      "links": {
        "type": "object",
        "required": ["self", "incidents", "maintenances", "monitors"],
        "properties": {key: {"type": "string"} for key in ("self", "incidents", "maintenances", "monitors")},
      },
    },
  }


GROUP_TEMPLATES = {
  "list": "prodmanager:templates/groups/list.jinja2",
  "detail": "prodmanager:templates/groups/detail.jinja2",
}


def register_group(config, name: str, service: type, order: int) -> None:
  """Register a grouping axis: resource type, API, pages, navigation and OpenAPI schema."""
  config.add_resource_type(name, service, icon=name, templates=GROUP_TEMPLATES)
  config.add_openapi_fragment({"components": {"schemas": {name.capitalize(): group_schema(name)}}})
  config.add_crud_api(name)
  config.add_html_crud(name)
  config.add_navigation(name, f"nav.{name}", f"/{name}", icon=name, order=order)
  config.add_badge(name, lambda request, row: overall_status(request, **{name: row}))


def demo_group_loader(model: type, entries: list[tuple[str, str]]):
  """A demo data loader creating ``(name, description)`` rows of a scope or service table.

  The rows are stored in ``context.objects[<table name>]`` for the loaders that run after it.
  """

  def load(context) -> int:
    rows = [model(name=name, description=description) for name, description in entries]
    context.session.add_all(rows)
    context.session.flush()
    context.objects[model.__tablename__] = rows
    return len(rows)

  return load
