"""The payloads of the Statuspage-compatible endpoints, read with a fixed number of SQL queries.

Each endpoint's body is built from a few grouped queries whatever the amount of data: the page's
last update (1), the components (the pairs with monitors, with the scope and service names and
their status history bounds: 1; their levels from the core's status contributors, one batched query
each, ``prodmanager.status.pair_levels``: 3 with the first-party plugins), the listed
incidents or maintenances (1 each) and their public timeline events (1 each).

Ids are strings: ``scope-3`` (a component group), ``scope-3-service-5`` (a component),
``incident-12``, ``maintenance-7`` and ``incident-12-event-40`` (an update). Dates are UTC with
milliseconds (``2024-01-01T10:00:00.000Z``). Nothing in a payload depends on the time of the request
(only which maintenances are upcoming does), so the ETag changes exactly when the data does.

Updates (``incident_updates``) come from the PUBLIC timeline only, newest first: the creation, each
status change (told from the internal update event's status columns alone — the rest of its diff is
never published) and every public comment. Internal comments never appear.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from prodmanager.cache import changes_at
from prodmanager.db import utcnow
from prodmanager.derived import SNAPSHOT_KEY, derived, row_versions
from prodmanager.fragments import fragment, kept_pieces
from prodmanager.status import Level, levels_key, pair_levels
from prodmanager.timeline import EventType
from prodmanager_incident.models import ONGOING, Incident, IncidentEvent
from prodmanager_maintenance.models import Maintenance, MaintenanceEvent, MaintenanceStatus
from prodmanager_monitor.models import Monitor, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

from .mapping import (
  INCIDENT_IMPACT,
  INCIDENT_STATUS,
  MAINTENANCE_STATUS,
  OPERATIONAL,
  UNDER_MAINTENANCE,
  incident_component_status,
  incident_impacts,
  iso,
  levels_status,
  page_status,
  worst,
)

PAGE_ID = "prodmanager"  # the page id while PM_SITE_NAME is not set
LIST_SIZE = 50  # incidents.json and scheduled-maintenances.json: the 50 most recent, as Statuspage
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the date of what has no recorded date


def public_events(model):
  """The events anyone may read: creations, status changes and public comments."""
  return or_(
    model.type == EventType.CREATE,
    and_(model.type == EventType.COMMENT, model.internal.is_(False)),
    and_(model.type == EventType.UPDATE, model.new_status.is_not(None)),
  )


# What the components are read from (besides the status contributors' levels).
GROUP_TABLES = (Monitor, MonitorStatusChange, Scope, Service)


def compact_json(value) -> str:
  """JSON as the API's renderer writes it (prodmanager.rendering: no blank after ``,`` and ``:``)."""
  return json.dumps(value, separators=(",", ":"))


@dataclass
class Component:
  """A (scope, service) pair with monitors."""

  scope_id: int
  service_id: int
  scope_name: str
  name: str
  description: str
  scope_description: str = ""
  created_at: dt.datetime = EPOCH
  updated_at: dt.datetime = EPOCH
  status: str = OPERATIONAL
  position: int = 0

  @property
  def id(self) -> str:
    return f"scope-{self.scope_id}-service-{self.service_id}"

  @property
  def group_id(self) -> str:
    return f"scope-{self.scope_id}"


@dataclass
class Group:
  """A scope that has components."""

  scope_id: int
  name: str
  description: str
  components: list = field(default_factory=list)
  position: int = 0

  @property
  def id(self) -> str:
    return f"scope-{self.scope_id}"

  @property
  def status(self) -> str:
    return worst(component.status for component in self.components)

  @property
  def created_at(self) -> dt.datetime:
    return min(component.created_at for component in self.components)

  @property
  def updated_at(self) -> dt.datetime:
    return max(component.updated_at for component in self.components)


def page_id(site_name: str) -> str:
  """The page ``id``, derived from ``PM_SITE_NAME`` so that it is stable and differs between sites:
  its ASCII letters and digits ("Acme Status" gives ``acme-status``), or a hash of a name without any."""
  if not site_name:
    return PAGE_ID
  slug = "-".join(re.findall(r"[a-z0-9]+", site_name.lower()))[:64].strip("-")
  return slug or "site-" + hashlib.sha256(site_name.encode()).hexdigest()[:12]


