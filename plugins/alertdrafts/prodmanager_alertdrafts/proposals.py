"""Drafts follow the monitors: an alert opens or joins a draft, a return to ok closes it or proposes
resolving its incident.

Every path that changes a monitor's status (integration runs, the alert hooks, the API, the web
forms) goes through the monitor service, which emits ``monitor.status_changed`` on its session.
:func:`write_pending` runs just before that session's outermost commit and writes the drafts in the
same transaction as the status change: a rolled-back change leaves no draft, and a committed one
never misses its draft. Its own work runs in a savepoint: a failure here is logged and loses the
draft, never the monitor's status.
"""

import datetime as dt
import logging

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prodmanager.db import utcnow
from prodmanager.domain_events import PENDING
from prodmanager.state import app_state
from prodmanager_incident.models import Incident, IncidentStatus
from prodmanager_monitor.models import Monitor

from .models import AlertDraft, DraftMonitor, DraftState, MonitorChoice

log = logging.getLogger(__name__)

# (the list of pending events, how many of them were handled): the core replaces the list after
# each commit, so a count is only meaningful for the same list.
DONE = "prodmanager_alertdrafts.done"
MAX_NAME = 255


def shown(moment) -> str:
  """A date as the suggested text shows it (UTC, to the minute)."""
  return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


# Who closed a draft whose monitors recovered before anyone published it.
RECOVERY = "recovery"


def write_pending(registry, session: Session) -> None:
  """The before-commit hook: the drafts of the monitor status changes since the last call."""
  if session.in_nested_transaction():
    return
  events = session.info.get(PENDING) or []
  seen = session.info.get(DONE)
  done = seen[1] if seen is not None and seen[0] is events else 0
  if done >= len(events):
    return
  session.info[DONE] = (events, len(events))
  changes = [event for event in events[done:] if event.name == "monitor.status_changed"]
  for event in changes:
    try:
      with session.begin_nested():
        follow(registry, session, event.id, event.data.get("old"), event.data.get("new"), event.data)
    except Exception:  # noqa: BLE001 - the monitor's change must be committed even if its draft fails
      log.exception("alertdrafts: the draft of monitor #%d (%s) could not be written", event.id, event.data)


def follow(registry, session: Session, monitor_id: int, old: str | None, new: str | None, data: dict) -> None:
  if new == "alert":
    on_alert(registry, session, monitor_id, data.get("source") or "")
  elif new == "ok":
    on_recovery(session, monitor_id)


def active_draft(session: Session, scope_id: int, service_id: int) -> AlertDraft | None:
  """The pair's draft that a new alert joins: the open one, or a published one whose incident is not
  resolved (the incident already tells the public about the pair)."""
  statement = (
    select(AlertDraft)
    .outerjoin(Incident, AlertDraft.incident_id == Incident.id)
    .where(
      AlertDraft.scope_id == scope_id,
      AlertDraft.service_id == service_id,
      or_(
        AlertDraft.state == DraftState.OPEN,
        and_(AlertDraft.state == DraftState.PUBLISHED, Incident.status != IncidentStatus.RESOLVED),
      ),
    )
    .order_by(AlertDraft.id.desc())
    .limit(1)
  )
  return session.scalars(statement).first()


def opens_drafts(registry, session: Session, monitor: Monitor) -> bool:
  """Whether an alert of ``monitor`` opens a draft: its own choice, else ``PM_ALERT_DRAFTS``."""
  choice = session.get(MonitorChoice, monitor.id)
  if choice is not None:
    return choice.opens_drafts
  return registry.settings["prodmanager.alertdrafts.sources"].covers(monitor.integration)


def on_alert(registry, session: Session, monitor_id: int, source: str) -> None:
  monitor = session.get(Monitor, monitor_id)
  if monitor is None or not opens_drafts(registry, session, monitor):
    return
  now = utcnow()
  draft = active_draft(session, monitor.scope_id, monitor.service_id)
  if draft is None:
    draft = open_draft(registry, session, monitor, source, now)
    if draft is not None:
      log.info("alertdrafts: monitor %r (#%d) in alert opened draft #%d", monitor.name, monitor.id, draft.id)
      return
    # Another transaction opened the pair's draft at the same moment: join it.
    draft = active_draft(session, monitor.scope_id, monitor.service_id)
    if draft is None:
      return
  join(registry, session, draft, monitor, source, now)


