"""What the roll-ups give the pages and the API: ``availability`` on monitors, scopes and services
(uptime percentages, with a link to the days), the days endpoints, the bars of the monitor, scope
and service pages and of the dashboard's components."""

from markupsafe import Markup
from pyramid.renderers import render
from sqlalchemy import select

from prodmanager.urls import api_url
from prodmanager_monitor.components import add_component_bars
from prodmanager_monitor.models import Monitor

from .figures import PERIODS, bars, empty_uptime, no_data, uptimes

AXES = ("monitor", "scope", "service")


def percent_text(request, value: float | None) -> str:
  """``99.95 %`` (``99,95 %`` in French), or "No data"."""
  if value is None:
    return request._("availability.no_data")
  shown = f"{value:.2f}"
  return request._("availability.percent", value=shown.replace(".", ",") if request.lang == "fr" else shown)


def day_entries(request, days) -> list[tuple[str, str]]:
  """``(status, text)`` of each day of a bar: its colour and its tooltip / text alternative."""
  entries = []
  for day in days:
    date = day.date.strftime("%d/%m/%Y") if request.lang == "fr" else day.date.isoformat()
    if day.status in ("none", "maintenance"):
      text = request._(f"availability.day_{day.status}", date=date)
    else:
      key = "availability.day_degraded" if day.status == "warning" else "availability.day_uptime"
      text = request._(key, date=date, percent=percent_text(request, day.uptime))
    entries.append((day.status, text))
  return entries


def template_values(request, days, uptime, label: str) -> dict:
  return {
    "entries": day_entries(request, days),
    "uptime": uptime,
    "label": label,
    "periods": list(PERIODS),
    "percent": lambda value: percent_text(request, value),
  }


def uptime_provider(axis: str):
  def provider(db, ids):
    return {key: {"uptime": value} for key, value in uptimes(db, axis, ids).items()}

  return provider


def availability_href(axis: str):
  return lambda request, row: api_url(request, axis, row.id) + "/availability"


def days_view(axis: str):
  def view(context, request):
    """``{"uptime": {...}, "days": [...]}`` of one monitor, scope or service."""
    db = request.dbsession
    ident = context.row.id
    figures = uptimes(db, axis, [ident]).get(ident) or empty_uptime()
    days = bars(db, axis, [ident]).get(ident) or no_data()
    return {"uptime": figures, "days": [day.as_json() for day in days]}

  return view


def render_availability(request, axis: str, ident: int, label: str) -> str:
  db = request.dbsession
  uptime = uptimes(db, axis, [ident]).get(ident) or empty_uptime()
  days = bars(db, axis, [ident]).get(ident) or no_data()
  return render(
    "prodmanager_availability:templates/panel.jinja2",
    template_values(request, days, uptime, label),
    request=request,
  )


def monitor_panel(request, row) -> str:
  return render_availability(request, "monitor", row.id, row.name)


def group_panel(request, scope=None, service=None) -> str:
  """On a scope's or a service's page: the bar and uptime of all its monitors; nothing on the
  dashboard (its components carry their own bars)."""
  row, axis = (scope, "scope") if scope is not None else (service, "service")
  if row is None:
    return ""
  has_monitors = request.dbsession.scalar(
    select(Monitor.id).where(getattr(Monitor, f"{axis}_id") == row.id).limit(1)
  )
  if has_monitors is None:
    return ""
  return render_availability(request, axis, row.id, row.name)


def pair_bars(request, pairs: dict, scope=None, service=None) -> dict:
  """The components' bars: two queries for every pair shown (the days, the uptime)."""
  restriction = (scope.id if scope is not None else None, service.id if service is not None else None)
  found = bars(request.dbsession, "pair", restriction)
  uptime = uptimes(request.dbsession, "pair", restriction)
  return {
    pair: Markup(
      render(
        "prodmanager_availability:templates/component_bar.jinja2",
        template_values(request, found.get(pair) or no_data(), uptime.get(pair) or empty_uptime(), name),
        request=request,
      )
    )
    for pair, name in pairs.items()
  }


def includeme(config):
  config.add_openapi_fragment("prodmanager_availability:openapi.yaml")
  for axis in AXES:
    config.add_aggregate(
      axis,
      "availability",
      uptime_provider(axis),
      lambda: {"uptime": empty_uptime()},
      schema={"$ref": "#/components/schemas/Availability"},
      link="availability",
      href=availability_href(axis),
      **(
        {"title": "availability.uptime_30d", "cell": "prodmanager_availability:templates/uptime_cell.jinja2"}
        if axis != "monitor"
        else {}
      ),
    )
    config.add_api_view(days_view(axis), f"/api/{axis}/{{id}}/availability", "GET")
  config.add_detail_panel("monitor", "availability", monitor_panel, order=10)
  config.add_dashboard_panel("availability", group_panel, order=7)
  add_component_bars(config, pair_bars)
