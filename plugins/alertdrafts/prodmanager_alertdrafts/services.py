"""What operators do with drafts, on the web and through the API: list, publish, dismiss, resolve.

Publishing creates the incident through the incident service, as the incident form would: its
timeline, its ``incident.created`` event and so its notifications start then, never before.
Resolving posts a public update that moves the incident to resolved, as the update form would.
Each action locks its draft row first, so that two operators clicking together act once.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from prodmanager.db import utcnow
from prodmanager.errors import Conflict, Message, NotFound, ValidationFailed
from prodmanager.fields import format_datetime
from prodmanager.services import DEFAULT_PER_PAGE, MAX_PER_PAGE, Page, parse_int_param
from prodmanager.state import app_state
from prodmanager_incident.models import Incident, IncidentStatus
from prodmanager_incident.services import IncidentService
from prodmanager_monitor.models import Monitor

from .models import STATES, AlertDraft, DraftMonitor, DraftState, MonitorChoice
from .proposals import opens_drafts

MAX_ID = 2**31 - 1
# What the publish action may change of the suggestion; everything else comes from the draft.
PUBLISH_FIELDS = ("name", "severity", "description")
# A monitor's own choice: "always" or "never" open drafts, or "" (None in JSON) to follow PM_ALERT_DRAFTS.
CHOICES = {"always": True, "never": False, "": None}


def choice_name(value: bool | None) -> str | None:
  return None if value is None else ("always" if value else "never")


def parse_ident(raw) -> int | None:
  text = str(raw or "")
  return int(text) if text.isdecimal() and len(text) <= 10 and 0 < int(text) <= MAX_ID else None


class DraftService:
  """Drafts for one request (its session and identity)."""

  def __init__(self, request):
    self.request = request
    self.db = request.dbsession

  # -- reading ---------------------------------------------------------------------------------

  def loading(self, statement):
    """Eager loading for lists and pages: the pair, the monitors and the incident in fixed queries."""
    return statement.options(
      selectinload(AlertDraft.scope),
      selectinload(AlertDraft.service),
      selectinload(AlertDraft.incident),
      selectinload(AlertDraft.monitors).selectinload(DraftMonitor.monitor),
    )

  def get(self, raw_ident, *, lock: bool = False) -> AlertDraft:
    ident = parse_ident(raw_ident)
    statement = select(AlertDraft).where(AlertDraft.id == ident)
    if lock:
      statement = statement.with_for_update()
    draft = self.db.scalars(self.loading(statement)).first() if ident is not None else None
    if draft is None:
      raise NotFound(Message("alertdrafts.not_found"), {"id": [Message("alertdrafts.no_such", id=raw_ident)]})
    return draft

  def parse_states(self, params) -> list[DraftState]:
    raw = [value.strip().lower() for value in params.getall("state") if value.strip()]
    bad = [value for value in raw if value not in STATES]
    if bad:
      raise ValidationFailed(
        Message("validation.list_parameters"),
        {"state": [Message("validation.choice", choices=", ".join(STATES))]},
      )
    return [DraftState(value) for value in raw]

  def page(self, params) -> Page:
    """Drafts newest first, optionally of some ``state``; two queries for the rows plus the eager
    loads, whatever the page length."""
    page = parse_int_param(params, "page", 1, 1, 10_000_000)
    per_page = parse_int_param(params, "per_page", DEFAULT_PER_PAGE, 0, MAX_PER_PAGE)
    states = self.parse_states(params)
    clauses = [AlertDraft.state.in_(states)] if states else []
    total = self.db.scalar(select(func.count()).select_from(AlertDraft).where(*clauses))
    items = []
    if per_page:
      statement = (
        select(AlertDraft)
        .where(*clauses)
        .order_by(AlertDraft.opened_at.desc(), AlertDraft.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
      )
      items = list(self.db.scalars(self.loading(statement)))
    return Page(items, page, per_page, total)

  def waiting(self, limit: int = 100) -> list[AlertDraft]:
    """The open drafts, oldest first (the operators' queue)."""
    statement = (
      select(AlertDraft)
      .where(AlertDraft.state == DraftState.OPEN)
      .order_by(AlertDraft.opened_at, AlertDraft.id)
      .limit(limit)
    )
    return list(self.db.scalars(self.loading(statement)))

  def proposed_resolutions(self, limit: int = 100) -> list[AlertDraft]:
    """The published drafts whose monitors recovered while their incident is still unresolved."""
    statement = (
      select(AlertDraft)
      .join(Incident, AlertDraft.incident_id == Incident.id)
      .where(AlertDraft.resolve_proposed.is_(True), Incident.status != IncidentStatus.RESOLVED)
      .order_by(AlertDraft.recovered_at, AlertDraft.id)
      .limit(limit)
    )
    return list(self.db.scalars(self.loading(statement)))

  def recent(self, limit: int = 20) -> list[AlertDraft]:
    """The drafts decided last (published, dismissed, closed by recovery)."""
    statement = (
      select(AlertDraft)
      .where(AlertDraft.state != DraftState.OPEN)
      .order_by(AlertDraft.decided_at.desc(), AlertDraft.id.desc())
      .limit(limit)
    )
    return list(self.db.scalars(self.loading(statement)))

  def counts(self) -> tuple[int, int]:
    """(open drafts, proposed resolutions): what the dashboard banner tells operators, in one query."""
    waiting = select(func.count()).select_from(AlertDraft).where(AlertDraft.state == DraftState.OPEN)
    proposed = (
      select(func.count())
      .select_from(AlertDraft)
      .join(Incident, AlertDraft.incident_id == Incident.id)
      .where(AlertDraft.resolve_proposed.is_(True), Incident.status != IncidentStatus.RESOLVED)
    )
    row = self.db.execute(select(waiting.scalar_subquery(), proposed.scalar_subquery())).one()
    return row[0], row[1]

  def for_incident(self, incident_id: int) -> AlertDraft | None:
    statement = select(AlertDraft).where(AlertDraft.incident_id == incident_id).order_by(AlertDraft.id.desc())
    return self.db.scalars(self.loading(statement.limit(1))).first()

  # -- acting ----------------------------------------------------------------------------------

  def author(self) -> str | None:
    identity = getattr(self.request, "identity", None)
    return None if identity is None else f"{identity.kind}:{identity.name}"

  def conflict(self, draft: AlertDraft, key: str) -> Conflict:
    return Conflict(
      Message("alertdrafts.not_done"),
      {"state": [Message(key, id=draft.id, state=Message(f"alertdrafts.state_{draft.state.value}"))]},
    )

  def publish(self, raw_ident, data: dict) -> tuple[AlertDraft, Incident]:
    """Create the draft's incident (``data`` may change its name, severity and description)."""
    draft = self.get(raw_ident, lock=True)
    if draft.state is not DraftState.OPEN:
      raise self.conflict(draft, "alertdrafts.not_open")
    values = {
      "name": draft.name,
      "severity": draft.severity.value,
      "description": draft.description,
      "status": IncidentStatus.ACTIVE.value,
      "scope": draft.scope_id,
      "service": draft.service_id,
      # The impact started with the alert, not with the click.
      "start_impact_date": format_datetime(draft.opened_at),
    }
    for name in PUBLISH_FIELDS:
      value = data.get(name)
      if isinstance(value, str) and value.strip():
        values[name] = value
    incident = IncidentService(self.request).create(values)
    draft.state, draft.incident = DraftState.PUBLISHED, incident
    draft.decided_at, draft.decided_by = utcnow(), self.author()
    self.db.flush()
    return draft, incident

  def dismiss(self, raw_ident) -> AlertDraft:
    draft = self.get(raw_ident, lock=True)
    if draft.state is not DraftState.OPEN:
      raise self.conflict(draft, "alertdrafts.not_open")
    draft.state, draft.decided_at, draft.decided_by = DraftState.DISMISSED, utcnow(), self.author()
    self.db.flush()
    return draft

  def resolve(self, raw_ident) -> AlertDraft:
    """Resolve the incident of a published draft whose monitors recovered: a public update."""
    draft = self.get(raw_ident, lock=True)
    incident = draft.incident
    if (
      draft.state is not DraftState.PUBLISHED
      or not draft.resolve_proposed
      or incident is None
      or incident.status is IncidentStatus.RESOLVED
    ):
      raise self.conflict(draft, "alertdrafts.not_resolvable")
    registry = self.request.registry
    text = app_state(registry).catalogues.translate(
      registry.settings["prodmanager.lang"], "alertdrafts.resolved_comment"
    )
    IncidentService(self.request).comment(
      incident, {"comment": text, "status": IncidentStatus.RESOLVED.value, "internal": False}
    )
    draft.resolve_proposed = False
    self.db.flush()
    return draft

  # -- a monitor's own choice ------------------------------------------------------------------

  def monitor(self, raw_ident) -> Monitor:
    ident = parse_ident(raw_ident)
    monitor = self.db.get(Monitor, ident) if ident is not None else None
    if monitor is None:
      raise NotFound(
        Message("alertdrafts.monitor_not_found"),
        {"id": [Message("alertdrafts.no_such_monitor", id=raw_ident)]},
      )
    return monitor

  def choice(self, monitor: Monitor) -> dict:
    """The monitor's own choice (``always``, ``never`` or None) and what its next alert does."""
    row = self.db.get(MonitorChoice, monitor.id)
    return {
      "monitor": monitor.id,
      "choice": None if row is None else choice_name(row.opens_drafts),
      "opens_drafts": opens_drafts(self.request.registry, self.db, monitor),
    }

  def set_choice(self, monitor: Monitor, value) -> dict:
    """Set (``always``, ``never``) or clear (None, "") the monitor's own choice."""
    key = "" if value is None else value
    if not isinstance(key, str) or key not in CHOICES:
      raise ValidationFailed(
        Message("alertdrafts.choice_refused"),
        {"choice": [Message("validation.choice", choices="always, never")]},
      )
    row = self.db.get(MonitorChoice, monitor.id)
    wanted = CHOICES[key]
    if wanted is None:
      if row is not None:
        self.db.delete(row)
    elif row is None:
      self.db.add(MonitorChoice(monitor_id=monitor.id, opens_drafts=wanted))
    else:
      row.opens_drafts = wanted
    self.db.flush()
    return self.choice(monitor)
