"""The JSON API: one OpenAPI 3.1 document composed from the core and the plugins, routes generated
from it, request and response validation by pyramid_openapi3, and the standard CRUD views.

The modules of this package, each holding one thing:

- :mod:`.document`: the document being composed, ``add_openapi_fragment``, the common error responses;
- :mod:`.routes`: ``add_api_view`` and the hybrid routes generated for every path of the document;
- :mod:`.request_body`: the validated request body (``request.openapi_validated``, ``request_data``);
- :mod:`.pagination`: the pagination headers of a list (``set_pagination_headers``);
- :mod:`.schemas`: JSON Schemas and query parameters generated from a service's fields and filters;
- :mod:`.crud_views` and :mod:`.crud`: the standard CRUD views and ``add_crud_api``;
- :mod:`.spec`: the finished document written and served, and the Swagger UI explorer.
"""

from ..rendering import ContentFingerprint
from ..state import app_state
from .crud import add_crud_api, crud_fragment
from .crud_views import serialize_rows
from .document import (
  ERROR_CODES,
  WRITE_CONTENT_TYPES,
  ApiView,
  OpenApi,
  OpenAPIDocument,
  add_openapi_fragment,
  document_standard_errors,
  error_responses,
  load_fragment,
)
from .pagination import set_pagination_headers
from .request_body import checked_openapi_validated, request_data
from .routes import add_api_view, api_route_name, route_order, traverse_for
from .schemas import field_schema, filter_parameters, form_field_schema, input_schema, sort_description
from .spec import explorer_view, finalize_document

__all__ = [
  "ERROR_CODES",
  "WRITE_CONTENT_TYPES",
  "ApiView",
  "OpenAPIDocument",
  "OpenApi",
  "add_api_view",
  "add_crud_api",
  "add_openapi_fragment",
  "api_route_name",
  "checked_openapi_validated",
  "crud_fragment",
  "document_standard_errors",
  "error_responses",
  "explorer_view",
  "field_schema",
  "filter_parameters",
  "finalize_document",
  "form_field_schema",
  "includeme",
  "input_schema",
  "load_fragment",
  "request_data",
  "route_order",
  "serialize_rows",
  "set_pagination_headers",
  "sort_description",
  "traverse_for",
]


def includeme(config):
  config.include("pyramid_openapi3")
  # Commit now so that our JSON error views (views/errors.py) and request method override
  # pyramid_openapi3's instead of conflicting with them.
  config.commit()
  config.add_request_method(checked_openapi_validated, "openapi_validated", reify=True)
  app_state(config.registry).openapi = OpenApi(OpenAPIDocument(load_fragment("prodmanager:openapi.yaml")))
  config.add_directive("add_openapi_fragment", add_openapi_fragment)
  config.add_directive("add_api_view", add_api_view)
  config.add_directive("add_crud_api", add_crud_api)
  # Not under /static: that static view is registered first and would shadow this one.
  config.add_static_view("vendor/swagger-ui", "swagger_ui:static", cache_max_age=86400)
  config.add_cache_buster("swagger_ui:static/", ContentFingerprint("swagger_ui:static/"))
  config.add_route("api.explorer", "/api")
  config.add_view(explorer_view, route_name="api.explorer", renderer="prodmanager:templates/pages/api.jinja2")
