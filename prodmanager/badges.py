"""Status badges: SVG images and their shields.io "endpoint" JSON twins (docs/user-guide.md#badges).

``/badge.svg`` and ``/badge.json`` show the page's overall status; a resource type adds its own with
``config.add_badge("<type>", status_of)`` where ``status_of(request, row)`` returns a status level
(``ok``, ``warning``, ``alert`` or the "under maintenance" level): that serves
``/<type>/<id>/badge.svg`` and ``/<type>/<id>/badge.json``. ``?label=`` replaces the left text, ``?style=`` picks ``flat``
(default), ``flat-square`` or ``for-the-badge``. Badges are never cached by intermediaries
(``Cache-Control: no-cache``): a README showing them must see an outage at once.
"""

from collections.abc import Callable

from markupsafe import escape
from pyramid.response import Response

from .actions import deferred_config, register, resource_type_named
from .errors import ValidationFailed
from .status import UNDER_WORK, overall_status
from .text import xml_text

STYLES = ("flat", "flat-square", "for-the-badge")
COLORS = {"ok": "#2e7d32", "warning": "#ef6c00", "alert": "#c62828", UNDER_WORK: "#1565c0"}
SHIELDS_COLORS = {"ok": "brightgreen", "warning": "orange", "alert": "red", UNDER_WORK: "blue"}
LABEL_COLOR = "#555"
MAX_LABEL = 64

# Approximate advance widths of Verdana 11px (what shields.io measures with), in pixels.
_NARROW = set("fijlrtI!.,:;'|()[]{} ")
_WIDE = set("mwMWOQGDHNU@%")


def text_width(text: str, for_the_badge: bool = False) -> int:
  width = 0.0
  for char in text:
    width += 3.6 if char in _NARROW else 9.5 if char in _WIDE else 7.0
  return int(width * (1.15 if for_the_badge else 1.0)) + 1


def badge_params(request) -> tuple[str | None, str]:
  label = request.GET.get("label")
  style = request.GET.get("style", "flat")
  reasons = {}
  if label is not None and len(label) > MAX_LABEL:
    reasons["label"] = [f"must be at most {MAX_LABEL} characters long"]
  if style not in STYLES:
    reasons["style"] = [f"must be one of: {', '.join(STYLES)}"]
  if reasons:
    raise ValidationFailed("Invalid badge parameters", reasons)
  return label, style


def render_svg(label: str, message: str, color: str, style: str) -> str:
  """A shields.io-looking badge, accessible (``role="img"`` with a title)."""
  upper = style == "for-the-badge"
  if upper:
    label, message = label.upper(), message.upper()
  padding = 12 if upper else 6
  height = 28 if upper else 20
  left = text_width(label, upper) + 2 * padding
  right = text_width(message, upper) + 2 * padding
  total = left + right
  radius = 0 if style != "flat" else 3
  gradient = style == "flat"
  title = escape(f"{label}: {message}")
  label_text, message_text = escape(label), escape(message)
  text_y = 18 if upper else 14
  weight = ' font-weight="bold"' if upper else ""
  gradient_defs = (
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
    '<stop offset="1" stop-opacity=".1"/></linearGradient>'
    if gradient
    else ""
  )
  shine = f'<rect width="{total}" height="{height}" fill="url(#s)"/>' if gradient else ""
  return (
    f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{height}" role="img" aria-label="{title}">'
    f"<title>{title}</title>{gradient_defs}"
    f'<clipPath id="r"><rect width="{total}" height="{height}" rx="{radius}" fill="#fff"/></clipPath>'
    f'<g clip-path="url(#r)"><rect width="{left}" height="{height}" fill="{LABEL_COLOR}"/>'
    f'<rect x="{left}" width="{right}" height="{height}" fill="{color}"/>{shine}</g>'
    f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"{weight}>'
    f'<text x="{left / 2:.1f}" y="{text_y}">{label_text}</text>'
    f'<text x="{left + right / 2:.1f}" y="{text_y}">{message_text}</text></g></svg>'
  )


def badge_texts(request, status: str, default_label: str) -> tuple[str, str]:
  label, _style = badge_params(request)
  # A name stored with a control character (before input refused them) must not break the SVG.
  return xml_text(default_label if label is None else label), request._(f"badge.{status}")


