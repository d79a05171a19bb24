"""Monitor endpoints beyond the standard CRUD: weather, counts on scopes/services, dashboard panel."""

from pyramid.renderers import render
from sqlalchemy import func, select
from webob.multidict import MultiDict

from prodmanager.membership import Count
from prodmanager.panels import PANEL_LIMIT, group_params, restrict
from prodmanager.status import Level, restrict_pairs
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .components import components_panel
from .models import PAIR, Monitor
from .services import STATUSES, MonitorService


def weather_view(context, request):
  return MonitorService(request).weather(request.GET)


def monitors_panel(request, scope=None, service=None) -> str:
  """Dashboard: overall status and badges per status; scope/service pages: also their monitors."""
  params = {axis: str(ident) for axis, ident in group_params(scope=scope, service=service).items()}
  counts = MonitorService(request).weather(MultiDict(params))
  total = sum(counts.values())
  monitors = []
  if params and total:
    statement = restrict(select(Monitor).options(*PAIR.eager(Monitor)), Monitor, scope=scope, service=service)
    monitors = list(
      request.dbsession.scalars(statement.order_by(Monitor.name, Monitor.id).limit(PANEL_LIMIT))
    )
  return render(
    "prodmanager_monitor:templates/panel.jinja2",
    {
      "counts": counts,
      "statuses": STATUSES,
      "total": total,
      "monitors": monitors,
      "filter_params": params,
      "more": max(0, total - len(monitors)) if monitors else 0,
      "scope": scope,
      "service": service,
    },
    request=request,
  )


def monitor_levels(request, scope=None, service=None) -> set[str]:
  """Status contributor: the statuses of the monitors in view (one grouped query)."""
  params = {axis: str(ident) for axis, ident in group_params(scope=scope, service=service).items()}
  counts = MonitorService(request).weather(MultiDict(params))
  return {status for status, count in counts.items() if count}


def monitor_pair_levels(request, scopes=None, services=None) -> dict[tuple[int, int], set[Level]]:
  """Status contributor for every pair at once (one grouped query): each status its monitors have,
  ``partial`` when only some of the pair's monitors have it; only the pairs of ``scopes`` and
  ``services`` when given (a scope's page reads its own monitors, not every monitor)."""
  statement = select(Monitor.scope_id, Monitor.service_id, Monitor.status, func.count()).group_by(
    Monitor.scope_id, Monitor.service_id, Monitor.status
  )
  statement = restrict_pairs(statement, Monitor.scope_id, Monitor.service_id, scopes, services)
  counts: dict[tuple[int, int], dict[str, int]] = {}
  for scope_id, service_id, status, count in request.dbsession.execute(statement):
    counts.setdefault((scope_id, service_id), {})[status.value] = count
  return {
    pair: {Level(status, partial=count < sum(seen.values())) for status, count in seen.items()}
    for pair, seen in counts.items()
  }


def includeme(config):
  # Scopes and services show their monitors per status (JSON, links, a column of their lists).
  count = Count(
    "monitors_count",
    link="monitors",
    by="status",
    title="nav.monitor",
    cell="prodmanager_monitor:templates/group_cell.jinja2",
  )
  PAIR.register(config, "monitor", Monitor, label="monitors", count=count)
  config.add_api_view(weather_view, "/api/weather/monitor", "GET")
  config.add_dashboard_panel("components", components_panel, order=5)
  config.add_dashboard_panel("monitors", monitors_panel, order=10, tables=(Monitor, Scope, Service))
  config.add_status_contributor(monitor_levels, pairs=monitor_pair_levels, tables=(Monitor,))
  config.add_badge("monitor", lambda request, row: row.status.value)
