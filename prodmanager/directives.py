"""The directives plugins use to extend ProdManager — the reference is docs/directives.md.

Every directive registers through ``config.action`` with a discriminator and an introspectable
(see :mod:`prodmanager.actions`): two plugins claiming the same resource type, navigation entry or
dashboard panel stop startup naming both calls. What they register lives in typed objects of the
application's state (:mod:`prodmanager.state`).

directive                  what it registers
=========================  ==========================================================================
add_resource_type          a traversal container + service under ``/<name>`` and ``/api/<name>``
add_aggregate              a computed value (with its schema, link, list column) on another type's objects
add_dependent              children that forbid deleting a row of another type
add_navigation             an entry in the site navigation
add_dashboard_panel        a section of the dashboard and of the grouping axes' pages
add_footer_link            a link in the site footer
add_detail_panel           a section of another type's detail pages
add_openapi_fragment       paths and components merged into the OpenAPI document (see api/document.py)
add_api_view / add_crud_api  JSON views on routes generated from the OpenAPI document (see api/)
add_html_crud              the standard HTML list/detail/forms of a resource type (see views/html.py)
add_translations           a folder of ``en.yaml``/``fr.yaml`` catalogues (see i18n.py)
add_demo_data              a loader of demo rows for ``prodmanager demo`` (see demo.py)
=========================  ==========================================================================
=======
This module holds the directives of the site's structure: resource types, their aggregates and
dependents, navigation entries and dashboard panels. The others live with what they extend:
add_openapi_fragment / add_api_view / add_crud_api (prodmanager.api: document, views, crud), add_html_crud
(prodmanager.views.html), add_timeline_api / add_timeline_html (prodmanager.timeline),
add_translations (i18n), add_demo_data (demo), add_status_contributor (status),
add_history_source (history), add_badge (badges), add_domain_event_subscriber (domain_events),
add_setting (settings), add_cli_command (commands), add_job (jobs), add_token_permission (tokens).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pyramid.exceptions import ConfigurationError

from .actions import ORDER_COMPLETE, ORDER_DECLARE, register
from .derived import derived
from .resources import Container, Item
from .state import app_state


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


class ResourceTypes(dict[str, ResourceType]):
  """The registered resource types by name (``Root[name]``), in registration order."""


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
  tables: tuple = ()

  def values(self, request, type_name: str, ids: list[int]) -> dict:
    """``provider``'s values of ``ids``; kept while ``tables`` are not written, when it names any
    (prodmanager.derived)."""
    if not ids:
      return {}
    if not self.tables:
      return self.provider(request.dbsession, ids)
    return derived(
      request,
      f"aggregate:{type_name}.{self.key}",
      self.tables,
      lambda: self.provider(request.dbsession, ids),
      tuple(ids),
    )


class Aggregates:
  """The aggregates of each resource type, in registration order."""

  def __init__(self):
    self.by_type: dict[str, list[Aggregate]] = {}

  def add(self, type_name: str, aggregate: Aggregate) -> None:
    self.by_type.setdefault(type_name, []).append(aggregate)

  def of(self, type_name: str) -> list[Aggregate]:
    return self.by_type.get(type_name, [])


@dataclass(frozen=True)
class Dependent:
  """Children of another type that forbid deleting their parent; see :func:`add_dependent`."""

  label: str
  counter: Callable[..., int]
  title: str = ""  # translation key of the children's name (``nav.incident``); ``label`` when empty
  href: Callable[..., str] | None = None  # ``href(request, ident)``: the page listing the children


class Dependents:
  """The dependents of each resource type, in registration order."""

  def __init__(self):
    self.by_type: dict[str, list[Dependent]] = {}

  def add(self, type_name: str, dependent: Dependent) -> None:
    self.by_type.setdefault(type_name, []).append(dependent)

  def of(self, type_name: str) -> list[Dependent]:
    return self.by_type.get(type_name, [])


@dataclass
class NavEntry:
  name: str
  title: str
  href: str
  icon: str
  order: int
  # Shown to logged-in operators only (their pages: integration runs, drafts...); never in the
  # pages anonymous visitors get, which are the cached ones.
  operator: bool = False


@dataclass
class DashboardPanel:
  name: str
  order: int
  render: Callable[..., Any]


T = TypeVar("T")


class Ordered(Generic[T]):
  """Entries kept sorted by ``(order, name)``: navigation entries, dashboard panels."""

  def __init__(self):
    self.entries: list[T] = []

  def add(self, entry: T) -> None:
    self.entries.append(entry)
    self.entries.sort(key=lambda item: (item.order, item.name))

  def __iter__(self) -> Iterator[T]:
    return iter(self.entries)

  def __len__(self) -> int:
    return len(self.entries)

  def names(self) -> list[str]:
    return [entry.name for entry in self.entries]


class Navigation(Ordered[NavEntry]):
  """The site navigation, in order."""


class DashboardPanels(Ordered[DashboardPanel]):
  """The sections of the dashboard and of scope/service pages, in order."""


class FooterLinks(Ordered[NavEntry]):
  """The links of the site footer, after the core's (About, API), in order."""


