"""Event timelines of incidents and maintenances (product.md §2.6).

Each such type keeps its own events table (``EventColumns`` + a foreign key to its row, deleted
with it). The service mixin :class:`TimelineService` writes one internal ``create`` event on
creation, one internal ``update`` event per update that changed something (a JSON diff
``{field: [old, new]}`` with one consistent encoding), and operators' comments (Markdown, public
unless ``internal`` is asked). Anonymous readers see public comments only, on pages and in the API;
a session or a token carrying the type's permission sees everything.

``config.add_timeline_api("incident")`` serves ``POST /api/incident/{id}/comment`` (0.22: answers
200 with the incident), ``POST /api/incident/{id}/events`` (201 with the event) and
``GET /api/incident/{id}/events``; ``config.add_timeline_html("incident")`` the comment form's POST.
"""

import datetime as dt
import enum
import json
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from sqlalchemy import Boolean, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime, enum_column, utcnow
from .errors import AppError, ValidationFailed
from .fields import MAX_TEXT, format_datetime
from .fields import Boolean as BooleanField
from .fields import Text as TextField


class EventType(enum.Enum):
  CREATE = "create"
  UPDATE = "update"
  COMMENT = "comment"


class EventColumns:
  """Columns of a timeline event; the plugin's model adds ``__tablename__`` and ``parent_id``."""

  id: Mapped[int] = mapped_column(primary_key=True)
  creation_date: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
  type: Mapped[EventType] = mapped_column(enum_column(EventType))
  content: Mapped[str] = mapped_column(Text, default="")
  internal: Mapped[bool] = mapped_column(Boolean, default=False)
  author: Mapped[str | None] = mapped_column(String(255))


def encode_value(value: Any) -> Any:
  """One encoding for every diff: enums by value, dates in the API's format, the rest as JSON has it."""
  if isinstance(value, enum.Enum):
    return value.value
  if isinstance(value, dt.datetime):
    return format_datetime(value)
  return value


def encode_diff(changes: dict[str, tuple]) -> str:
  return json.dumps(
    {field: [encode_value(old), encode_value(new)] for field, (old, new) in changes.items()},
    sort_keys=True,
    ensure_ascii=False,
  )


def event_date(value: dt.datetime) -> str:
  """Event dates keep the seconds (``YYYY-MM-DDTHH:MM:SS``, UTC)."""
  return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


COMMENT_FIELDS = (
  TextField("comment", required=True, max_length=MAX_TEXT, multiline=True),
  BooleanField("internal"),
)


class TimelineService:
  """Mixin for a :class:`~prodmanager.services.ResourceService` whose rows have a timeline.

  Set ``event_model`` (the events table, with a ``parent_id`` column). Domain events
  ``<type>.created``, ``<type>.updated`` (with the changes) and ``<type>.commented`` are emitted;
  subclasses add their own (status changes) in :meth:`domain_events`.
  """

  event_model: Any = None

  # -- writing ---------------------------------------------------------------------------------

  def author(self) -> str | None:
    identity = getattr(self.request, "identity", None)
    if identity is None:
      return None
    return f"{identity.kind}:{identity.name}"

  def record(self, row, event_type: EventType, content: str, internal: bool):
    event = self.event_model(
      parent_id=row.id,
      type=event_type,
      content=content,
      internal=internal,
      author=self.author(),
      creation_date=utcnow(),
    )
    self.db.add(event)
    return event

  def after_change(self, row, changes) -> None:
    super().after_change(row, changes)
    if changes is None:
      initial = {field.name: (None, getattr(row, field.attr)) for field in self.fields}
      self.record(
        row, EventType.CREATE, encode_diff({k: v for k, v in initial.items() if v[1] not in (None, "")}), True
      )
    else:
      self.record(row, EventType.UPDATE, encode_diff(changes), True)
    self.domain_events(row, changes)

  def domain_events(self, row, changes) -> None:
    """Emit the domain events of a create (``changes`` is None) or of an update."""
    from .domain_events import emit

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
    from .domain_events import emit

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


def event_schema() -> dict:
  return {
    "type": "object",
    "required": ["creation_date", "content", "internal", "type"],
    "properties": {
      "creation_date": {"type": "string", "description": "YYYY-MM-DDTHH:MM:SS (UTC)"},
      "content": {"type": "string"},
      "internal": {"type": "boolean"},
      "type": {"type": "string", "enum": [member.value for member in EventType]},
    },
  }