class Statuspage:
  """Builds the payloads for one request; the components are read once and shared."""

  def __init__(self, request):
    self.request = request
    self.db = request.dbsession
    self._groups: list[Group] | None = None
    self._components: dict[tuple[int, int], Component] | None = None
    # The pairs whose components are read (None: all): a list of incidents or maintenances shows
    # the components of its rows only, each with its position among its scope's components.
    self._pairs: set[tuple[int, int]] | None = None
    self._levels: dict[tuple[int, int], set[Level]] = {}
    self.page_id = page_id(request.registry.settings["prodmanager.site_name"])

  # -- page, components, status -------------------------------------------------------------------

  def page(self) -> dict:
    return {
      "id": self.page_id,
      "name": self.request.site_name,
      "url": self.request.application_url,
      "time_zone": self.request.registry.settings["prodmanager.timezone"],
      "updated_at": iso(self.page_updated_at()),
    }

  def page_updated_at(self) -> dt.datetime:
    """The newest public change: a monitor status, a creation, a status change or a public comment.

    The monitors' and maintenances' part is kept while their tables are not written
    (prodmanager.derived): after an incident is created, only the incidents' part is read again.
    """
    kept = derived(
      self.request,
      "statuspage:updated",
      (MonitorStatusChange, Maintenance, MaintenanceEvent),
      lambda: self.newest(
        select(func.max(MonitorStatusChange.changed_at)).scalar_subquery(),
        select(func.max(Maintenance.creation_date)).scalar_subquery(),
        select(func.max(MaintenanceEvent.creation_date))
        .where(public_events(MaintenanceEvent))
        .scalar_subquery(),
      ),
    )
    incidents = self.newest(
      select(func.max(Incident.creation_date)).scalar_subquery(),
      select(func.max(IncidentEvent.creation_date)).where(public_events(IncidentEvent)).scalar_subquery(),
    )
    return max(kept, incidents)

  def newest(self, *latest) -> dt.datetime:
    values = [value for value in self.db.execute(select(*latest)).one() if value is not None]
    return max(values, default=EPOCH)

  def groups(self) -> list[Group]:
    if self._groups is None:
      self._groups = self.read_groups()
    return self._groups

  def read_groups(self) -> list[Group]:
    # Each monitor's first and last status change, read from the (monitor, date) index: two index
    # entries per monitor however long its history (a join grouped over the history read all of it).
    def bound(aggregate):
      return (
        select(aggregate(MonitorStatusChange.changed_at))
        .where(MonitorStatusChange.monitor_id == Monitor.id)
        .scalar_subquery()
      )

    monitors = select(
      Monitor.scope_id, Monitor.service_id, bound(func.min).label("first"), bound(func.max).label("last")
    )
    scopes = services = None
    if self._pairs is not None:
      scopes = sorted({scope_id for scope_id, _ in self._pairs})
      services = sorted({service_id for _, service_id in self._pairs})
      monitors = monitors.where(Monitor.scope_id.in_(scopes), Monitor.service_id.in_(services))
    monitors = monitors.subquery()
    pair = (monitors.c.scope_id, monitors.c.service_id)
    names = (Scope.name, Scope.description, Service.name, Service.description)
    statement = (
      select(*pair, *names, func.min(monitors.c.first), func.max(monitors.c.last))
      .join(Scope, Scope.id == monitors.c.scope_id)
      .join(Service, Service.id == monitors.c.service_id)
      .group_by(*pair, *names)
    )
    # The rows are kept while monitors, their history, scopes and services are not written
    # (prodmanager.derived): after an incident is created, only the levels are read again.
    restriction = (None if scopes is None else tuple(scopes), None if services is None else tuple(services))
    rows = derived(
      self.request,
      "statuspage:components",
      GROUP_TABLES,
      lambda: [tuple(row) for row in self.db.execute(statement)],
      *restriction,
    )
    # Every pair's levels, also of pairs without monitors: their incidents still weigh on the page.
    self._levels = pair_levels(self.request, scopes=scopes, services=services)
    # The groups are made of those rows and levels only: kept by their values (nothing changes
    # them once built).
    return derived(
      self.request,
      "statuspage:groups",
      GROUP_TABLES,
      lambda: self.build_groups(rows, scopes),
      *restriction,
      None if self._pairs is None else frozenset(self._pairs),
      levels_key(self._levels),
    )

  def build_groups(self, rows: list[tuple], scopes: list[int] | None) -> list[Group]:
    components: dict[tuple[int, int], Component] = {}
    for scope_id, service_id, scope, scope_text, service, service_text, first, last in rows:
      if self._pairs is not None and (scope_id, service_id) not in self._pairs:
        continue
      components[(scope_id, service_id)] = Component(
        scope_id,
        service_id,
        scope,
        service,
        service_text or "",
        scope_text or "",
        created_at=first or EPOCH,
        updated_at=last or first or EPOCH,
      )
    groups: dict[int, Group] = {}
    for key, component in components.items():
      component.status = levels_status(self._levels.get(key, ()))
      group = groups.get(component.scope_id)
      if group is None:
        group = groups[component.scope_id] = Group(
          component.scope_id, component.scope_name, component.scope_description
        )
      group.components.append(component)
    ordered = sorted(groups.values(), key=lambda group: (group.name.lower(), group.scope_id))
    for position, group in enumerate(ordered, start=1):
      group.position = position
      group.components.sort(key=lambda component: (component.name.lower(), component.service_id))
      for number, component in enumerate(group.components, start=1):
        component.position = number
    if self._pairs is not None:
      self.place(components, scopes)
    return ordered

  def place(self, components: dict[tuple[int, int], Component], scopes: list[int]) -> None:
    """The positions of some components among all those of their scopes, from the scopes' names of
    services only (one light query), as :meth:`read_groups` gives them when it reads every one."""
    statement = (
      select(Monitor.scope_id, Monitor.service_id, Service.name)
      .join(Service, Service.id == Monitor.service_id)
      .where(Monitor.scope_id.in_(scopes))
      .distinct()
    )
    by_scope: dict[int, list[tuple[str, int]]] = {}
    for scope_id, service_id, name in self.db.execute(statement):
      by_scope.setdefault(scope_id, []).append((name.lower(), service_id))
    for scope_id, entries in by_scope.items():
      for number, (_, service_id) in enumerate(sorted(entries), start=1):
        component = components.get((scope_id, service_id))
        if component is not None:
          component.position = number

  def component_map(self) -> dict[tuple[int, int], Component]:
    """The components by pair, built once: every listed incident and maintenance looks its own up."""
    if self._components is None:
      self._components = {
        (component.scope_id, component.service_id): component
        for group in self.groups()
        for component in group.components
      }
    return self._components

  def serialize_component(self, component: Component) -> dict:
    return {
      "id": component.id,
      "name": component.name,
      "status": component.status,
      "created_at": iso(component.created_at),
      "updated_at": iso(component.updated_at),
      "position": component.position,
      "description": component.description or None,
      "showcase": True,
      "start_date": component.created_at.date().isoformat() if component.created_at != EPOCH else None,
      "group_id": component.group_id,
      "page_id": self.page_id,
      "group": False,
      "only_show_if_degraded": False,
    }

  def serialize_group(self, group: Group) -> dict:
    return {
      "id": group.id,
      "name": group.name,
      "status": group.status,
      "created_at": iso(group.created_at),
      "updated_at": iso(group.updated_at),
      "position": group.position,
      "description": group.description or None,
      "showcase": False,
      "start_date": None,
      "group_id": None,
      "page_id": self.page_id,
      "group": True,
      "only_show_if_degraded": False,
      "components": [component.id for component in group.components],
    }

  def components_json(self) -> str:
    """:meth:`components` as compact JSON, each group with its components one fragment
    (prodmanager.fragments): after a write, only the groups whose values changed are serialised."""
    pieces = []
    for group in self.groups():
      key = (
        "statuspage-group",
        self.page_id,
        group.scope_id,
        group.name,
        group.description,
        group.position,
        tuple(component_key(component) for component in group.components),
      )
      pieces.append(fragment(self.request, key, lambda group=group: self.group_json(group)))
    return "[" + ",".join(pieces) + "]"

  def group_json(self, group: Group) -> str:
    items = [self.serialize_group(group), *(self.serialize_component(item) for item in group.components)]
    return ",".join(compact_json(item) for item in items)

  def components(self) -> list[dict]:
    """Each group followed by its components, as Statuspage lists them."""
    items = []
    for group in self.groups():
      items.append(self.serialize_group(group))
      items.extend(self.serialize_component(component) for component in group.components)
    return items

  def status(self) -> dict:
    statuses = [component.status for group in self.groups() for component in group.components]
    impacts = incident_impacts(level for levels in self._levels.values() for level in levels)
    return page_status(statuses, impacts)

  # -- incidents and maintenances -----------------------------------------------------------------

  def events_of(self, model, ids: list[int]) -> dict[int, list]:
    """The public events of many rows in one query, oldest first (plain rows, as :meth:`rows_of`)."""
    events = {ident: [] for ident in ids}
    if ids:
      statement = (
        select(*model.__table__.columns)
        .where(model.parent_id.in_(ids), public_events(model))
        .order_by(model.creation_date, model.id)
      )
      for event in self.db.execute(statement):
        events[event.parent_id].append(event)
    return events

  def updates(self, prefix, row, events, current_status, update_status, implied, notify, default_body):
    """The ``incident_updates`` of a row, newest first.

    ``update_status(status)`` maps our status to Statuspage's; ``implied(statuspage_status)`` is the
    status the row gives its component then (for ``affected_components``); ``notify(event)`` tells
    whether subscribers are notified of such an event (docs/api.md#statuspage-compatible-json).
    """
    parsed = [entry for entry in (parse_event(event, default_body) for event in events) if entry]
    # A status change posted with its message is one update: the comment's, with the new status.
    told = {
      (event.creation_date, event.new_status) for event, _, _ in parsed if event.type is EventType.COMMENT
    }
    parsed = [
      entry
      for entry in parsed
      if not (entry[0].type is EventType.UPDATE and (entry[0].creation_date, entry[0].new_status) in told)
    ]
    status = initial_status(parsed, current_status)
    component = self.component_map().get((row.scope_id, row.service_id))
    ident = f"{prefix}-{row.id}"
    shown = OPERATIONAL
    updates = []
    for event, change, body in parsed:
      if event.type is EventType.CREATE:
        status = change[1] or status
      elif event.type is EventType.COMMENT and event.new_status:
        status = event.new_status
      elif event.type is EventType.UPDATE:
        old, status = change
        body = f"Status changed from {old} to {status}." if old else f"Status changed to {status}."
      mapped = update_status(status)
      new_shown = implied(mapped)
      date = iso(event.creation_date)
      updates.append(
        {
          "id": f"{ident}-event-{event.id}",
          "status": mapped,
          "body": body,
          "incident_id": ident,
          "created_at": date,
          "updated_at": date,
          "display_at": date,
          "affected_components": None
          if component is None
          else [
            {
              "code": component.id,
              "name": f"{component.scope_name} - {component.name}",
              "old_status": shown,
              "new_status": new_shown,
            }
          ],
          "deliver_notifications": notify(event),
          "custom_tweet": None,
          "tweet_id": None,
        }
      )
      shown = new_shown
    updates.reverse()
    return updates

  def common(self, prefix, row, updates, status, impact, started_at) -> dict:
    component = self.component_map().get((row.scope_id, row.service_id))
    created = iso(row.creation_date)
    return {
      "id": f"{prefix}-{row.id}",
      "name": row.name,
      "status": status,
      "created_at": created,
      "updated_at": updates[0]["updated_at"] if updates else created,
      "monitoring_at": None,
      "resolved_at": None,
      "impact": impact,
      "shortlink": f"{self.request.application_url}/{prefix}/{row.id}",
      "started_at": iso(started_at),
      "page_id": self.page_id,
      "incident_updates": updates,
      "components": [] if component is None else [self.serialize_component(component)],
    }

  def rows_of(self, model, statement) -> list:
    """The rows of a list of incidents or maintenances, plain rows rather than ORM objects (each
    open incident is read on every summary)."""
    return self.db.execute(statement.with_only_columns(*model.__table__.columns)).all()

  def items_json(self, prefix: str, model, event_model, statement, item, kept_as: str | None = None) -> str:
    """The JSON array of ``item(row, events)`` for the rows of ``statement``, each object a fragment
    (prodmanager.fragments) kept by everything it shows: its row, its public events and its
    component; after an incident is created, only that one is serialised. In an anonymous render,
    the objects are kept under the versions of their rows instead (:meth:`kept_items`), and only the
    events of those not kept are read.

    With ``kept_as`` (the statement's name), the rows and their events are kept while the tables of
    ``model`` and ``event_model`` are not written (prodmanager.derived): the maintenances of a
    summary are not read again after an incident is created.
    """
    if kept_as is None:
      kept = self.kept_items(prefix, model, event_model, statement, item)
      if kept is not None:
        return "[" + ",".join(kept) + "]"
      rows, events = self.read_items(model, event_model, statement)
    else:
      rows, events = derived(
        self.request,
        f"statuspage:{prefix}:{kept_as}",
        (model, event_model),
        lambda: self.read_items(model, event_model, statement),
      )
    self.note_pairs(rows)
    pieces = []
    for row in rows:
      component = self.component_map().get((row.scope_id, row.service_id))
      key = (
        f"statuspage-{prefix}",
        self.page_id,
        self.request.application_url,
        tuple(row),
        tuple(tuple(event) for event in events[row.id]),
        None if component is None else component_key(component),
      )
      pieces.append(fragment(self.request, key, lambda row=row: compact_json(item(row, events[row.id]))))
    return "[" + ",".join(pieces) + "]"

  def note_pairs(self, rows) -> None:
    if self._groups is None:
      # The components were not read (not summary.json): only those of the rows' pairs will be.
      self._pairs = {(row.scope_id, row.service_id) for row in rows}

  def kept_items(self, prefix: str, model, event_model, statement, item) -> list[str] | None:
    """The objects of the rows of ``statement`` kept under the versions of their rows and events
    (their shards) and by their components (prodmanager.fragments.kept_pieces): the list reads the
    ids and pairs of its rows, and only the rows not kept are read whole, with their events. None
    without the render's versions, and for maintenances (their rows say when the list changes)."""
    if SNAPSHOT_KEY not in self.request.environ or model is Maintenance:
      return None
    heads = self.db.execute(statement.with_only_columns(model.id, model.scope_id, model.service_id)).all()
    self.note_pairs(heads)
    items, ids = [], {}
    for row_id, scope_id, service_id in heads:
      component = self.component_map().get((scope_id, service_id))
      ident = (row_id, None if component is None else component_key(component))
      items.append((ident, row_versions(model, row_id, (event_model,))))
      ids[ident] = row_id

    def make(missing: list):
      wanted = [ids[ident] for ident, _names in missing]
      rows = {row.id: row for row in self.rows_of(model, select(model.id).where(model.id.in_(wanted)))}
      if len(rows) < len(wanted):
        raise Vanished  # removed since the list was read (PostgreSQL reads each statement anew)
      events = self.events_of(event_model, wanted)
      return lambda ident: compact_json(item(rows[ids[ident]], events[ids[ident]]))

    where = (f"statuspage-{prefix}:kept", self.page_id, self.request.application_url)
    try:
      return kept_pieces(self.request, where, items, make)
    except Vanished:
      return None

  def read_items(self, model, event_model, statement) -> tuple[list, dict[int, list]]:
    rows = self.rows_of(model, statement)
    if model is Maintenance:
      for row in rows:
        if row.status is MaintenanceStatus.SCHEDULED:
          # Kept or not, the list changes when a scheduled one's window ends: it is overdue then,
          # and the upcoming ones leave it (upcoming_clause).
          changes_at(row.scheduled_end_date, self.request)
    return rows, self.events_of(event_model, [row.id for row in rows])

  def incidents_json(self, statement) -> str:
    return self.items_json("incident", Incident, IncidentEvent, statement, self.incident)

  def maintenances_json(self, statement, kept_as: str | None = None) -> str:
    return self.items_json("maintenance", Maintenance, MaintenanceEvent, statement, self.maintenance, kept_as)

  def incident(self, row, events: list) -> dict:
    severity, current = row.severity.value, row.status.value

    def implied(status):
      return OPERATIONAL if status == "resolved" else incident_component_status(severity)

    updates = self.updates(
      "incident",
      row,
      events,
      current,
      lambda status: INCIDENT_STATUS.get(status) or INCIDENT_STATUS[current],
      implied,
      lambda event: True,  # creation, status changes and public comments are all notified
      "This incident has been reported.",
    )
    item = self.common(
      "incident",
      row,
      updates,
      INCIDENT_STATUS[row.status.value],
      INCIDENT_IMPACT[severity],
      row.start_impact_date,
    )
    item["monitoring_at"] = iso(row.stable_date)
    item["resolved_at"] = iso(row.resolve_date)
    return item

  def maintenance(self, row, events: list) -> dict:
    status = MAINTENANCE_STATUS[row.status.value]
    updates = self.updates(
      "maintenance",
      row,
      events,
      row.status.value,
      # A maintenance canceled for a while, then reopened: its updates of then read "completed".
      lambda status, current=status: (
        "completed" if status == "canceled" else MAINTENANCE_STATUS.get(status) or current
      ),
      lambda status: UNDER_MAINTENANCE if status == "in_progress" else OPERATIONAL,
      lambda event: event.type is not EventType.COMMENT,  # maintenance comments are not mailed
      "This maintenance has been scheduled.",
    )
    item = self.common(
      "maintenance", row, updates, status, "maintenance", row.start_date or row.scheduled_start_date
    )
    item["resolved_at"] = iso(row.end_date) if status == "completed" else None
    item["scheduled_for"] = iso(row.scheduled_start_date)
    item["scheduled_until"] = iso(row.scheduled_end_date)
    return item


