"""What a notification says, frozen when the change is committed (``notification_message.snapshot``).

A domain event names a row; the snapshot copies what the mails and payloads need from it (name,
status, Markdown description, the public comment, scope and service names, the page's path, a
maintenance's ``.ics``), so that a later change never alters a notification already queued.

Triggers (docs/notifications.md#what-sends-a-notification): incident created, status changed, public comment; maintenance scheduled,
status changed; announcement created; and, for webhooks, monitor status changes. An internal
comment, or an update that changes no status, makes no snapshot: nothing is sent.
"""

import datetime as dt
import logging
from types import SimpleNamespace
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from prodmanager.domain_events import DomainEvent
from prodmanager.state import app_state

log = logging.getLogger(__name__)

# event name -> (kind, label key); the labels are 0.22's ("New incident", "Updated incident"...).
TRIGGERS = {
  "incident.created": ("incident", "notification.label.incident_created"),
  "incident.status_changed": ("incident", "notification.label.incident_updated"),
  "incident.commented": ("incident", "notification.label.incident_updated"),
  "maintenance.created": ("maintenance", "notification.label.maintenance_created"),
  "maintenance.status_changed": ("maintenance", "notification.label.maintenance_updated"),
  "announcement.created": ("announcement", "notification.label.announcement_created"),
  "monitor.status_changed": ("monitor", "notification.label.monitor_updated"),
}


def iso(value: dt.datetime | None) -> str | None:
  return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def enum_value(value):
  return getattr(value, "value", value)


def pair(registry, session: Session, row) -> dict:
  """The scope and service of a row (its relationships do not load lazily: read by id)."""
  scope = session.get(model_of(registry, "scope"), row.scope_id)
  service = session.get(model_of(registry, "service"), row.service_id)
  return {
    "scope": {"id": row.scope_id, "name": scope.name if scope is not None else ""},
    "service": {"id": row.service_id, "name": service.name if service is not None else ""},
  }


def model_of(registry, type_name: str):
  resource_type = app_state(registry).resource_types.get(type_name)
  return None if resource_type is None else resource_type.service.model


def take(registry, session: Session, event: DomainEvent, base_url: str) -> dict | None:
  """The snapshot of a triggering event, or None when the event sends nothing."""
  trigger = TRIGGERS.get(event.name)
  if trigger is None:
    return None
  if event.name == "incident.commented" and event.data.get("internal", True):
    return None
  model = model_of(registry, event.type_name)
  row = session.get(model, event.id) if model is not None else None
  if row is None:
    return None  # deleted in the same transaction
  kind, label = trigger
  snapshot = {
    "event": event.name,
    "kind": kind,
    "label": label,
    "id": row.id,
    "name": row.name,
    "description": getattr(row, "description", "") or "",
    "path": f"/{event.type_name}/{row.id}",
    "base_url": base_url,
    **pair(registry, session, row),
  }
  if "old" in event.data:
    snapshot["old_status"], snapshot["new_status"] = event.data["old"], event.data["new"]
  elif "status" in event.data:  # a comment posted with a status change (one step)
    snapshot["old_status"], snapshot["new_status"] = (enum_value(value) for value in event.data["status"])
  if kind == "incident":
    snapshot.update(
      status=enum_value(row.status),
      severity=enum_value(row.severity),
      start_impact_date=iso(row.start_impact_date),
      resolve_date=iso(row.resolve_date),
    )
    if event.name == "incident.commented":
      event_model = getattr(app_state(registry).resource_types[event.type_name].service, "event_model", None)
      comment = session.get(event_model, event.data["event_id"]) if event_model is not None else None
      snapshot["comment"] = comment.content if comment is not None else ""
  elif kind == "maintenance":
    snapshot.update(
      status=enum_value(row.status),
      service_status=enum_value(row.service_status),
      scheduled_start_date=iso(row.scheduled_start_date),
      scheduled_end_date=iso(row.scheduled_end_date),
      start_date=iso(row.start_date),
      end_date=iso(row.end_date),
      ics=maintenance_calendar(registry, session, row, base_url),
    )
  elif kind == "announcement":
    snapshot.update(level=enum_value(row.level), start_date=iso(row.start_date), end_date=iso(row.end_date))
  elif kind == "monitor":
    snapshot.update(status=enum_value(row.status), external_link=getattr(row, "external_link", None))
  return snapshot


def maintenance_calendar(registry, session: Session, row, base_url: str) -> str | None:
  """The maintenance's VEVENT as its public calendar serves it (same UID: calendar clients update
  the entry they already have), or None when the maintenance plugin cannot build it."""
  try:
    from prodmanager_maintenance.calendar import build_calendar
  except ImportError:  # pragma: no cover - maintenance events come from the maintenance plugin
    return None
  catalogues = app_state(registry).catalogues
  lang = registry.settings["prodmanager.lang"]
  # The calendar builder reads these attributes of a request: the instance's language, its public
  # address and the session of the change.
  context = SimpleNamespace(
    _=lambda key, **kwargs: catalogues.translate(lang, key, **kwargs),
    domain=urlsplit(base_url).hostname or "localhost",
    application_url=base_url,
    dbsession=session,
  )
  try:
    # The builder reads the row's scope and service, which never load lazily.
    session.refresh(row, attribute_names=["scope", "service"])
    return build_calendar(context, [row]).decode("utf-8")
  except Exception:  # noqa: BLE001 - a mail without its attachment beats no mail
    log.exception("could not build the calendar of maintenance %s", row.id)
    return None