def open_draft(registry, session: Session, monitor: Monitor, source: str, now) -> AlertDraft | None:
  """A new open draft for the monitor's pair, or None when the pair got one meanwhile (the partial
  unique index refused a second)."""
  lang = registry.settings["prodmanager.lang"]
  catalogues = app_state(registry).catalogues
  names = pair_names(session, monitor)
  draft = AlertDraft(
    scope_id=monitor.scope_id,
    service_id=monitor.service_id,
    state=DraftState.OPEN,
    opened_at=now,
    name=catalogues.translate(lang, "alertdrafts.suggested_name", monitor=monitor.name, **names)[:MAX_NAME],
    severity=registry.settings["prodmanager.alertdrafts.severity"],
    description=describe(catalogues, lang, monitor, source, now),
    resolve_proposed=False,
  )
  try:
    with session.begin_nested():
      session.add(draft)
      session.flush()
  except IntegrityError:
    return None
  session.add(DraftMonitor(draft_id=draft.id, monitor_id=monitor.id, source=source, alerted_at=now))
  session.flush()
  return draft


def join(registry, session: Session, draft: AlertDraft, monitor: Monitor, source: str, now) -> None:
  """Add ``monitor`` to ``draft`` (or mark it alerting again): the draft is no longer recovered."""
  link = session.get(DraftMonitor, (draft.id, monitor.id))
  if link is None:
    session.add(DraftMonitor(draft_id=draft.id, monitor_id=monitor.id, source=source, alerted_at=now))
    if draft.state is DraftState.OPEN:
      # The suggestion names every monitor that joined before it is published.
      catalogues = app_state(registry).catalogues
      line = catalogues.translate(
        registry.settings["prodmanager.lang"],
        "alertdrafts.joined_line",
        monitor=monitor.name,
        source=source or monitor.integration or "-",
        date=shown(now),
      )
      draft.description = f"{draft.description}\n\n{line}"
  else:
    link.recovered_at = None
  draft.recovered_at = None
  draft.resolve_proposed = False
  session.flush()
  log.info("alertdrafts: monitor %r (#%d) in alert joined draft #%d", monitor.name, monitor.id, draft.id)


def on_recovery(session: Session, monitor_id: int) -> None:
  """The monitor is back to ok: in each of its drafts still followed, once every monitor of the
  draft recovered, an open draft closes and a published one proposes resolving its incident."""
  now = utcnow()
  statement = (
    select(DraftMonitor)
    .join(AlertDraft, DraftMonitor.draft_id == AlertDraft.id)
    .where(
      DraftMonitor.monitor_id == monitor_id,
      DraftMonitor.recovered_at.is_(None),
      AlertDraft.state.in_([DraftState.OPEN, DraftState.PUBLISHED]),
    )
  )
  for link in list(session.scalars(statement)):
    link.recovered_at = now
    session.flush()
    alerting = session.scalar(
      select(func.count())
      .select_from(DraftMonitor)
      .where(DraftMonitor.draft_id == link.draft_id, DraftMonitor.recovered_at.is_(None))
    )
    if alerting:
      continue
    draft = session.get(AlertDraft, link.draft_id)
    draft.recovered_at = now
    if draft.state is DraftState.OPEN:
      draft.state, draft.decided_at, draft.decided_by = DraftState.CLOSED, now, RECOVERY
      log.info("alertdrafts: draft #%d closed, its monitors recovered before it was published", draft.id)
    else:
      incident = session.get(Incident, draft.incident_id) if draft.incident_id is not None else None
      draft.resolve_proposed = incident is not None and incident.status is not IncidentStatus.RESOLVED
    session.flush()


def pair_names(session: Session, monitor: Monitor) -> dict[str, str]:
  from prodmanager_scope.models import Scope
  from prodmanager_service.models import Service

  return {
    "scope": session.get(Scope, monitor.scope_id).name,
    "service": session.get(Service, monitor.service_id).name,
  }


def describe(catalogues, lang: str, monitor: Monitor, source: str, now) -> str:
  """The suggested description (Markdown): which monitor alerted, from where, and its link."""
  lines = [
    catalogues.translate(
      lang,
      "alertdrafts.suggested_description",
      monitor=monitor.name,
      source=source or monitor.integration or "-",
      date=shown(now),
    )
  ]
  if monitor.external_link:
    lines.append(catalogues.translate(lang, "alertdrafts.suggested_link", link=monitor.external_link))
  return "\n\n".join(lines)