class Vanished(Exception):
  """A listed row was removed before it was read whole: the list is read again, whole."""


def component_key(component: Component) -> tuple:
  """Everything of a component that its JSON object shows (and an incident's or a maintenance's)."""
  return (
    component.scope_id,
    component.service_id,
    component.scope_name,
    component.name,
    component.description,
    component.status,
    component.created_at,
    component.updated_at,
    component.position,
  )


def parse_event(event, default_body: str):
  """``(event, [old, new] status or None, body)``; None for an update event without a status change.

  The statuses are the event's ``old_status``/``new_status`` columns. A comment's body is its text;
  a creation's is the description it was created with (or ``default_body``); a status change's is
  written from its two statuses by :meth:`updates`.
  """
  if event.type is EventType.COMMENT:
    return event, None, event.content
  change = [event.old_status, event.new_status]
  if event.type is EventType.UPDATE:
    return (event, change, "") if event.new_status else None
  try:
    diff = json.loads(event.content or "{}")
  except ValueError:
    diff = {}
  description = diff.get("description") if isinstance(diff, dict) else None
  body = description[1] if isinstance(description, list) and len(description) == 2 else None
  return event, change, body if isinstance(body, str) and body else default_body


def initial_status(parsed: list, current: str) -> str:
  """The status a row was created with: its creation event says it, or the first status change's
  old value; the current status when the timeline tells nothing."""
  for event, change, _ in parsed:
    if change is None:
      continue
    candidate = change[1] if event.type is EventType.CREATE else change[0]
    if candidate:
      return candidate
  return current