def svg_response(request, status: str, default_label: str) -> Response:
  label, style = badge_params(request)
  label_text, message = badge_texts(request, status, default_label)
  response = Response(
    render_svg(label_text, message, COLORS[status], style), content_type="image/svg+xml", charset="utf-8"
  )
  response.cache_control = "no-cache"
  return response


def endpoint_json(request, status: str, default_label: str) -> dict:
  """The shields.io endpoint schema (schemaVersion 1)."""
  label, style = badge_params(request)
  label_text, message = badge_texts(request, status, default_label)
  request.response.cache_control = "no-cache"
  return {
    "schemaVersion": 1,
    "label": label_text,
    "message": message,
    "color": SHIELDS_COLORS[status],
    "style": style,
  }


def page_badge_svg(context, request):
  return svg_response(request, overall_status(request), request._("badge.label"))


def page_badge_json(context, request):
  return endpoint_json(request, overall_status(request), request._("badge.label"))


BADGE_PARAMETERS = [
  {
    "name": "label",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_LABEL},
    "description": "left text (default: the name of the page or of the row)",
  },
  {"name": "style", "in": "query", "required": False, "schema": {"type": "string", "enum": list(STYLES)}},
]


def badge_operation(operation_id: str, summary: str) -> dict:
  return {
    "tags": ["badge"],
    "operationId": operation_id,
    "summary": summary,
    "parameters": BADGE_PARAMETERS,
    "responses": {
      "200": {
        "description": "shields.io endpoint JSON",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ShieldsEndpoint"}}},
      },
      **{code: {"$ref": f"#/components/responses/E{code}"} for code in ("400", "404", "429")},
    },
  }


SHIELDS_SCHEMA = {
  "type": "object",
  "required": ["schemaVersion", "label", "message", "color"],
  "properties": {
    "schemaVersion": {"type": "integer", "const": 1},
    "label": {"type": "string"},
    "message": {"type": "string"},
    "color": {"type": "string"},
    "style": {"type": "string", "enum": list(STYLES)},
  },
}


def add_badge(config, type_name: str, status_of: Callable) -> None:
  """Serve ``/<type>/<id>/badge.svg`` and its documented JSON twin ``/<type>/<id>/badge.json``.

  ``status_of(request, row)`` returns the row's status level; ``type_name`` is a registered
  resource type (its views and API path are added when the configuration commits).
  """
  nested = deferred_config(config, config.action_info)

  def svg(context, request):
    return svg_response(request, status_of(request, context.row), context.row.name)

  def json_view(context, request):
    return endpoint_json(request, status_of(request, context.row), context.row.name)

  def apply():
    resource_type = resource_type_named(nested, type_name, "add_badge")
    nested.add_view(
      svg, context=resource_type.item, name="badge.svg", request_method=("GET", "HEAD"), permission="view"
    )
    path = f"/{type_name}/{{id}}/badge.json"
    operation = badge_operation(f"badge_{type_name}", f"shields.io endpoint JSON of a {type_name}'s status")
    operation["parameters"] = [
      {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
      *BADGE_PARAMETERS,
    ]
    nested.add_openapi_fragment({"paths": {path: {"get": operation}}})
    nested.add_api_view(json_view, path, "GET")

  register(
    config, ("prodmanager.badge", type_name), apply, what="badges", title=type_name, status_of=status_of
  )


def includeme(config):
  config.add_directive("add_badge", add_badge)
  config.add_openapi_fragment(
    {
      "tags": [{"name": "badge", "description": "status badges (SVG at the same paths with .svg)"}],
      "components": {"schemas": {"ShieldsEndpoint": SHIELDS_SCHEMA}},
      "paths": {
        "/badge.json": {"get": badge_operation("badge_page", "shields.io endpoint JSON of the page's status")}
      },
    }
  )
  config.add_api_view(page_badge_json, "/badge.json", "GET")
  config.add_route("badge.svg", "/badge.svg")
  config.add_view(page_badge_svg, route_name="badge.svg", request_method=("GET", "HEAD"), permission="view")
