"""The service mixin of a type whose rows have a timeline: events written, comments, visibility."""

from typing import Any

from sqlalchemy import select

from ..db import utcnow
from ..domain_events import emit
from ..errors import Message, ValidationFailed, reason
from ..fields import MAX_TEXT
from ..fields import Boolean as BooleanField
from ..fields import Text as TextField
from .display import timeline_values
from .encoding import encode_diff, encode_value, event_date, status_columns
from .model import EVENT_RECORD_COLUMNS, EventRecord, EventType

COMMENT_FIELDS = (
  TextField("comment", required=True, max_length=MAX_TEXT, multiline=True),
  BooleanField("internal"),
)


class TimelineService:
  """Mixin for a :class:`~prodmanager.services.ResourceService` whose rows have a timeline.

  Set ``event_model`` (the events table, with a ``parent_id`` column); ``status_field`` names the
  field whose changes fill the events' ``old_status``/``new_status`` columns. Domain events
  ``<type>.created``, ``<type>.updated`` (with the changes) and ``<type>.commented`` are emitted;
  subclasses add their own (status changes) in :meth:`domain_events`.
  """

  event_model: Any = None
  status_field: str = "status"

  # -- writing ---------------------------------------------------------------------------------

  def author(self) -> str | None:
    identity = getattr(self.request, "identity", None)
    if identity is None:
      return None
    return f"{identity.kind}:{identity.name}"

  def record(self, row, event_type: EventType, content: str, internal: bool, changes: dict | None = None):
    """Add an event; ``changes`` (``{field: (old, new)}``) gives its status columns."""
    event = self.event_model(
      parent_id=row.id,
      type=event_type,
      content=content,
      internal=internal,
      author=self.author(),
      creation_date=utcnow(),
      **status_columns(changes or {}, self.status_field),
    )
    self.db.add(event)
    self.recorded.append(event)
    return event

  @property
  def recorded(self) -> list:
    """The events this service instance wrote, in order (a one-step update dates its comment
    like the status change it made)."""
    return self.__dict__.setdefault("_recorded", [])

  def after_change(self, row, changes) -> None:
    super().after_change(row, changes)
    if changes is None:
      self.__dict__.setdefault("_created", set()).add(row.id)
      initial = {field.name: (None, getattr(row, field.attr)) for field in self.fields}
      initial = {k: v for k, v in initial.items() if v[1] not in (None, "")}
      self.record(row, EventType.CREATE, encode_diff(initial), True, initial)
    else:
      self.record(row, EventType.UPDATE, encode_diff(changes), True, changes)
    self.domain_events(row, changes)

  def domain_events(self, row, changes) -> None:
    """Emit the domain events of a create (``changes`` is None) or of an update."""
    if changes is None:
      emit(self.db, f"{self.type_name}.created", self.type_name, row.id)
    else:
      emit(
        self.db,
        f"{self.type_name}.updated",
        self.type_name,
        row.id,
        changes={field: [encode_value(old), encode_value(new)] for field, (old, new) in changes.items()},
      )

  @classmethod
  def status_declaration(cls):
    """The field declaration of ``status_field`` (a :class:`~prodmanager.fields.Choice`)."""
    for field in cls.fields:
      if field.name == cls.status_field:
        return field
    return None

  def comment(self, row, data: dict):
    """Post an update: an operator's comment, public unless ``internal`` is asked, and with it,
    when ``status`` is given and differs from the current one, the status change (one step).

    The status changes as an update would change it (milestone dates, the internal ``update``
    event, domain events); the comment records the change in its status columns and takes the
    update event's date, so that the public timeline shows one entry: the new status with its
    message. Every error of the request (comment and status) is reported at once, nothing written.
    """
    values, reasons = self.parse_comment(data, required=True)
    status_field, new_status = self.status_declaration(), None
    raw_status = data.get(self.status_field)
    if status_field is not None and not status_field.empty(raw_status):
      try:
        new_status = status_field.parse(raw_status, self)
      except ValueError as error:
        reasons[self.status_field] = [reason(error)]
    if reasons:
      raise ValidationFailed(Message("validation.comment_failed"), reasons)
    changes, recorded = {}, len(self.recorded)
    if new_status is not None and new_status != getattr(row, status_field.attr):
      changes = self.update(row, {self.status_field: new_status.value})
    update_event = self.recorded[-1] if changes and len(self.recorded) > recorded else None
    event = self.record(row, EventType.COMMENT, values["comment"], values["internal"], changes)
    if update_event is not None:
      event.creation_date = update_event.creation_date
    self.flush()
    emit(
      self.db,
      f"{self.type_name}.commented",
      self.type_name,
      row.id,
      internal=values["internal"],
      event_id=event.id,
      **({"status": [event.old_status, event.new_status]} if event.new_status else {}),
    )
    return event

  def parse_comment(self, data: dict, required: bool) -> tuple[dict, dict]:
    """The comment fields present in ``data`` and the reasons of those refused; with
    ``required``, a missing comment is refused and a missing ``internal`` is false."""
    values, reasons = {}, {}
    for field in COMMENT_FIELDS:
      present = field.name in data
      raw = data.get(field.name)
      if field.empty(raw):
        if field.required and (required or present):
          reasons[field.name] = [Message("validation.required")]
        elif required:
          values[field.name] = field.empty_value()
        continue
      try:
        values[field.name] = field.parse(raw, self)
      except ValueError as error:
        reasons[field.name] = [reason(error)]
    return values, reasons

  def comment_event(self, row, ident) -> Any:
    """The comment ``ident`` of ``row``, or None (another row's event, or not a comment)."""
    try:
      ident = int(ident)
    except (TypeError, ValueError):
      return None
    event = self.db.get(self.event_model, ident) if 0 < ident < 2**63 else None
    if event is None or event.parent_id != row.id or event.type is not EventType.COMMENT:
      return None
    return event

  def edit_comment(self, row, event, data: dict) -> dict:
    """Change a comment's text and/or visibility; an internal ``update`` event records the edit
    (``{"comment": [old, new], "internal": [old, new]}``). Returns the changes."""
    values, reasons = self.parse_comment(data, required=False)
    if reasons:
      raise ValidationFailed(Message("validation.comment_failed"), reasons)
    changes = {}
    for name, attribute in (("comment", "content"), ("internal", "internal")):
      if name in values and values[name] != getattr(event, attribute):
        changes[name] = (getattr(event, attribute), values[name])
        setattr(event, attribute, values[name])
    if changes:
      self.record(row, EventType.UPDATE, encode_diff(changes), True)
      self.flush()
      emit(self.db, f"{self.type_name}.comment_edited", self.type_name, row.id, event_id=event.id)
    return changes

  def delete_comment(self, row, event) -> None:
    """Delete a comment; an internal ``update`` event keeps what it said (``{"comment": [old, null]}``)."""
    self.record(row, EventType.UPDATE, encode_diff({"comment": (event.content, None)}), True)
    self.db.delete(event)
    self.flush()
    emit(self.db, f"{self.type_name}.comment_deleted", self.type_name, row.id, event_id=event.id)

  # -- reading ---------------------------------------------------------------------------------

  def internal_visible(self) -> bool:
    """Sessions and tokens with this type's permission see internal events; others do not."""
    container = self.request.root[self.type_name]
    return bool(self.request.has_permission("view_internal", container))

  def events_of(self, ids: list[int], include_internal: bool | None = None) -> dict[int, list]:
    """The events of many rows in one query, oldest first, filtered by visibility (:class:`EventRecord`)."""
    if include_internal is None:
      include_internal = self.internal_visible()
    created = self.__dict__.get("_created", ())
    if ids and all(ident in created for ident in ids):
      # Rows this instance created: every event they have, it wrote (the answer to a creation).
      if any(event.id is None for event in self.recorded):
        self.db.flush()  # their ids (the query would have flushed them as well)
      return self.recorded_events(ids, include_internal)
    model = self.event_model
    columns = [model.__table__.c[name] for name in EVENT_RECORD_COLUMNS]
    statement = select(*columns).where(model.parent_id.in_(ids)).order_by(model.creation_date, model.id)
    if not include_internal:
      statement = statement.where(model.internal.is_(False))
    events = {ident: [] for ident in ids}
    if ids:
      for row in self.db.execute(statement):
        events[row[0]].append(EventRecord._make(row))
    return events

  def recorded_events(self, ids: list[int], include_internal: bool) -> dict[int, list]:
    """:meth:`events_of` from the events this instance wrote (flushed: they have their ids)."""
    events = {ident: [] for ident in ids}
    written = sorted(self.recorded, key=lambda event: (event.creation_date, event.id))
    for event in written:
      if event.parent_id in events and (include_internal or not event.internal):
        events[event.parent_id].append(
          EventRecord._make(getattr(event, name) for name in EVENT_RECORD_COLUMNS)
        )
    return events

  def serialized_members(self) -> tuple:
    return (self.event_model,)

  def aggregates(self, rows: list) -> dict[int, dict]:
    result = super().aggregates(rows)
    for ident, events in self.events_of([row.id for row in rows]).items():
      result[ident]["events"] = events
    return result

  def timeline_values(self, row, events: list) -> dict:
    """What the detail page shows of the timeline (:mod:`prodmanager.timeline.display`)."""
    return timeline_values(self, self.request, row, events)

  @staticmethod
  def serialize_event(event) -> dict:
    """An event as the API shows it: 0.22's four keys, plus its ``id`` (to edit or delete a
    comment) and the ``status`` it moved the row to (a status change, or a comment posted with one)."""
    return {
      "id": event.id,
      "creation_date": event_date(event.creation_date),
      "content": event.content,
      "internal": event.internal,
      "type": event.type.value,
      "status": event.new_status,
    }
