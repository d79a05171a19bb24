"""Incident endpoints beyond the standard CRUD: weather, counts on scopes/services, dashboard panels,
status roll-up and the public history feeds."""

import json
from urllib.parse import urlencode

from pyramid.renderers import render
from sqlalchemy import and_, or_, select

from prodmanager.db import capped_count
from prodmanager.history import HistoryEntry
from prodmanager.membership import Count
from prodmanager.panels import group_params, list_panel, restrict
from prodmanager.services import COUNT_CAP
from prodmanager.status import Level
from prodmanager.timeline import EventType
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .models import ALERTING, ONGOING, PAIR, PAST, Incident, IncidentEvent
from .services import IncidentService, default_order


def weather_view(context, request):
  return IncidentService(request).weather(request.GET)


def ongoing_panel(request, scope=None, service=None) -> str:
  """Ongoing incidents (active, investigating, stable), most recent impact first; hidden when none."""
  statement = (
    select(Incident)
    .where(Incident.status.in_(ONGOING))
    .options(*PAIR.eager(Incident))
    .order_by(*default_order())
  )
  return list_panel(
    request,
    name="incidents-ongoing",
    title=request._("incident.ongoing"),
    statement=statement,
    model=Incident,
    row_template="prodmanager_incident:templates/panel_row.jinja2",
    list_path="/incident",
    params={"status": [status.value for status in ONGOING]},
    keep_rows=True,
    scope=scope,
    service=service,
  )


def past_panel(request, scope=None, service=None) -> str:
  """A link to the resolved incidents (with their number, "1000+" past :data:`COUNT_CAP`: the
  resolved incidents are nearly all of them, and only grow); hidden when there is none."""
  statement = restrict(
    select(Incident.id).where(Incident.status.in_(PAST)), Incident, scope=scope, service=service
  )
  total = request.dbsession.scalar(capped_count(statement, Incident.id, COUNT_CAP))
  if not total:
    return ""
  if total > COUNT_CAP:
    total = f"{COUNT_CAP}+"
  params = [("status", status.value) for status in PAST]
  params += [(axis, str(ident)) for axis, ident in group_params(scope=scope, service=service).items()]
  return render(
    "prodmanager_incident:templates/past_panel.jinja2",
    {"total": total, "url": f"/incident?{urlencode(params)}"},
    request=request,
  )


def incident_levels(request, scope=None, service=None) -> set[str]:
  """Status contributor: an ongoing critical/high incident raises to alert, another one to warning."""
  statement = restrict(
    select(Incident.severity).where(Incident.status.in_(ONGOING)).distinct(),
    Incident,
    scope=scope,
    service=service,
  )
  severities = set(request.dbsession.scalars(statement))
  levels = set()
  if severities & ALERTING:
    levels.add("alert")
  if severities - ALERTING:
    levels.add("warning")
  return levels


def incident_pair_levels(request) -> dict[tuple[int, int], set[Level]]:
  """Status contributor for every pair at once (one query): as :func:`incident_levels`, each level
  with the severity of the ongoing incident that raises it as its ``detail``."""
  statement = (
    select(Incident.scope_id, Incident.service_id, Incident.severity)
    .where(Incident.status.in_(ONGOING))
    .distinct()
  )
  levels: dict[tuple[int, int], set[Level]] = {}
  for scope_id, service_id, severity in request.dbsession.execute(statement):
    level = "alert" if severity in ALERTING else "warning"
    levels.setdefault((scope_id, service_id), set()).add(Level(level, detail=severity.value))
  return levels


def history_source(request, scope_id, service_id, limit) -> list[HistoryEntry]:
  """Public entries of the feeds: incidents created, status changes, public comments (newest first).

  Internal comments and the content of the update diffs are never published: a status change is
  told from the event's status columns only.
  """
  _ = request._
  statement = (
    select(IncidentEvent, Incident.name)
    .join(Incident, Incident.id == IncidentEvent.parent_id)
    .where(
      or_(
        IncidentEvent.type == EventType.CREATE,
        and_(IncidentEvent.type == EventType.COMMENT, IncidentEvent.internal.is_(False)),
        and_(IncidentEvent.type == EventType.UPDATE, IncidentEvent.new_status.is_not(None)),
      )
    )
    .order_by(IncidentEvent.creation_date.desc(), IncidentEvent.id.desc())
    .limit(limit)
  )
  statement = statement.where(*PAIR.where(Incident, scope=scope_id, service=service_id))
  entries = []
  rows = request.dbsession.execute(statement).all()
  # A status change posted with its message is one entry: the comment, which tells the change too.
  told = {
    (event.parent_id, event.creation_date, event.new_status)
    for event, _name in rows
    if event.type is EventType.COMMENT and event.new_status
  }
  for event, name in rows:
    link = f"{request.application_url}/incident/{event.parent_id}"
    if event.type is EventType.UPDATE and (event.parent_id, event.creation_date, event.new_status) in told:
      continue
    if event.type is EventType.COMMENT and event.new_status:
      change = _(
        "incident.status_change",
        old=_(f"incident_status.{event.old_status}"),
        new=_(f"incident_status.{event.new_status}"),
      )
      title, content = f"{name} — {change}", f"{change}\n\n{event.content}"
    elif event.type is EventType.COMMENT:
      title, content = _("incident.history_comment", name=name), event.content
    else:
      status = [event.old_status, event.new_status]
      if event.type is EventType.CREATE:
        # The severity and description it was created with are still read from the creation diff.
        diff = json.loads(event.content or "{}")
        severity = (diff.get("severity") or [None, None])[1]
        title = _("incident.history_created", name=name)
        content = "\n\n".join(
          part
          for part in (
            f"**{_('fields.severity')}**: {_(f'severity.{severity}')} · "
            f"**{_('fields.status')}**: {_(f'incident_status.{status[1]}')}",
            (diff.get("description") or [None, ""])[1],
          )
          if part
        )
      else:
        change = _(
          "incident.status_change",
          old=_(f"incident_status.{status[0]}"),
          new=_(f"incident_status.{status[1]}"),
        )
        title = f"{name} — {change}"
        content = change
    entries.append(
      HistoryEntry(f"incident-{event.parent_id}-event-{event.id}", title, content, link, event.creation_date)
    )
  return entries


def includeme(config):
  # Scopes and services count their incidents (all statuses, as 0.22) and link to their list.
  PAIR.register(
    config, "incident", Incident, label="incidents", count=Count("incidents_count", link="incidents")
  )
  config.add_api_view(weather_view, "/api/weather/incident", "GET")
  # Kept while their tables are not written: a monitor's status change leaves them as they are.
  config.add_dashboard_panel("incidents-ongoing", ongoing_panel, order=30, tables=(Incident, Scope, Service))
  config.add_dashboard_panel("incidents-past", past_panel, order=90, tables=(Incident,))
  config.add_status_contributor(incident_levels, pairs=incident_pair_levels, tables=(Incident,))
  config.add_history_source(history_source, tables=(Incident, IncidentEvent))
