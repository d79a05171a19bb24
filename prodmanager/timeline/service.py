"""The service mixin of a type whose rows have a timeline: events written, comments, visibility."""

from typing import Any

from sqlalchemy import select

from ..db import utcnow
from ..domain_events import emit
from ..errors import ValidationFailed
from ..fields import MAX_TEXT
from ..fields import Boolean as BooleanField
from ..fields import Text as TextField
from .encoding import encode_diff, encode_value, event_date, status_columns
from .model import EventType

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
    return event

  def after_change(self, row, changes) -> None:
    super().after_change(row, changes)
    if changes is None:
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

  def comment(self, row, data: dict):
    """Add an operator's comment; ``internal`` defaults to false (public)."""
    values, reasons = {}, {}
    for field in COMMENT_FIELDS:
      raw = data.get(field.name)
      if field.empty(raw):
        if field.required:
          reasons[field.name] = ["this field is required"]
        values[field.name] = field.empty_value()
        continue
      try:
        values[field.name] = field.parse(raw, self)
      except ValueError as error:
        reasons[field.name] = [str(error)]
    if reasons:
      raise ValidationFailed("Comment failed", reasons)
    event = self.record(row, EventType.COMMENT, values["comment"], values["internal"])
    self.flush()
    emit(
      self.db,
      f"{self.type_name}.commented",
      self.type_name,
      row.id,
      internal=values["internal"],
      event_id=event.id,
    )
    return event

  # -- reading ---------------------------------------------------------------------------------

  def internal_visible(self) -> bool:
    """Sessions and tokens with this type's permission see internal events; others do not."""
    container = self.request.root[self.type_name]
    return bool(self.request.has_permission("view_internal", container))

  def events_of(self, ids: list[int], include_internal: bool | None = None) -> dict[int, list]:
    """The events of many rows in one query, oldest first, filtered by visibility."""
    if include_internal is None:
      include_internal = self.internal_visible()
    model = self.event_model
    statement = select(model).where(model.parent_id.in_(ids)).order_by(model.creation_date, model.id)
    if not include_internal:
      statement = statement.where(model.internal.is_(False))
    events = {ident: [] for ident in ids}
    if ids:
      for event in self.db.scalars(statement):
        events[event.parent_id].append(event)
    return events

  def aggregates(self, rows: list) -> dict[int, dict]:
    result = super().aggregates(rows)
    for ident, events in self.events_of([row.id for row in rows]).items():
      result[ident]["events"] = events
    return result

  @staticmethod
  def serialize_event(event) -> dict:
    return {
      "creation_date": event_date(event.creation_date),
      "content": event.content,
      "internal": event.internal,
      "type": event.type.value,
    }
