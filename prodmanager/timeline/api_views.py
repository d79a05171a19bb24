"""The JSON views of a timeline: comment (0.22 compat and REST) and the list of events."""

from ..actions import deferred_config, register, resource_type_named
from ..api import request_data, serialize_rows
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


def add_timeline_api(config, type_name: str) -> None:
  """Document and serve the comment and events endpoints of a type whose service is a TimelineService.

  (The ``Event`` schema they refer to is the core's, added by :func:`prodmanager.timeline.includeme`.)
  """
  nested = deferred_config(config, config.action_info)

  def apply():
    resource_type = resource_type_named(nested, type_name, "add_timeline_api")
    nested.add_openapi_fragment(timeline_fragment(type_name, resource_type.schema))
    base = f"/api/{type_name}/{{id}}"
    nested.add_api_view(comment_compat_view, f"{base}/comment", "POST", permission="edit")
    nested.add_api_view(events_view, f"{base}/events", "GET")
    nested.add_api_view(comment_rest_view, f"{base}/events", "POST", permission="edit")

  register(config, ("prodmanager.timeline_api", type_name), apply, what="timeline apis", title=type_name)