@dataclass
class DetailPanel:
  name: str
  order: int
  render: Callable[..., Any]


class DetailPanels:
  """The sections plugins add to another type's detail pages, by type, in order."""

  def __init__(self):
    self.by_type: dict[str, Ordered[DetailPanel]] = {}

  def add(self, type_name: str, panel: DetailPanel) -> None:
    self.by_type.setdefault(type_name, Ordered()).add(panel)

  def of(self, type_name: str) -> list[DetailPanel]:
    return list(self.by_type.get(type_name, []))


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
) -> ResourceType:
  """Register a resource type: ``Root[name]`` becomes ``container``, backed by ``service``.

  ``schema`` names the OpenAPI component of its JSON object (default: the capitalised name);
  ``templates`` maps ``list``/``detail`` to the plugin's Jinja2 templates. Returns the
  :class:`ResourceType` (its ``item`` class is what views of one row pin with ``context=``).
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
  types = app_state(config.registry).resource_types

  def apply():
    types[name] = resource_type

  register(
    config,
    ("prodmanager.resource_type", name),
    apply,
    what="resource types",
    title=name,
    order=ORDER_DECLARE,
    service=service,
    container=container,
  )
  return resource_type


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
  tables=(),
) -> None:
  """Add a computed value ``key`` to objects of ``type_name`` (a count of the plugin's rows...).

  ``provider(dbsession, ids)`` returns ``{id: value}`` for many rows in one query (lists stay at a
  constant number of queries); ``default()`` gives the value of rows it does not return.

  With ``schema`` (the OpenAPI schema of the value), the value is part of the type's JSON object
  and of its documented schema; ``link`` and ``href(request, row)`` add a URL under its ``links``
  (for example the contributing plugin's list filtered on the row). ``title`` and ``cell`` (a
  template receiving ``row``, ``value`` and ``resource_type``) add a column to the HTML list.
  So everything that points at the contributing plugin comes from it, and disappears with it.
  ``tables``, optional, are the tables (mapped classes or names) ``provider`` reads, and nothing
  else: its values are then kept while none of them is written (:mod:`prodmanager.derived`).
  """
  if link and (href is None or schema is None):
    raise ConfigurationError(f"add_aggregate {type_name}.{key}: a link needs href= and schema=")
  if bool(title) != bool(cell):
    raise ConfigurationError(f"add_aggregate {type_name}.{key}: an HTML column needs both title= and cell=")
  aggregate = Aggregate(key, default, provider, schema, link, href, title, cell, tuple(tables))

  def apply():
    if schema is not None:
      document_aggregate(config, type_name, aggregate)
    app_state(config.registry).aggregates.add(type_name, aggregate)

  register(
    config,
    ("prodmanager.aggregate", type_name, key),
    apply,
    what="aggregates",
    title=f"{type_name}.{key}",
    # After the fragments that define the type's object schema, the API directives' included.
    order=ORDER_COMPLETE,
    type_name=type_name,
    key=key,
    link=link,
  )


def document_aggregate(config, type_name: str, aggregate: Aggregate) -> None:
  """Add an aggregate's value (and link) to the OpenAPI schema of ``type_name``'s objects."""
  state = app_state(config.registry)
  resource_type = state.resource_types.get(type_name)
  schemas = state.openapi.document.document.get("components", {}).get("schemas", {})
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


def add_dependent(
  config, type_name: str, label: str, counter: Callable, *, title: str = "", href: Callable | None = None
) -> None:
  """Forbid deleting a ``type_name`` row while ``counter(dbsession, id)`` counts children (``label``).

  ``title`` (a translation key) names the children on the refusal page, and ``href(request, id)``
  links to the page that lists them, so that the operator can move or delete them.
  """
  dependent = Dependent(label, counter, title, href)
  register(
    config,
    ("prodmanager.dependent", type_name, label),
    lambda: app_state(config.registry).dependents.add(type_name, dependent),
    what="dependents",
    title=f"{type_name}: {label}",
    type_name=type_name,
    label=label,
  )


def add_navigation(
  config, name: str, title: str, href: str, icon: str = "", order: int = 100, *, operator: bool = False
) -> None:
  """Add a link to the site navigation (sorted by ``order``, then ``name``); with ``operator``, it
  is shown to logged-in operators only (the operator navigation, after the public entries)."""
  entry = NavEntry(name, title, href, icon or name, order, operator)
  register(
    config,
    ("prodmanager.navigation", name),
    lambda: app_state(config.registry).navigation.add(entry),
    what="navigation",
    title=name,
    href=href,
    order=order,
    operator=operator,
  )


def kept_panel(name: str, tables: tuple, render: Callable) -> Callable:
  """``render``'s HTML kept while ``tables`` are not written (prodmanager.derived), per axis row,
  language and address of the site."""

  def kept(request, **groups):
    restriction = tuple(sorted((axis, getattr(row, "id", None)) for axis, row in groups.items()))
    return derived(
      request,
      f"panel:{name}",
      tables,
      lambda: render(request, **groups),
      restriction,
      request.lang,
      request.host_url,
      request.script_name,
    )

  return kept


def add_dashboard_panel(config, name: str, render: Callable, order: int = 100, tables=()) -> None:
  """Add a dashboard section: ``render(request, **groups)`` returns Markup or ''.

  On the dashboard ``groups`` is empty; on a grouping axis's page it holds that row under the
  axis's name (``render(request, scope=row)``), see :mod:`prodmanager.panels`. ``tables``,
  optional, are the tables (mapped classes or names) the panel reads, and nothing else (a moment
  that time changes it is declared with :func:`prodmanager.cache.changes_at`): the anonymous
  readers' HTML is kept while none of them is written (:mod:`prodmanager.derived`).
  """
  panel = DashboardPanel(name, order, kept_panel(name, tuple(tables), render) if tables else render)
  register(
    config,
    ("prodmanager.dashboard_panel", name),
    lambda: app_state(config.registry).dashboard_panels.add(panel),
    what="dashboard panels",
    title=name,
    order=order,
  )


def add_footer_link(config, name: str, title: str, href: str, icon: str = "", order: int = 100) -> None:
  """Add a link to the site footer, after the core's (sorted by ``order``, then ``name``)."""
  entry = NavEntry(name, title, href, icon, order)
  register(
    config,
    ("prodmanager.footer_link", name),
    lambda: app_state(config.registry).footer_links.add(entry),
    what="footer links",
    title=name,
    href=href,
    order=order,
  )


def add_detail_panel(config, type_name: str, name: str, render: Callable, order: int = 100) -> None:
  """Add a section to the detail pages of ``type_name``, after their own content:
  ``render(request, row)`` returns Markup or '' (sorted by ``order``, then ``name``)."""
  panel = DetailPanel(name, order, render)
  register(
    config,
    ("prodmanager.detail_panel", type_name, name),
    lambda: app_state(config.registry).detail_panels.add(type_name, panel),
    what="detail panels",
    title=f"{type_name}: {name}",
    type_name=type_name,
    order=order,
  )


def includeme(config):
  state = app_state(config.registry)
  state.resource_types = ResourceTypes()
  state.aggregates = Aggregates()
  state.dependents = Dependents()
  state.navigation = Navigation()
  state.dashboard_panels = DashboardPanels()
  state.footer_links = FooterLinks()
  state.detail_panels = DetailPanels()
  config.add_directive("add_resource_type", add_resource_type)
  config.add_directive("add_aggregate", add_aggregate)
  config.add_directive("add_dependent", add_dependent)
  config.add_directive("add_navigation", add_navigation)
  config.add_directive("add_dashboard_panel", add_dashboard_panel)
  config.add_directive("add_footer_link", add_footer_link)
  config.add_directive("add_detail_panel", add_detail_panel)