def timeline_fragment(type_name: str, schema: str) -> dict:
  from .api import ERROR_CODES, WRITE_CONTENT_TYPES, error_responses

  tag = [type_name]
  id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}]
  form = {
    "type": "object",
    "required": ["comment"],
    "additionalProperties": True,
    "properties": {"comment": {"type": "string", "maxLength": MAX_TEXT}, "internal": {"type": "string"}},
  }
  json_body = {
    "type": "object",
    "required": ["comment"],
    "additionalProperties": True,
    "properties": {
      "comment": {"type": "string", "maxLength": MAX_TEXT},
      "internal": {"type": ["boolean", "string", "null"]},
    },
  }
  body = {
    "required": True,
    "content": {
      content_type: {"schema": json_body if content_type == "application/json" else form}
      for content_type in WRITE_CONTENT_TYPES
    },
  }
  event_ref = {"$ref": "#/components/schemas/Event"}
  return {
    "paths": {
      f"/api/{type_name}/{{id}}/comment": {
        "parameters": id_param,
        "post": {
          "tags": tag,
          "operationId": f"comment_{type_name}",
          "requestBody": body,
          "summary": f"Comment a {type_name} (0.22 compat: answers 200 with the {type_name}); public unless internal",
          "responses": {
            "200": {
              "description": f"the {type_name}",
              "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            },
            **error_responses(*ERROR_CODES),
          },
        },
      },
      f"/api/{type_name}/{{id}}/events": {
        "parameters": id_param,
        "get": {
          "tags": tag,
          "operationId": f"list_{type_name}_events",
          "summary": "The timeline; anonymous readers and tokens without the permission get public events only",
          "responses": {
            "200": {
              "description": "events, oldest first",
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {"items": {"type": "array", "items": event_ref}},
                  }
                }
              },
            },
            **error_responses("400", "401", "404", "429"),
          },
        },
        "post": {
          "tags": tag,
          "operationId": f"create_{type_name}_event",
          "requestBody": body,
          "summary": "Add a comment (REST); public unless internal",
          "responses": {
            "201": {"description": "the comment", "content": {"application/json": {"schema": event_ref}}},
            **error_responses(*ERROR_CODES),
          },
        },
      },
    },
  }


def comment_compat_view(context, request):
  from .api import request_data, serialize_rows

  context.service.comment(context.row, request_data(request))
  return serialize_rows(context.service, [context.row])[0]


def comment_rest_view(context, request):
  from .api import request_data

  event = context.service.comment(context.row, request_data(request))
  request.response.status = 201
  return TimelineService.serialize_event(event)


def events_view(context, request):
  service = context.service
  return {
    "items": [service.serialize_event(event) for event in service.events_of([context.row.id])[context.row.id]]
  }


def add_timeline_api(config, type_name: str) -> None:
  """Document and serve the comment and events endpoints of a type whose service is a TimelineService."""
  resource_type = config.registry["resource_types"][type_name]
  document = config.registry["openapi.document"].document
  if "Event" not in document.get("components", {}).get("schemas", {}):
    config.add_openapi_fragment({"components": {"schemas": {"Event": event_schema()}}})
  config.add_openapi_fragment(timeline_fragment(type_name, resource_type.schema))
  base = f"/api/{type_name}/{{id}}"
  config.add_api_view(comment_compat_view, f"{base}/comment", "POST", permission="edit")
  config.add_api_view(events_view, f"{base}/events", "GET")
  config.add_api_view(comment_rest_view, f"{base}/events", "POST", permission="edit")


def comment_html_view(context, request):
  """The comment form of a detail page: back to the page, or the page again with the errors and
  the text typed so far (nothing is lost)."""
  from .views.html import DETAIL_TEMPLATE, ResourceViews

  try:
    context.service.comment(context.row, dict(request.POST))
  except AppError as error:
    values = ResourceViews(context, request).detail()
    values.update(
      comment_errors=error.reasons,
      comment_value=request.POST.get("comment", ""),
      comment_internal=request.POST.get("internal") in ("on", "true", "1", "yes"),
    )
    template = context.resource_type.templates.get("detail", DETAIL_TEMPLATE)
    response = render_to_response(template, values, request=request)
    response.status = error.status
    return response
  request.session.flash(("success", request._("flash.commented")))
  return HTTPSeeOther(request.resource_url(context).rstrip("/") + "#timeline")


def add_timeline_html(config, type_name: str) -> None:
  """Serve ``POST /<type>/<id>/comment`` (the comment form of the detail page)."""
  resource_type = config.registry["resource_types"][type_name]
  config.add_view(
    comment_html_view, context=resource_type.item, name="comment", request_method="POST", permission="edit"
  )


def includeme(config):
  config.add_directive("add_timeline_api", add_timeline_api)
  config.add_directive("add_timeline_html", add_timeline_html)
