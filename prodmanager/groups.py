"""Grouping axes: the shared model columns, service, JSON shape and pages of a type that other
types' rows belong to (the scope and service plugins build on it; see prodmanager.membership for
the rows that belong to them).

Every grouping axis has the same fields and rules (docs/user-guide.md#scopes-and-services); each plugin keeps its own
table, migration and registration. What other plugins show on an axis's objects (counts, links,
list columns, panels) they declare themselves with ``add_aggregate`` and ``add_dashboard_panel``:
nothing here names them, so a disabled plugin leaves nothing pointing at it.
"""

from markupsafe import Markup
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .actions import caller_config
from .fields import MAX_TEXT
from .fields import Text as TextField
from .services import ResourceService
from .state import app_state
from .status import overall_status
from .urls import api_url
from .views.pages import PageValues


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
    data = {
      "id": row.id,
      "name": row.name,
      "description": row.description or "",
      "links": {"self": api_url(self.request, self.type_name, row.id)},
    }
    return self.with_aggregates(row, extra, data)


class GroupPages(PageValues):
  """What the pages of a grouping axis show besides its fields."""

  def list_values(self, rows: list) -> dict:
    """The list columns that other plugins add (``add_aggregate(title=..., cell=...)``)."""
    aggregates = app_state(self.request.registry).aggregates.of(self.service.type_name)
    return {"columns": [aggregate for aggregate in aggregates if aggregate.cell]}

  def detail_values(self, row) -> dict:
    """The dashboard panels restricted to this row (each plugin's panel takes ``<axis>=row``)."""
    panels = [
      Markup(panel.render(self.request, **{self.service.type_name: row}))
      for panel in app_state(self.request.registry).dashboard_panels
    ]
    return {"panels": [panel for panel in panels if panel.strip()]}


def group_schema() -> dict:
  """OpenAPI schema of a grouping axis's object (0.22 shape), before the aggregates that plugins
  add to it (``add_aggregate(schema=...)``)."""
  return {
    "type": "object",
    "required": ["id", "name", "description", "links"],
    "properties": {
      "id": {"type": "integer"},
      "name": {"type": "string"},
      "description": {"type": "string"},
      "links": {"type": "object", "required": ["self"], "properties": {"self": {"type": "string"}}},
    },
  }


GROUP_TEMPLATES = {
  "list": "prodmanager:templates/groups/list.jinja2",
  "detail": "prodmanager:templates/groups/detail.jinja2",
}


def register_group(config, name: str, service: type, order: int) -> None:
  """Register a grouping axis: resource type, API, pages, navigation and OpenAPI schema.

  Each registration's origin is the line that called this function (the plugin's), so a conflict
  with another plugin names the plugin's file and line."""
  config = caller_config(config)
  config.add_resource_type(name, service, icon=name, templates=GROUP_TEMPLATES)
  config.add_openapi_fragment({"components": {"schemas": {name.capitalize(): group_schema()}}})
  config.add_crud_api(name)
  config.add_html_crud(name, page_values=GroupPages)
  config.add_navigation(name, f"nav.{name}", f"/{name}", icon=name, order=order)
  config.add_badge(name, lambda request, row: overall_status(request, **{name: row}))


def demo_group_loader(model: type, entries: list[tuple[str, str]]):
  """A demo data loader creating ``(name, description)`` rows of a grouping axis's table.

  The rows are stored in ``context.objects[<table name>]`` for the loaders that run after it.
  """

  def load(context) -> int:
    rows = [model(name=name, description=description) for name, description in entries]
    context.session.add_all(rows)
    context.session.flush()
    context.objects[model.__tablename__] = rows
    return len(rows)

  return load
