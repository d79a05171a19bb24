"""Maintenance endpoints beyond the standard CRUD: weather, calendars, dashboard panels, the status
contributor, counts on scopes/services and the public history feed's entries."""

from urllib.parse import urlencode

from openapi_core.deserializing.media_types.util import plain_loads
from pyramid.renderers import render
from sqlalchemy import select

from prodmanager.api import filter_parameters
from prodmanager.db import capped_count
from prodmanager.history import HistoryEntry, feed_filters
from prodmanager.membership import Count
from prodmanager.panels import group_params, list_panel, restrict
from prodmanager.resources import Root
from prodmanager.services import COUNT_CAP
from prodmanager.status import UNDER_WORK, Level
from prodmanager.timeline import EventType
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .calendar import build_calendar, calendar_response, feed_rows
from .models import PAIR, PAST, Maintenance, MaintenanceEvent, MaintenanceStatus
from .services import MaintenanceService

ROW_TEMPLATE = "prodmanager_maintenance:templates/panel_row.jinja2"
PAST_STATUSES = [status.value for status in PAST]


def weather_view(context, request):
  return MaintenanceService(request).weather(request.GET)


# -- calendars ------------------------------------------------------------------------------------


def calendar_view(context, request):
  """One maintenance as an .ics file (``/maintenance/<id>/calendar`` and its API twin)."""
  row = context.row
  return calendar_response(build_calendar(request, [row]), f"maintenance-{row.id}.ics")


def calendar_feed_view(context, request):
  """``/maintenance.ics``: a calendar to subscribe to, optionally for one scope and/or service."""
  scope_id, service_id = feed_filters(request)
  rows = feed_rows(request.dbsession, scope_id, service_id)
  body = build_calendar(request, rows, name=f"{request.site_name} · {request._('nav.maintenance')}")
  return calendar_response(body, "maintenance.ics", disposition="inline")


# -- dashboard ------------------------------------------------------------------------------------


def panel_statement(status: MaintenanceStatus, order):
  return (
    select(Maintenance).options(*PAIR.eager(Maintenance)).where(Maintenance.status == status).order_by(*order)
  )


def ongoing_panel(request, scope=None, service=None) -> str:
  """Maintenances in progress, the ones that end first on top."""
  return list_panel(
    request,
    name="maintenances-ongoing",
    title=request._("maintenance.ongoing"),
    statement=panel_statement(
      MaintenanceStatus.IN_PROGRESS, [Maintenance.scheduled_end_date.asc(), Maintenance.id.asc()]
    ),
    model=Maintenance,
    row_template=ROW_TEMPLATE,
    list_path="/maintenance",
    params={"status": MaintenanceStatus.IN_PROGRESS.value},
    scope=scope,
    service=service,
  )


def scheduled_panel(request, scope=None, service=None) -> str:
  """Maintenances to come, the next one first (overdue ones, still scheduled, come first)."""
  return list_panel(
    request,
    name="maintenances-scheduled",
    title=request._("maintenance.scheduled"),
    statement=panel_statement(
      MaintenanceStatus.SCHEDULED, [Maintenance.scheduled_start_date.asc(), Maintenance.id.asc()]
    ),
    model=Maintenance,
    row_template=ROW_TEMPLATE,
    list_path="/maintenance",
    params={"status": MaintenanceStatus.SCHEDULED.value},
    scope=scope,
    service=service,
  )


def links_panel(request, scope=None, service=None) -> str:
  """Links to the past maintenances (succeed, failed, canceled) when there are some, and to the
  calendar feed, restricted like the page; nothing at all when there is no maintenance.

  One query: whether there is a maintenance, and the past ones counted up to :data:`COUNT_CAP`
  ("1000+" beyond: they are nearly all of them, and only grow)."""
  rows = restrict(select(Maintenance.id), Maintenance, scope=scope, service=service)
  any_row = rows.order_by(Maintenance.id).limit(1).scalar_subquery()  # read from the primary key
  past_rows = capped_count(rows.where(Maintenance.status.in_(PAST)), Maintenance.id, COUNT_CAP)
  found, total = request.dbsession.execute(select(any_row, past_rows.scalar_subquery())).one()
  if found is None:
    return ""
  restriction = [(axis, str(ident)) for axis, ident in group_params(scope=scope, service=service).items()]
  past = [("status", status) for status in PAST_STATUSES] + restriction
  return render(
    "prodmanager_maintenance:templates/panel_links.jinja2",
    {
      "past": f"{COUNT_CAP}+" if total > COUNT_CAP else total,
      "past_query": urlencode(past),
      "calendar_query": urlencode(restriction),
    },
    request=request,
  )


def maintenance_levels(request, scope=None, service=None) -> set[str]:
  """Status contributor: "maintenance" while a maintenance is in progress (docs/user-guide.md#the-status-banner).

  The expected service status (down, degraded) raises nothing: monitors and incidents say whether
  something is actually broken, and the roll-up never lets a maintenance hide that.
  """
  statement = restrict(
    select(Maintenance.id).where(Maintenance.status == MaintenanceStatus.IN_PROGRESS),
    Maintenance,
    scope=scope,
    service=service,
  )
  return {UNDER_WORK} if request.dbsession.scalar(statement.limit(1)) is not None else set()


def maintenance_pair_levels(request) -> dict[tuple[int, int], set[Level]]:
  """Status contributor for every pair at once (one query): the pairs under maintenance."""
  statement = (
    select(Maintenance.scope_id, Maintenance.service_id)
    .where(Maintenance.status == MaintenanceStatus.IN_PROGRESS)
    .distinct()
  )
  return {tuple(pair): {Level(UNDER_WORK)} for pair in request.dbsession.execute(statement)}


