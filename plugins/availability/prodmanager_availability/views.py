"""What the roll-ups give the pages and the API: ``availability`` on monitors, scopes and services
(uptime percentages, with a link to the days), the days endpoints, the bars of the monitor, scope
and service pages (inline, a list item per day) and of the components' lists (an image per
component, :mod:`.image`)."""

from markupsafe import Markup
from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render
from pyramid.response import Response
from sqlalchemy import select

from prodmanager.derived import derived
from prodmanager.fragments import fragment
from prodmanager.settings import is_decimal
from prodmanager.urls import api_url
from prodmanager_monitor.components import add_component_bars
from prodmanager_monitor.models import Monitor
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .figures import PERIODS, bars, empty_uptime, no_data, pair_summaries, uptimes
from .image import bar_image, render_bars_svg
from .models import AvailabilityDay, AvailabilityPairSummary
from .rollup import HORIZON_DAYS

BARS_ROUTE = "availability.pair_bars"

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


# What the figures are read from: kept while none of them is written (prodmanager.derived), an
# incident's creation, say; and until the next UTC midnight, or the cache's maximum age (the last
# 24 hours move on), at the latest.
FIGURE_TABLES = (AvailabilityDay, Monitor)
SUMMARY_TABLES = (AvailabilityPairSummary, AvailabilityDay, Monitor)


def render_availability(request, axis: str, ident: int, label: str) -> str:
  db = request.dbsession
  uptime, days = derived(
    request,
    "availability:figures",
    FIGURE_TABLES,
    lambda: (uptimes(db, axis, [ident]).get(ident), bars(db, axis, [ident]).get(ident)),
    axis,
    ident,
  )
  uptime = uptime or empty_uptime()
  days = days or no_data()
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
  has_monitors = derived(
    request,
    "availability:has-monitors",
    (Monitor,),
    lambda: request.dbsession.scalar(
      select(Monitor.id).where(getattr(Monitor, f"{axis}_id") == row.id).limit(1)
    ),
    axis,
    row.id,
  )
  if has_monitors is None:
    return ""
  return render_availability(request, axis, row.id, row.name)


def pair_ids(request) -> tuple[int, int]:
  scope, service = request.matchdict["scope"], request.matchdict["service"]
  if not (is_decimal(scope) and is_decimal(service)) or max(len(scope), len(service)) > 18:
    raise HTTPNotFound()
  return int(scope), int(service)


def pair_bars_svg(request):
  """``/availability/<scope id>/<service id>/bars.svg``: the 90-day bar of the pair's monitors
  (404 for a pair without monitors)."""
  scope_id, service_id = pair_ids(request)
  db = request.dbsession
  names = db.execute(
    select(Scope.name, Service.name)
    .select_from(Monitor)
    .join(Scope, Scope.id == Monitor.scope_id)
    .join(Service, Service.id == Monitor.service_id)
    .where(Monitor.scope_id == scope_id, Monitor.service_id == service_id)
    .limit(1)
  ).first()
  if names is None:
    raise HTTPNotFound()
  days = bars(db, "pair", (scope_id, service_id)).get((scope_id, service_id)) or no_data()
  label = request._("availability.bar_label", name=f"{names[0]} · {names[1]}", count=len(days))
  return Response(
    render_bars_svg(request, day_entries(request, days), label),
    content_type="image/svg+xml",
    charset="utf-8",
  )


def pair_bar(request, base: str, pair: tuple[int, int], name: str, summary) -> Markup:
  """One component's bar image with its summary in words (translations, escaping)."""
  if summary is None or summary.uptime is None:
    uptime = request._("availability.no_data")
    alt = request._("availability.image_alt_none", name=name)
  else:
    uptime = request._("availability.uptime_90d", percent=percent_text(request, summary.uptime))
    alt = request._(
      "availability.image_alt",
      name=name,
      uptime=uptime,
      outages=request._("availability.outage_days", count=summary.outage_days),
      degraded=request._("availability.degraded_days", count=summary.degraded_days),
    )
  return bar_image(base, pair, alt, uptime, HORIZON_DAYS)


def pair_bars(request, pairs: dict, scope=None, service=None) -> dict:
  """The components' bars: an image each (:mod:`.image`) with its summary as text, from the stored
  summaries of the pairs (:mod:`.summaries`), and no template render per pair.

  Each pair's Markup is a fragment (:func:`prodmanager.fragments.fragment`) kept by everything it
  shows: after a write, only the pairs whose figures or names changed are rendered again."""
  restriction = (scope.id if scope is not None else None, service.id if service is not None else None)
  summaries = derived(
    request,
    "availability:summaries",
    SUMMARY_TABLES,
    lambda: pair_summaries(request.dbsession, restriction, pairs=pairs),
    restriction,
    frozenset(pairs),
  )
  base = request.script_name
  result = {}
  for pair, name in pairs.items():
    summary = summaries.get(pair)
    figures = None if summary is None else (summary.uptime, summary.outage_days, summary.degraded_days)
    result[pair] = fragment(
      request,
      ("availability.pair_bar", base, pair, name, figures),
      lambda pair=pair, name=name, summary=summary: pair_bar(request, base, pair, name, summary),
    )
  return result


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
      tables=FIGURE_TABLES,
      **(
        {"title": "availability.uptime_30d", "cell": "prodmanager_availability:templates/uptime_cell.jinja2"}
        if axis != "monitor"
        else {}
      ),
    )
    config.add_api_view(days_view(axis), f"/api/{axis}/{{id}}/availability", "GET")
  config.add_detail_panel("monitor", "availability", monitor_panel, order=10)
  config.add_dashboard_panel("availability", group_panel, order=7)
  add_component_bars(config, pair_bars, tables=SUMMARY_TABLES)
  config.add_route(BARS_ROUTE, "/availability/{scope}/{service}/bars.svg")
  config.add_view(pair_bars_svg, route_name=BARS_ROUTE, request_method=("GET", "HEAD"), permission="view")