# -- the statements of the endpoints ----------------------------------------------------------------


def recent_incidents():
  return select(Incident).order_by(Incident.start_impact_date.desc(), Incident.id.desc()).limit(LIST_SIZE)


def unresolved_incidents():
  return (
    select(Incident)
    .where(Incident.status.in_(ONGOING))
    .order_by(Incident.start_impact_date.desc(), Incident.id.desc())
  )


def recent_maintenances():
  return (
    select(Maintenance)
    .where(Maintenance.status != MaintenanceStatus.CANCELED)
    .order_by(Maintenance.scheduled_start_date.desc(), Maintenance.id.desc())
    .limit(LIST_SIZE)
  )


def upcoming_clause():
  """Still scheduled and not overdue (its window has not entirely passed)."""
  return and_(Maintenance.status == MaintenanceStatus.SCHEDULED, Maintenance.scheduled_end_date > utcnow())


def active_clause():
  return Maintenance.status == MaintenanceStatus.IN_PROGRESS


def soonest(statement):
  return statement.order_by(Maintenance.scheduled_start_date.asc(), Maintenance.id.asc())


def upcoming_maintenances():
  return soonest(select(Maintenance).where(upcoming_clause()))


def active_maintenances():
  return soonest(select(Maintenance).where(active_clause()))


def current_maintenances():
  """summary.json: the upcoming and the in-progress ones."""
  return soonest(select(Maintenance).where(or_(upcoming_clause(), active_clause())))
