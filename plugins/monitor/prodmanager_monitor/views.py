"""Monitor endpoints beyond the standard CRUD: weather, counts on scopes/services, dashboard panel."""

from pyramid.renderers import render
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from webob.multidict import MultiDict

from .models import Monitor
from .services import STATUSES, MonitorService, monitors_count_provider, monitors_counter

PANEL_LIMIT = 10


def weather_view(context, request):
  return MonitorService(request).weather(request.GET)


def monitors_panel(request, scope=None, service=None) -> str:
  """Dashboard: overall status and badges per status; scope/service pages: also their monitors."""
  service_ = MonitorService(request)
  params = {}
  statement = select(Monitor).options(joinedload(Monitor.scope), joinedload(Monitor.service))
  if scope is not None:
    params["scope"] = str(scope.id)
    statement = statement.where(Monitor.scope_id == scope.id)
  if service is not None:
    params["service"] = str(service.id)
    statement = statement.where(Monitor.service_id == service.id)
  counts = service_.weather(MultiDict(params))
  total = sum(counts.values())
  monitors = []
  if (scope is not None or service is not None) and total:
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
  params = {}
  if scope is not None:
    params["scope"] = str(scope.id)
  if service is not None:
    params["service"] = str(service.id)
  counts = MonitorService(request).weather(MultiDict(params))
  return {status for status, count in counts.items() if count}


def includeme(config):
  config.add_aggregate(
    "scope", "monitors_count", monitors_count_provider(Monitor.scope_id), lambda: dict.fromkeys(STATUSES, 0)
  )
  config.add_aggregate(
    "service",
    "monitors_count",
    monitors_count_provider(Monitor.service_id),
    lambda: dict.fromkeys(STATUSES, 0),
  )
  config.add_dependent("scope", "monitors", monitors_counter(Monitor.scope_id))
  config.add_dependent("service", "monitors", monitors_counter(Monitor.service_id))
  config.add_api_view(weather_view, "/api/weather/monitor", "GET")
  config.add_dashboard_panel("monitors", monitors_panel, order=10)
  config.add_status_contributor(monitor_levels)
  config.add_badge("monitor", lambda request, row: row.status.value)