# -- public history -------------------------------------------------------------------------------


def history_source(request, scope_id, service_id, limit) -> list[HistoryEntry]:
  """Public entries: maintenance scheduled (created), status changes and public comments.

  Status changes come from the internal update events, but only their status is told, in words:
  the diff itself (and every internal comment) stays private.
  """
  _ = request._
  db = request.dbsession
  base = request.application_url

  def link(ident):
    return f"{base}/maintenance/{ident}"

  def scoped(statement):
    return statement.where(*PAIR.where(Maintenance, scope=scope_id, service=service_id))

  entries = []
  created = scoped(select(Maintenance).order_by(Maintenance.creation_date.desc(), Maintenance.id.desc()))
  for row in db.scalars(created.limit(limit)):
    window = _(
      "maintenance.history.window",
      start=row.scheduled_start_date.strftime("%Y-%m-%d %H:%M"),
      end=row.scheduled_end_date.strftime("%Y-%m-%d %H:%M"),
    )
    entries.append(
      HistoryEntry(
        id=f"maintenance-{row.id}",
        title=_("maintenance.history.scheduled", name=row.name),
        content="\n\n".join(filter(None, [window, row.description])),
        link=link(row.id),
        updated=row.creation_date,
      )
    )
  events = scoped(
    select(MaintenanceEvent, Maintenance.name)
    .join(Maintenance, Maintenance.id == MaintenanceEvent.parent_id)
    .where(
      ((MaintenanceEvent.type == EventType.COMMENT) & MaintenanceEvent.internal.is_(False))
      | ((MaintenanceEvent.type == EventType.UPDATE) & MaintenanceEvent.new_status.is_not(None))
    )
    .order_by(MaintenanceEvent.creation_date.desc(), MaintenanceEvent.id.desc())
  )
  rows = db.execute(events.limit(limit)).all()
  # A status change posted with its message is one entry: the comment, which tells the change too.
  told = {
    (event.parent_id, event.creation_date, event.new_status)
    for event, _name in rows
    if event.type is EventType.COMMENT and event.new_status
  }
  for event, name in rows:
    if event.type is EventType.UPDATE and (event.parent_id, event.creation_date, event.new_status) in told:
      continue
    old, new = event.old_status, event.new_status
    if event.type is EventType.COMMENT and not new:
      title, content = _("maintenance.history.update", name=name), event.content
    else:
      title = _("maintenance.history.status", name=name, status=_(f"maintenance_status.{new}"))
      content = _(
        "maintenance.history.status_text",
        old=_(f"maintenance_status.{old}"),
        new=_(f"maintenance_status.{new}"),
      )
      if event.type is EventType.COMMENT:
        content = f"{content}\n\n{event.content}"
    entries.append(
      HistoryEntry(
        id=f"maintenance-{event.parent_id}-event-{event.id}",
        title=title,
        content=content,
        link=link(event.parent_id),
        updated=event.creation_date,
      )
    )
  return entries


# -- registration ---------------------------------------------------------------------------------


def weather_fragment() -> dict:
  """The weather path takes the list's filters: generated from the same declarations."""
  return {
    "paths": {
      "/api/weather/maintenance": {
        "get": {
          "tags": ["maintenance"],
          "operationId": "weather_maintenance",
          "summary": "Number of maintenances per status (every status present), with the list filters",
          "parameters": [{"$ref": "#/components/parameters/q"}, *filter_parameters(MaintenanceService)],
          "responses": {
            "200": {
              "description": "counts per status",
              "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/MaintenanceWeather"}}
              },
            },
            **{code: {"$ref": f"#/components/responses/E{code}"} for code in ("400", "401", "404", "429")},
          },
        }
      }
    }
  }


def add_views(config, resource_type):
  """The calendars, the weather endpoint and the maintenance's aggregates and dependents."""
  # Scopes and services count their maintenances (all statuses) and link to their list.
  count = Count("maintenances_count", link="maintenances")
  PAIR.register(config, "maintenance", Maintenance, label="maintenances", count=count)
  config.add_openapi_fragment(weather_fragment())
  # openapi-core reads unknown media types as bytes, which a `type: string` schema refuses: the
  # calendar is text, decoded with its charset like text/plain.
  config.pyramid_openapi3_add_deserializer("text/calendar", plain_loads)
  config.add_api_view(weather_view, "/api/weather/maintenance", "GET")
  config.add_api_view(calendar_view, "/api/maintenance/{id}/calendar", "GET")
  config.add_view(
    calendar_view,
    context=resource_type.item,
    name="calendar",
    request_method=("GET", "HEAD"),
    permission="view",
  )
  config.add_view(
    calendar_feed_view,
    context=Root,
    name="maintenance.ics",
    request_method=("GET", "HEAD"),
    permission="view",
  )
  # What the panels show: the maintenances, with their scopes' and services' names.
  shown = (Maintenance, Scope, Service)
  config.add_dashboard_panel("maintenances-ongoing", ongoing_panel, order=40, tables=shown)
  config.add_dashboard_panel("maintenances-scheduled", scheduled_panel, order=50, tables=shown)
  config.add_dashboard_panel("maintenances-links", links_panel, order=55, tables=(Maintenance,))
  config.add_status_contributor(maintenance_levels, pairs=maintenance_pair_levels, tables=(Maintenance,))
  config.add_history_source(history_source, tables=(Maintenance, MaintenanceEvent))
