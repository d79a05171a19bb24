"""The standard CRUD views of a resource type's JSON API.

The 0.22 compat writes answer 200 with the object, and also carry the ``Location`` header of the
302 that 0.22 answered (the object's URL; the list's after a delete), for the clients that read it.
"""

from pyramid.httpexceptions import HTTPNoContent

from ..derived import SNAPSHOT_KEY
from ..fragments import json_size, kept_pieces
from ..services import DEFAULT_PER_PAGE
from ..urls import api_url
from .pagination import set_pagination_headers
from .request_body import request_data


def serialize_rows(service, rows: list) -> list[dict]:
  extras = service.aggregates(rows)
  return [service.serialize(row, extras[row.id]) for row in rows]


def kept_rows(service, rows: list) -> list[dict]:
  """:func:`serialize_rows` for an anonymous list: each row's object kept under the versions of
  what it shows (``serialized_versions``, :func:`prodmanager.fragments.kept_pieces`). The next list
  after a write reads the aggregates and events of, and serializes, only the rows that changed.
  The objects are shared: the answer is rendered, never modified."""
  request = service.request
  names = service.serialized_versions(rows) if rows and SNAPSHOT_KEY in request.environ else None
  if names is not None:
    by_id = {row.id: row for row in rows}

    def make(missing: list):
      extras = service.aggregates([by_id[ident] for ident, _names in missing])
      return lambda ident: service.serialize(by_id[ident], extras[ident])

    where = ("object", service.type_name, request.host_url, request.script_name, request.path)
    items = [(row.id, row_names) for row, row_names in zip(rows, names, strict=True)]
    pieces = kept_pieces(request, where, items, make, size=json_size)
    if pieces is not None:
      return pieces
  return serialize_rows(service, rows)


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
