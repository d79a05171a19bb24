"""Announcement endpoints beyond the standard CRUD: weather, dependents of scopes/services, dashboard panel."""

import datetime as dt

from sqlalchemy import func, select

from prodmanager.api import error_responses, filter_parameters
from prodmanager.cache import changes_at
from prodmanager.db import utcnow
from prodmanager.panels import list_panel
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .models import PAIR, Announcement
from .services import LEVELS, AnnouncementService

ROW_TEMPLATE = "prodmanager_announcement:templates/panel_row.jinja2"


def weather_view(context, request):
  return AnnouncementService(request).weather(request.GET)


def weather_fragment() -> dict:
  """``GET /api/weather/announcement``: its parameters are the list filters, generated from them."""
  count = {"type": "integer", "minimum": 0}
  return {
    "components": {
      "schemas": {
        "AnnouncementWeather": {
          "type": "object",
          "required": LEVELS,
          "properties": dict.fromkeys(LEVELS, count),
        }
      }
    },
    "paths": {
      "/api/weather/announcement": {
        "get": {
          "tags": ["announcement"],
          "operationId": "weather_announcement",
          "summary": "Number of announcements per level (every level present), with the list filters",
          "parameters": [*filter_parameters(AnnouncementService), {"$ref": "#/components/parameters/q"}],
          "responses": {
            "200": {
              "description": "counts per level",
              "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/AnnouncementWeather"}}
              },
            },
            **error_responses("400", "401", "404", "429"),
          },
        }
      }
    },
  }


def ongoing_panel(request, scope=None, service=None) -> str:
  """Dashboard (and scope/service pages): the ongoing announcements, most recent first.

  The "N more" link opens the list filtered on the same window: ``start_before`` is strict (<), so
  it is given one second after the panel's instant (start <= now), ``end_after`` is inclusive (>=).
  """
  now = utcnow().replace(microsecond=0)
  service_ = AnnouncementService(request)
  statement = service_.ongoing(select(Announcement).options(*PAIR.eager(Announcement)), now).order_by(
    *AnnouncementService.sort_orders()[AnnouncementService.default_sort]
  )
  # The panel changes when an announcement starts or an ongoing one ends: a cached page expires then.
  next_start = select(func.min(Announcement.start_date)).where(Announcement.start_date > now)
  next_end = service_.ongoing(select(func.min(Announcement.end_date)), now)
  starts, ends = request.dbsession.execute(
    select(next_start.scalar_subquery(), next_end.scalar_subquery())
  ).one()
  for moment in (starts, ends):
    if moment is not None:
      changes_at(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC), request)
  return list_panel(
    request,
    name="announcements",
    title=request._("announcement.ongoing_title"),
    statement=statement,
    model=Announcement,
    row_template=ROW_TEMPLATE,
    keep_rows=True,
    list_path="/announcement",
    params={
      "start_before": (now + dt.timedelta(seconds=1)).isoformat(),
      "end_after": now.isoformat(),
    },
    scope=scope,
    service=service,
  )


def includeme(config):
  # Scopes and services with announcements cannot be deleted (no count is shown on them, as 0.22).
  PAIR.register(config, "announcement", Announcement, label="announcements")
  config.add_openapi_fragment(weather_fragment())
  config.add_api_view(weather_view, "/api/weather/announcement", "GET")
  # After the status banner (0) and the monitor badges (10), before incidents and maintenances.
  # Kept while no announcement, scope or service is written, and until the next announcement starts
  # or an ongoing one ends (changes_at). The "more" link names the moment it was rendered at: nothing
  # started or ended since (the panel would have expired then), so it lists the same announcements.
  config.add_dashboard_panel("announcements", ongoing_panel, order=20, tables=(Announcement, Scope, Service))
