"""The dashboard's components: the scopes with their services, each with its status colour.

Under the status banner, as hosted status pages show them: on the dashboard every scope (collapsed, its
worst status on its summary line) with the services it has monitors for; on a scope's
page its services, on a service's page its scopes. A pair's status is the roll-up of the core's
status contributors for that pair (``prodmanager.status.pair_levels``: monitors, ongoing incidents,
maintenances in progress); a scope or pair with nothing watched says "no monitors" instead of
"operational". Four queries whatever the amount of data, plus one per status contributor.

``bars`` in the template context is the slot of the 90-day availability bar: ``{(scope_id,
service_id): Markup}``, filled by the plugin that registered itself with :func:`add_component_bars`
(the availability plugin), empty without one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup
from pyramid.renderers import render
from sqlalchemy import func, select
from zope.interface import Interface

from prodmanager.actions import callable_name, register
from prodmanager.derived import derived
from prodmanager.fragments import fragment
from prodmanager.status import levels_key, pair_levels, roll_up
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .models import Monitor

# The component statuses, best first; their badge colours are declared in __init__.py.
COMPONENT_STATUSES = ("ok", "maintenance", "warning", "partial", "alert")
NONE = "none"


@dataclass
class Component:
  """One (scope, service) pair as a component, or a scope as a group of them."""

  id: int
  name: str
  status: str
  monitors: int = 0
  href: str = ""
  pair: tuple[int, int] | None = None
  children: list["Component"] = field(default_factory=list)
  services: int = 0  # a group's services, also those a compact dashboard leaves out


class IComponentBars(Interface):
  """The registered provider of the components' bars (see :func:`add_component_bars`)."""


@dataclass(frozen=True)
class ComponentBars:
  provider: Callable
  tables: tuple = ()


def add_component_bars(config, provider, tables=()) -> None:
  """Fill the bar slot of the components: ``provider(request, pairs, scope=None, service=None)``
  returns ``{(scope_id, service_id): Markup}`` for the pairs shown (``pairs`` maps each one to its
  name, ``<scope> · <service>``), in a fixed number of queries. One provider per application: a
  second one is a configuration conflict. ``tables``, optional, are the tables (mapped classes or
  names) the provider reads, and nothing else: the components' HTML is then kept while none of
  them, the monitors, scopes and services is written and the pairs' levels are the same
  (:mod:`prodmanager.derived`)."""
  bars = ComponentBars(provider, tuple(tables))
  register(
    config,
    ("prodmanager_monitor.component_bars",),
    lambda: config.registry.registerUtility(bars, IComponentBars),
    what="component bars",
    title=callable_name(provider),
  )


def component_bars(request, pairs: dict, scope=None, service=None) -> dict:
  bars = request.registry.queryUtility(IComponentBars)
  if bars is None or not pairs:
    return {}
  return bars.provider(request, pairs, scope=scope, service=service)


def component_status(levels) -> str:
  """``none`` when nothing is seen, else the roll-up; ``partial`` when only part is down."""
  if not levels:
    return NONE
  level = roll_up({entry.level for entry in levels})
  if level == "alert" and all(entry.partial for entry in levels if entry.level == "alert"):
    return "partial"
  return level


def group_status(children: list[Component]) -> str:
  seen = [child.status for child in children if child.status != NONE]
  if not seen:
    return NONE
  return max(seen, key=COMPONENT_STATUSES.index)


def components_panel(request, scope=None, service=None) -> str:
  db = request.dbsession

  def monitor_counts():
    counts = select(Monitor.scope_id, Monitor.service_id, func.count()).group_by(
      Monitor.scope_id, Monitor.service_id
    )
    if scope is not None:
      counts = counts.where(Monitor.scope_id == scope.id)
    if service is not None:
      counts = counts.where(Monitor.service_id == service.id)
    return {(scope_id, service_id): number for scope_id, service_id, number in db.execute(counts)}

  # Kept while the monitors, scopes and services are not written (prodmanager.derived): after an
  # incident is created, only the levels are read again.
  scope_id_of, service_id_of = getattr(scope, "id", None), getattr(service, "id", None)
  monitors = derived(request, "components:monitors", (Monitor,), monitor_counts, scope_id_of, service_id_of)
  levels = pair_levels(
    request,
    scopes=None if scope is None else {scope.id},
    services=None if service is None else {service.id},
  )
  bars = request.registry.queryUtility(IComponentBars)
  if bars is not None and not bars.tables:
    return render_components(request, scope, service, monitors, levels)
  # Made of the monitors, scopes, services, bars and the pairs' levels only: kept by those levels'
  # values while none of those tables is written.
  return derived(
    request,
    "components:panel",
    (Monitor, Scope, Service, *(bars.tables if bars is not None else ())),
    lambda: render_components(request, scope, service, monitors, levels),
    scope_id_of,
    service_id_of,
    levels_key(levels),
    request.lang,
    request.host_url,
    request.script_name,
    dashboard_services_max(request),
  )


