"""The standard CRUD views of a resource type's JSON API.

The 0.22 compat writes answer 200 with the object, and also carry the ``Location`` header of the
302 that 0.22 answered (the object's URL; the list's after a delete), for the clients that read it.
"""

from pyramid.httpexceptions import HTTPNoContent

from ..derived import READS_KEY, SNAPSHOT_KEY
from ..fragments import fragments, json_size
from ..services import DEFAULT_PER_PAGE
from ..urls import api_url
from .pagination import set_pagination_headers
from .request_body import request_data


def serialize_rows(service, rows: list) -> list[dict]:
  extras = service.aggregates(rows)
  return [service.serialize(row, extras[row.id]) for row in rows]


def kept_rows(service, rows: list) -> list[dict]:
  """:func:`serialize_rows` for an anonymous list: each row's object kept under the versions of
  what it shows (``serialized_versions``, read before the render's transaction began: what it
  read is at least as new). The next list after a write serializes, and reads the aggregates and
  events of, only the rows that changed. The objects are shared: the answer is rendered, never
  modified."""
  request = service.request
  snapshot = request.environ.get(SNAPSHOT_KEY)
  names = service.serialized_versions(rows) if snapshot is not None and rows else None
  if names is None:
    return serialize_rows(service, rows)
  reads = request.environ.get(READS_KEY)
  if reads is not None:
    # A kept object is shown as if its rows were read: the answer is not carried over a write of them.
    for row_names in names:
      reads.update(row_names)
  where = ("object", service.type_name, request.lang, request.host_url, request.script_name, request.path)
  keys = [
    (*where, row.id, tuple(snapshot(name) for name in row_names))
    for row, row_names in zip(rows, names, strict=True)
  ]
  kept = fragments(request.registry)
  found = [kept.peek(key) for key in keys]
  missing = [row for row, value in zip(rows, found, strict=True) if value is None]
  if missing:
    extras = service.aggregates(missing)
    for index, row in enumerate(rows):
      if found[index] is None:
        found[index] = kept.get(
          keys[index], lambda row=row: service.serialize(row, extras[row.id]), size=json_size
        )
  return found


def list_view(context, request):
  service = context.service
  page, _ = service.list(request.GET, DEFAULT_PER_PAGE)
  set_pagination_headers(request, page)
  return {"items": kept_rows(service, page.items)}


def get_view(context, request):
  return serialize_rows(context.service, [context.row])[0]


def create_compat_view(context, request):
  service = context.service
  row = service.create(request_data(request))
  body = serialize_rows(service, [row])[0]
  request.response.headers["Location"] = body["links"]["self"]
  return body


def create_rest_view(context, request):
  body = create_compat_view(context, request)
  request.response.status = 201
  return body


def update_view(context, request):
  service = context.service
  service.update(context.row, request_data(request))
  return serialize_rows(service, [context.row])[0]


def update_compat_view(context, request):
  body = update_view(context, request)
  request.response.headers["Location"] = body["links"]["self"]
  return body


def delete_compat_view(context, request):
  context.service.delete(context.row)
  request.response.headers["Location"] = api_url(request, context.resource_type.name)
  return {"message": f"{context.resource_type.name.capitalize()} {context.__name__} deleted"}


def delete_rest_view(context, request):
  context.service.delete(context.row)
  return HTTPNoContent()
