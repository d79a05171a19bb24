"""The JSON views of a timeline: comment (0.22 compat and REST) and the list of events."""

from pyramid.httpexceptions import HTTPNoContent

from ..actions import deferred_config, register, resource_type_named
from ..api import request_data, serialize_rows
from ..errors import Message, NotFound
from .openapi import timeline_fragment
from .service import TimelineService


def comment_compat_view(context, request):
  context.service.comment(context.row, request_data(request))
  body = serialize_rows(context.service, [context.row])[0]
  # 0.22 answered with a 302 to the parent: its Location stays, beside the parent itself.
  request.response.headers["Location"] = body["links"]["self"]
  return body


def comment_rest_view(context, request):
  event = context.service.comment(context.row, request_data(request))
  request.response.status = 201
  return TimelineService.serialize_event(event)


def events_view(context, request):
  service = context.service
  return {
    "items": [service.serialize_event(event) for event in service.events_of([context.row.id])[context.row.id]]
  }


def event_of(context, request):
  """The comment ``{event_id}`` of the row, or a 404 (unknown, another row's, not a comment)."""
  event = context.service.comment_event(context.row, request.matchdict.get("event_id"))
  if event is None:
    raise NotFound(Message("api.errors.not_found"), {"event_id": [Message("api.request.no_comment")]})
  return event


def edit_comment_view(context, request):
  """``PATCH /api/<type>/{id}/events/{event_id}``: change a comment's text or visibility."""
  event = event_of(context, request)
  context.service.edit_comment(context.row, event, request_data(request))
  return TimelineService.serialize_event(event)


def delete_comment_view(context, request):
  """``DELETE /api/<type>/{id}/events/{event_id}``: delete a comment (204)."""
  context.service.delete_comment(context.row, event_of(context, request))
  return HTTPNoContent()


def add_timeline_api(config, type_name: str) -> None:
  """Document and serve the comment and events endpoints of a type whose service is a TimelineService.

  (The ``Event`` schema they refer to is the core's, added by :func:`prodmanager.timeline.includeme`.)
  """
  nested = deferred_config(config, config.action_info)

  def apply():
    resource_type = resource_type_named(nested, type_name, "add_timeline_api")
    status = resource_type.service.status_declaration()
    statuses = [member.value for member in status.enum] if getattr(status, "enum", None) else []
    nested.add_openapi_fragment(timeline_fragment(type_name, resource_type.schema, statuses))
    base = f"/api/{type_name}/{{id}}"
    nested.add_api_view(comment_compat_view, f"{base}/comment", "POST", permission="edit")
    nested.add_api_view(events_view, f"{base}/events", "GET")
    nested.add_api_view(comment_rest_view, f"{base}/events", "POST", permission="edit")
    nested.add_api_view(edit_comment_view, f"{base}/events/{{event_id}}", "PATCH", permission="edit")
    nested.add_api_view(delete_comment_view, f"{base}/events/{{event_id}}", "DELETE", permission="edit")

  register(config, ("prodmanager.timeline_api", type_name), apply, what="timeline apis", title=type_name)
