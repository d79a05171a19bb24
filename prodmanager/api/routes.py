"""API routes generated from the composed document, and the views recorded for them.

pyramid_openapi3 needs routes (not pure traversal), so every API path becomes a hybrid route whose
``traverse`` walks the same tree as the HTML views: ACLs, resources and services are shared.
"""

from pyramid.exceptions import ConfigurationError

from ..actions import origin_text, register
from ..state import app_state
from .document import ApiView


def traverse_for(registry, path: str) -> str | None:
  """``/api/scope/{id}/update`` traverses ``/scope/{id}``; ``/api/scope`` traverses ``/scope``;
  ``/scope/{id}/badge.json`` (outside ``/api``) and ``/api/incident/{id}/events/{event_id}``
  traverse ``/scope/{id}`` and ``/incident/{id}`` too."""
  segments = path.strip("/").split("/")
  if segments[0] == "api":
    segments = segments[1:]
  if not segments or segments[0] not in app_state(registry).resource_types:
    # Not below a resource type (``/api/token/{jti}``...): nothing to traverse, the context is the root.
    return None
  placeholders = [index for index, segment in enumerate(segments) if segment.startswith("{")]
  if placeholders:
    # Up to the row (``/scope/{id}``): what is named below it (``events/{event_id}``) is the
    # view's to find, from the route's match.
    return "/" + "/".join(segments[: placeholders[0] + 1])
  return "/" + segments[0]


def api_route_name(path: str) -> str:
  return f"api:{path}"


def add_api_view(config, view, path: str, method: str, permission: str = "view", **kwargs) -> None:
  """Serve ``method path`` with ``view``, validated by pyramid_openapi3 against the document.

  ``path`` must be a path of the composed OpenAPI document (from
  :func:`~prodmanager.api.document.add_openapi_fragment` or :func:`~prodmanager.api.crud.add_crud_api`).
  The view is registered when the document is complete, on the route that
  :func:`~prodmanager.api.spec.finalize_document` generates for that path.
  """
  kwargs.setdefault("renderer", "json")
  entry = ApiView(view, path, method.upper(), permission, kwargs, origin_text(config.action_info))
  register(
    config,
    ("prodmanager.api_view", path, entry.method),
    lambda: app_state(config.registry).openapi.views.append(entry),
    what="api views",
    title=f"{entry.method} {path}",
    view=view,
    permission=permission,
  )


def route_order(path: str) -> list[tuple[bool, str]]:
  """Sort key of the generated routes: at each segment, literal segments come before placeholders,
  because Pyramid takes the first matching route (``/api/scope/create`` before ``/api/scope/{id}``)."""
  return [(segment.startswith("{"), segment) for segment in path.split("/")]


def add_api_routes(config) -> None:
  """One hybrid route per path of the composed document, then the views recorded for them."""
  openapi = app_state(config.registry).openapi
  paths = openapi.document.document.get("paths", {})
  for path in sorted(paths, key=route_order):
    config.add_route(api_route_name(path), path, traverse=traverse_for(config.registry, path))
  for entry in openapi.views:
    if entry.method.lower() not in paths.get(entry.path, {}):
      raise ConfigurationError(
        f"add_api_view at {entry.origin}: {entry.method} {entry.path} is not in the OpenAPI document; "
        "describe it with add_openapi_fragment"
      )
    config.add_view(
      entry.view,
      route_name=api_route_name(entry.path),
      request_method=entry.method,
      permission=entry.permission,
      openapi=True,
      **entry.options,
    )