def render_components(request, scope, service, monitors: dict, levels: dict) -> str:
  """The components' HTML, from the monitor counts and the pairs' levels of :func:`components_panel`."""
  db = request.dbsession
  pairs = set(monitors) | set(levels)
  restricted = scope is not None or service is not None
  scope_ids = frozenset({pair[0] for pair in pairs} | ({scope.id} if scope is not None else set()))

  def scope_rows():
    scope_query = select(Scope.id, Scope.name).order_by(Scope.name, Scope.id)
    if restricted:
      scope_query = scope_query.where(Scope.id.in_(scope_ids))
    return [tuple(row) for row in db.execute(scope_query)]

  scopes = derived(request, "components:scopes", (Scope,), scope_rows, scope_ids if restricted else None)
  service_ids = frozenset(pair[1] for pair in pairs)
  service_names = derived(
    request,
    "components:services",
    (Service,),
    lambda: {
      row.id: row.name
      for row in db.execute(select(Service.id, Service.name).where(Service.id.in_(service_ids)))
    },
    service_ids,
  )
  if not scopes:
    return ""

  # The services of each scope, gathered once (not every pair looked at for every scope).
  services_of: dict[int, list[int]] = {}
  for pair_scope, service_id in pairs:
    services_of.setdefault(pair_scope, []).append(service_id)
  groups = []
  for scope_id, scope_name in scopes:
    children = [
      Component(
        service_id,
        service_names.get(service_id, ""),
        component_status(levels.get((scope_id, service_id), set())),
        monitors.get((scope_id, service_id), 0),
        f"/monitor?scope={scope_id}&service={service_id}",
        (scope_id, service_id),
      )
      for service_id in services_of.get(scope_id, ())
    ]
    children.sort(key=lambda child: (child.name.lower(), child.id))
    groups.append(
      Component(
        scope_id,
        scope_name,
        group_status(children),
        sum(child.monitors for child in children),
        f"/scope/{scope_id}",
        children=children,
        services=len(children),
      )
    )
  compact = scope is None and service is None and len(pairs) > dashboard_services_max(request)
  if compact:
    # Thousands of components make a page nobody reads (and of megabytes): each scope lists the
    # services a reader looks for, those that are not operational; its page lists them all.
    for group in groups:
      group.children = [child for child in group.children if child.status not in ("ok", NONE)]

  scope_names = dict(scopes)
  shown = {child.pair for group in groups for child in group.children} if compact else set()
  # The pairs with monitors have a bar (the others are only seen through incidents or maintenances).
  names = {
    pair: f"{scope_names.get(pair[0], '')} · {service_names.get(pair[1], '')}"
    for pair in pairs
    if monitors.get(pair) and (not compact or pair in shown)
  }
  if scope is not None:
    # A scope's page: its services, flat.
    flat = groups[0].children if groups else []
  elif service is not None:
    # A service's page: the scopes that have it, flat (each group holds this one service).
    flat = [child for group in groups for child in group.children]
    for child, group in zip(flat, [g for g in groups if g.children], strict=True):
      child.name = group.name
  else:
    flat = None
  if flat is not None and not flat:
    return ""
  bars = component_bars(request, names, scope=scope, service=service)
  parts, rows = [], None
  if flat is not None:
    key = ("component-rows", *row_keys(flat, bars))
    rows = fragment(request, key, lambda: render_part(request, rows=flat, bars=bars))
  else:
    parts = [
      fragment(
        request,
        (
          "component-group",
          group.id,
          group.name,
          group.status,
          group.href,
          group.services,
          *row_keys(group.children, bars),
        ),
        lambda group=group: render_part(request, group=group, bars=bars),
      )
      for group in groups
    ]
  return render(
    "prodmanager_monitor:templates/components.jinja2",
    {"groups": parts, "rows": rows, "compact": compact},
    request=request,
  )


def dashboard_services_max(request) -> int:
  return request.registry.settings["prodmanager.monitor.dashboard_services_max"]


def row_keys(components: list[Component], bars: dict) -> tuple:
  """Everything the rows of ``components`` show: the fragment key of their HTML."""
  return tuple(
    (child.id, child.name, child.status, child.href, str(bars.get(child.pair) or "")) for child in components
  )


def render_part(request, **values) -> Markup:
  return Markup(render("prodmanager_monitor:templates/component_parts.jinja2", values, request=request))
