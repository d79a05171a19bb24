"""The views of ``/api/v2/*.json`` and their headers: CORS for any origin (with the ``OPTIONS``
preflight), a 30-second public cache (the ETag and the 304 answers come from the core's ETag tween,
``HEAD`` from the core's HEAD tween)."""

from pyramid.events import NewResponse
from pyramid.httpexceptions import HTTPNoContent
from pyramid.response import Response

from . import payload
from .payload import Statuspage, compact_json

PREFIX = "/api/v2/"
CACHE_CONTROL = "public, max-age=30"
PREFLIGHT_HEADERS = {
  "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
  # Conditional requests, and a token (which reads the same as no token here).
  "Access-Control-Allow-Headers": "Authorization, If-None-Match, If-Modified-Since, X-PRIVATE-TOKEN",
  "Access-Control-Max-Age": "86400",
}


def json_response(members: list[tuple[str, object]]) -> Response:
  """A JSON object of ``members`` in order; a member given as :class:`Raw` is JSON text already."""
  body = ",".join(
    f"{compact_json(name)}:{value if isinstance(value, Raw) else compact_json(value)}"
    for name, value in members
  )
  return Response(body="{" + body + "}", content_type="application/json", charset="utf-8")


class Raw(str):
  """JSON text to put in a response as it is (the components' fragments)."""


def summary_view(context, request):
  page = Statuspage(request)
  components = Raw(page.components_json())
  return json_response(
    [
      ("page", page.page()),
      ("components", components),
      ("incidents", Raw(page.incidents_json(payload.unresolved_incidents()))),
      ("scheduled_maintenances", Raw(page.maintenances_json(payload.current_maintenances(), "current"))),
      ("status", page.status()),
    ],
  )


def status_view(context, request):
  page = Statuspage(request)
  return {"page": page.page(), "status": page.status()}


def components_view(context, request):
  page = Statuspage(request)
  components = Raw(page.components_json())
  return json_response([("page", page.page()), ("components", components)])


def incidents_view(statement):
  def view(context, request):
    page = Statuspage(request)
    return json_response([("page", page.page()), ("incidents", Raw(page.incidents_json(statement())))])

  return view


def maintenances_view(statement):
  def view(context, request):
    page = Statuspage(request)
    maintenances = Raw(page.maintenances_json(statement(), statement.__name__))
    return json_response([("page", page.page()), ("scheduled_maintenances", maintenances)])

  return view


def preflight_view(context, request):
  """``OPTIONS``: the CORS preflight of a browser about to read the endpoint from another origin."""
  return HTTPNoContent(headers=PREFLIGHT_HEADERS)


def preflight_fragment(paths) -> dict:
  header = {"schema": {"type": "string"}}
  operation = {
    "tags": ["statuspage"],
    "summary": "CORS preflight: any origin may read this endpoint with GET or HEAD",
    "responses": {
      "204": {
        "description": "the methods and headers a cross-origin read may use",
        "headers": {
          "Access-Control-Allow-Origin": {"$ref": "#/components/headers/StatuspageCORS"},
          **{name: header for name in PREFLIGHT_HEADERS},
        },
      }
    },
  }
  return {
    "paths": {
      PREFIX + path: {
        "options": {
          **operation,
          "operationId": "statuspage_preflight_"
          + path.replace("/", "_").replace(".json", "").replace("-", "_"),
        }
      }
      for path in paths
    }
  }


def add_headers(event) -> None:
  """Any web page may read these endpoints (CORS ``*``), and caches may keep them 30 seconds."""
  if not event.request.path.startswith(PREFIX):
    return
  response = event.response
  response.headers["Access-Control-Allow-Origin"] = "*"
  if response.status_code == 200:
    response.cache_control = CACHE_CONTROL


VIEWS = {
  "summary.json": summary_view,
  "status.json": status_view,
  "components.json": components_view,
  "incidents.json": incidents_view(payload.recent_incidents),
  "incidents/unresolved.json": incidents_view(payload.unresolved_incidents),
  "scheduled-maintenances.json": maintenances_view(payload.recent_maintenances),
  "scheduled-maintenances/upcoming.json": maintenances_view(payload.upcoming_maintenances),
  "scheduled-maintenances/active.json": maintenances_view(payload.active_maintenances),
}


def includeme(config):
  config.add_openapi_fragment(preflight_fragment(VIEWS))
  for path, view in VIEWS.items():
    config.add_api_view(view, PREFIX + path, "GET")
    config.add_api_view(preflight_view, PREFIX + path, "OPTIONS")
  config.add_subscriber(add_headers, NewResponse)
