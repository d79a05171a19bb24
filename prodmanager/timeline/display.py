"""What a detail page shows of a timeline: the updates everyone reads, and the technical events.

*Updates* are what a status page publishes: the status a row was created with, each status change
("Investigating", "Resolved") with the message posted with it, and the comments. A status change
posted in one step with its message (:meth:`~prodmanager.timeline.TimelineService.comment` with a
``status``) is one update; a status change made without a message (the edit form, the API) is an
update of its own. Only the statuses of the internal events are shown, never their diffs.

*Technical events* are the internal ``create`` and ``update`` events, for operators: each change
as a row (field label, before, after) of one table, values shown as people read them (labels of
choices, names of referenced rows, local dates, rendered Markdown), not as stored.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select

from ..fields import Boolean, Choice, DateTime, Reference, Text, Url, parse_datetime
from ..markdown import render_markdown
from ..rendering import format_datetime_html, from_json
from ..state import app_state
from .model import EventType


@dataclass
class Update:
  """One entry of the public timeline."""

  date: dt.datetime
  status: str | None = None  # the status it moved to (a value of the status field), if any
  event: Any = None  # the comment, when there is a message
  internal: bool = False


@dataclass
class TechnicalRow:
  label: str
  old: Markup
  new: Markup


@dataclass
class TechnicalEvent:
  event: Any
  kind: str
  author: str
  rows: list[TechnicalRow] = field(default_factory=list)


def status_events(service, row) -> list:
  """The create event and the status changes of ``row``: their dates and statuses are public
  (their content is not read)."""
  model = service.event_model
  statement = (
    select(model)
    .where(model.parent_id == row.id, model.new_status.is_not(None), model.type != EventType.COMMENT)
    .order_by(model.creation_date, model.id)
  )
  return list(service.db.scalars(statement))


def updates(service, row, events: list) -> list[Update]:
  """The public timeline of ``row``, newest first, from the ``events`` this reader may see."""
  comments = [event for event in events if event.type is EventType.COMMENT]
  # A status change posted with its message: the comment carries it, dated like the change.
  told = {(event.creation_date, event.new_status) for event in comments if event.new_status}
  entries = [
    Update(event.creation_date, event.new_status)
    for event in status_events(service, row)
    if (event.creation_date, event.new_status) not in told
  ]
  entries += [Update(event.creation_date, event.new_status, event, event.internal) for event in comments]
  entries.sort(key=lambda entry: (entry.date, entry.event is not None), reverse=True)
  return entries


def author_text(request, author: str | None) -> str:
  """``session:admin`` → ``admin``; a token's name with the word "token" before it."""
  if not author:
    return ""
  kind, _, name = author.partition(":")
  if kind == "token":
    return request._("timeline.author_token", name=name)
  return name or kind


class ValueText:
  """Shows the stored values of a diff as people read them; one query per referenced type."""

  def __init__(self, service, request, diffs: list[dict]):
    self.request = request
    self.fields = {declaration.name: declaration for declaration in service.fields}
    self.names: dict[str, dict[int, str]] = {}
    wanted: dict[str, set[int]] = {}
    for diff in diffs:
      for name, values in diff.items():
        declaration = self.fields.get(name)
        if isinstance(declaration, Reference):
          wanted.setdefault(name, set()).update(v for v in values if isinstance(v, int))
    for name, ids in wanted.items():
      model = self.fields[name].model
      rows = service.db.execute(select(model.id, model.name).where(model.id.in_(ids))).all()
      self.names[name] = dict(rows)
    self.types = app_state(request.registry).resource_types

  def __call__(self, name: str, value) -> Markup:
    if value is None or value == "":
      return Markup('<span class="muted">—</span>')
    declaration, _ = self.fields.get(name), self.request._
    if name == "comment" or (isinstance(declaration, Text) and declaration.multiline):
      return Markup('<div class="markdown">{}</div>').format(render_markdown(str(value)))
    if isinstance(declaration, Choice):
      return escape(_(f"{declaration.prefix or declaration.name}.{value}"))
    if isinstance(declaration, Reference) and isinstance(value, int):
      text = self.names.get(name, {}).get(value)
      if text is None:
        return escape(_("timeline.deleted_row", ident=value))
      if name in self.types:
        return Markup('<a href="/{}/{}">{}</a>').format(name, value, text)
      return escape(text)
    if isinstance(declaration, DateTime):
      try:
        return format_datetime_html(self.request, parse_datetime(value))
      except ValueError:
        return escape(value)
    if isinstance(declaration, Boolean) or isinstance(value, bool) or name == "internal":
      return escape(_("common.yes") if value else _("common.no"))
    if isinstance(declaration, Url):
      return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(value, value)
    return escape(str(value))


def technical_events(service, request, events: list) -> list[TechnicalEvent]:
  """The ``create`` and ``update`` events among ``events``, newest first, with their changes."""
  technical = [event for event in events if event.type is not EventType.COMMENT]
  diffs = [from_json(event.content) for event in technical]
  diffs = [diff if isinstance(diff, dict) else {} for diff in diffs]
  text = ValueText(service, request, diffs)
  order = {declaration.name: rank for rank, declaration in enumerate(service.fields)}
  result = []
  for event, diff in zip(technical, diffs, strict=True):
    rows = []
    for name in sorted(diff, key=lambda key: (order.get(key, len(order)), key)):
      values = diff[name]
      if not (isinstance(values, list) and len(values) == 2):
        continue
      label = request._(service.field_label(name).key)
      rows.append(TechnicalRow(label, text(name, values[0]), text(name, values[1])))
    kind = request._(f"timeline.type.{event.type.value}")
    result.append(TechnicalEvent(event, kind, author_text(request, event.author), rows))
  result.reverse()
  return result


def timeline_values(service, request, row, events: list) -> dict:
  """The template values of a row's timeline (``prodmanager:templates/timeline/events.jinja2``)."""
  status_field = service.status_declaration()
  options = []
  if isinstance(status_field, Choice):
    prefix = status_field.prefix or status_field.name
    options = [(member.value, request._(f"{prefix}.{member.value}")) for member in status_field.enum]
  current = getattr(row, status_field.attr, None) if status_field is not None else None
  return {
    "updates": updates(service, row, events),
    "technical": technical_events(service, request, events),
    "status_kind": (status_field.prefix or status_field.name) if status_field is not None else "",
    "status_options": options,
    "status": getattr(current, "value", current),
  }
