"""The directives plugins use to extend ProdManager — the whole plugin contract lives here.

Each directive registers through ``config.action`` with a discriminator, so two plugins claiming
the same resource type, navigation entry or dashboard panel fail loudly at startup instead of
silently overriding each other.

=========================  ==========================================================================
directive                  what it registers
=========================  ==========================================================================
add_resource_type          a traversal container + service under ``/<name>`` and ``/api/<name>``
add_aggregate              a computed value (with its schema, link, list column) on another type's objects
add_dependent              children that forbid deleting a row of another type
add_navigation             an entry in the site navigation
add_dashboard_panel        a section of the dashboard and of the grouping axes' pages
add_openapi_fragment       paths and components merged into the OpenAPI document (see api/document.py)
add_api_view / add_crud_api  JSON views on routes generated from the OpenAPI document (see api/)
add_html_crud              the standard HTML list/detail/forms of a resource type (see views/html.py)
add_translations           a folder of ``en.yaml``/``fr.yaml`` catalogues (see i18n.py)
add_demo_data              a loader of demo rows for ``prodmanager demo`` (see demo.py)
=========================  ==========================================================================
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyramid.exceptions import ConfigurationError

from .resources import Container, Item


@dataclass
class ResourceType:
  """What the core knows of a resource type."""

  name: str
  service: type
  container: type = Container
  title: str = ""
  icon: str = ""
  schema: str = ""
  templates: dict = field(default_factory=dict)
  page_values: type | None = None  # the PageValues class of its HTML pages (add_html_crud)

  @property
  def item(self) -> type:
    return self.container.item_class

  @property
  def permission(self) -> str:
    """The token permission that allows writing this type (0.22 names: ``scope_api``...)."""
    return f"{self.name}_api"


@dataclass(frozen=True)
class Aggregate:
  """A computed value ``key`` that a plugin adds to the objects of another type; see :func:`add_aggregate`."""

  key: str
  default: Callable[[], Any]
  provider: Callable[..., dict]
  schema: dict | None = None
  link: str = ""
  href: Callable[..., str] | None = None
  title: str = ""
  cell: str = ""


@dataclass
class NavEntry:
  name: str
  title: str
  href: str
  icon: str
  order: int


@dataclass
class DashboardPanel:
  name: str
  order: int
  render: Callable[..., Any]


def add_resource_type(
  config,
  name: str,
  service: type,
  container: type = Container,
  *,
  title: str = "",
  icon: str = "",
  schema: str = "",
  templates: dict | None = None,
) -> None:
  """Register a resource type: ``Root[name]`` becomes ``container``, backed by ``service``.

  ``schema`` names the OpenAPI component of its JSON object (default: the capitalised name);
  ``templates`` maps ``list``/``detail`` to the plugin's Jinja2 templates.
  """
  # Each type gets its own container and item classes, so that views can pin `context=` to them.
  camel = name.title().replace("_", "")
  container = type(f"{camel}Container", (container,), {})
  container.item_class = type(f"{camel}Item", (container.item_class or Item,), {})
  resource_type = ResourceType(
    name,
    service,
    container,
    title or f"nav.{name}",
    icon or name,
    schema or name.capitalize(),
    templates or {},
  )

  def register():
    config.registry["resource_types"][name] = resource_type

  config.action(("prodmanager.resource_type", name), register)
  # The registry is filled at once too, so that the same plugin can refer to its type right away.
  config.registry["resource_types"][name] = resource_type


def add_aggregate(
  config,
  type_name: str,
  key: str,
  provider: Callable,
  default: Callable,
  *,
  schema: dict | None = None,
  link: str = "",
  href: Callable | None = None,
  title: str = "",
  cell: str = "",
) -> None:
  """Add a computed value ``key`` to objects of ``type_name`` (a count of the plugin's rows...).

  ``provider(dbsession, ids)`` returns ``{id: value}`` for many rows in one query (lists stay at a
  constant number of queries); ``default()`` gives the value of rows it does not return.

  With ``schema`` (the OpenAPI schema of the value), the value is part of the type's JSON object
  and of its documented schema; ``link`` and ``href(request, row)`` add a URL under its ``links``
  (for example the contributing plugin's list filtered on the row). ``title`` and ``cell`` (a
  template receiving ``row``, ``value`` and ``resource_type``) add a column to the HTML list.
  So everything that points at the contributing plugin comes from it, and disappears with it.
  """
  if link and (href is None or schema is None):
    raise ConfigurationError(f"add_aggregate {type_name}.{key}: a link needs href= and schema=")
  if bool(title) != bool(cell):
    raise ConfigurationError(f"add_aggregate {type_name}.{key}: an HTML column needs both title= and cell=")
  aggregate = Aggregate(key, default, provider, schema, link, href, title, cell)
  if schema is not None:
    # The document is composed while the plugins are included (like add_openapi_fragment).
    document_aggregate(config, type_name, aggregate)

  def register():
    config.registry["resource_aggregates"].setdefault(type_name, []).append(aggregate)

  config.action(("prodmanager.aggregate", type_name, key), register)


def document_aggregate(config, type_name: str, aggregate: Aggregate) -> None:
  """Add an aggregate's value (and link) to the OpenAPI schema of ``type_name``'s objects."""
  resource_type = config.registry["resource_types"].get(type_name)
  schemas = config.registry["openapi.document"].document.get("components", {}).get("schemas", {})
  component = schemas.get(resource_type.schema) if resource_type else None
  if component is None:
    raise ConfigurationError(
      f"add_aggregate {type_name}.{aggregate.key}: {type_name!r} has no documented object schema"
    )
  component.setdefault("properties", {})[aggregate.key] = aggregate.schema
  component.setdefault("required", []).append(aggregate.key)
  if aggregate.link:
    links = component["properties"].setdefault("links", {"type": "object", "required": [], "properties": {}})
    links.setdefault("properties", {})[aggregate.link] = {"type": "string"}
    links.setdefault("required", []).append(aggregate.link)
    if "links" not in component["required"]:
      component["required"].append("links")


def add_dependent(config, type_name: str, label: str, counter: Callable) -> None:
  """Forbid deleting a ``type_name`` row while ``counter(dbsession, id)`` counts children (``label``)."""

  def register():
    config.registry["resource_dependents"].setdefault(type_name, []).append((label, counter))

  config.action(("prodmanager.dependent", type_name, label), register)


def add_navigation(config, name: str, title: str, href: str, icon: str = "", order: int = 100) -> None:
  """Add a link to the site navigation (sorted by ``order``)."""

  def register():
    entries = config.registry["navigation"]
    entries.append(NavEntry(name, title, href, icon or name, order))
    entries.sort(key=lambda entry: (entry.order, entry.name))

  config.action(("prodmanager.navigation", name), register)


def add_dashboard_panel(config, name: str, render: Callable, order: int = 100) -> None:
  """Add a dashboard section: ``render(request, **groups)`` returns Markup or ''.

  On the dashboard ``groups`` is empty; on a grouping axis's page it holds that row under the
  axis's name (``render(request, scope=row)``), see :mod:`prodmanager.panels`.
  """

  def register():
    panels = config.registry["dashboard_panels"]
    panels.append(DashboardPanel(name, order, render))
    panels.sort(key=lambda panel: (panel.order, panel.name))

  config.action(("prodmanager.dashboard_panel", name), register)


def includeme(config):
  config.registry["resource_types"] = {}
  config.registry["resource_aggregates"] = {}
  config.registry["resource_dependents"] = {}
  config.registry["navigation"] = []
  config.registry["dashboard_panels"] = []
  config.add_directive("add_resource_type", add_resource_type)
  config.add_directive("add_aggregate", add_aggregate)
  config.add_directive("add_dependent", add_dependent)
  config.add_directive("add_navigation", add_navigation)
  config.add_directive("add_dashboard_panel", add_dashboard_panel)
