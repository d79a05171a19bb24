"""Event timelines of the types that have one (docs/user-guide.md#the-timeline).

Each such type keeps its own events table (``EventColumns`` + a foreign key to its row, deleted
with it). The service mixin :class:`TimelineService` writes one internal ``create`` event on
creation, one internal ``update`` event per update that changed something (a JSON diff
``{field: [old, new]}`` with one consistent encoding; a status change is also typed data, the
``old_status``/``new_status`` columns), and operators' comments (Markdown, public
unless ``internal`` is asked). Anonymous readers see public comments only, on pages and in the API;
a session or a token carrying the type's permission sees everything.

``config.add_timeline_api("<type>")`` serves ``POST /api/<type>/{id}/comment`` (0.22: answers
200 with the row), ``POST /api/<type>/{id}/events`` (201 with the event) and
``GET /api/<type>/{id}/events``; ``config.add_timeline_html("<type>")`` the comment form's POST.

The modules of this package: :mod:`.model` (the events table), :mod:`.encoding` (values and dates
in diffs), :mod:`.service` (``TimelineService``), :mod:`.openapi` (the endpoints' description),
:mod:`.api_views` (``add_timeline_api``) and :mod:`.html_view` (``add_timeline_html``).
"""

from .api_views import add_timeline_api, comment_compat_view, comment_rest_view, events_view
from .encoding import encode_diff, encode_value, event_date, status_columns, status_columns_of_diff
from .html_view import add_timeline_html, comment_html_view
from .model import EventColumns, EventType
from .openapi import event_schema, timeline_fragment
from .service import COMMENT_FIELDS, TimelineService

__all__ = [
  "COMMENT_FIELDS",
  "EventColumns",
  "EventType",
  "TimelineService",
  "add_timeline_api",
  "add_timeline_html",
  "comment_compat_view",
  "comment_html_view",
  "comment_rest_view",
  "encode_diff",
  "encode_value",
  "event_date",
  "event_schema",
  "events_view",
  "includeme",
  "status_columns",
  "status_columns_of_diff",
  "timeline_fragment",
]


def includeme(config):
  config.add_directive("add_timeline_api", add_timeline_api)
  config.add_directive("add_timeline_html", add_timeline_html)
  # Once, for every timeline type's events endpoints (their actions run in any order).
  config.add_openapi_fragment({"components": {"schemas": {"Event": event_schema()}}})
