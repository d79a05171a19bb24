"""The JSON API: one OpenAPI 3.1 document composed from the core and the plugins, routes generated
from it, request and response validation by pyramid_openapi3, and the standard CRUD views.

pyramid_openapi3 needs routes (not pure traversal), so every API path becomes a hybrid route whose
``traverse`` walks the same tree as the HTML views: ACLs, resources and services are shared.
"""

import copy
import json
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import yaml
from pyramid.exceptions import ConfigurationError
from pyramid.httpexceptions import HTTPNoContent
from pyramid.path import AssetResolver
from pyramid_openapi3 import openapi_validated as pyramid_openapi_validated

from .errors import ValidationFailed
from .fields import Boolean, Choice, DateTime, Reference, Text, Url
from .services import DEFAULT_PER_PAGE, Page

ERROR_CODES = ("400", "401", "403", "404", "409", "413", "415", "429")
WRITE_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


class OpenAPIDocument:
  """The document being composed; duplicate paths, operations or components are refused."""

  def __init__(self, base: dict):
    self.document = copy.deepcopy(base)

  def merge(self, fragment: dict, source: str) -> None:
    paths = self.document.setdefault("paths", {})
    for path, item in (fragment.get("paths") or {}).items():
      target = paths.setdefault(path, {})
      for key, operation in item.items():
        if key in target:
          raise ConfigurationError(f"OpenAPI fragment {source}: {key.upper()} {path} is already defined")
        target[key] = operation
    components = self.document.setdefault("components", {})
    for section, entries in (fragment.get("components") or {}).items():
      target = components.setdefault(section, {})
      for name, value in entries.items():
        if name in target:
          raise ConfigurationError(
            f"OpenAPI fragment {source}: component {section}/{name} is already defined"
          )
        target[name] = value
    tags = self.document.setdefault("tags", [])
    known = {tag["name"] for tag in tags}
    tags.extend(tag for tag in fragment.get("tags") or [] if tag["name"] not in known)


def load_fragment(spec: str) -> dict:
  path = Path(AssetResolver().resolve(spec).abspath())
  with path.open(encoding="utf-8") as stream:
    return yaml.safe_load(stream) or {}


def add_openapi_fragment(config, fragment: str | dict) -> None:
  """Merge an OpenAPI fragment (asset spec of a YAML file, or a dict) into the API document.

  Every path it declares must get views through :func:`add_api_view`, or startup fails.
  """
  data = load_fragment(fragment) if isinstance(fragment, str) else fragment
  config.registry["openapi.document"].merge(data, fragment if isinstance(fragment, str) else "<dict>")


def traverse_for(registry, path: str) -> str | None:
  """``/api/scope/{id}/update`` traverses ``/scope/{id}``; ``/api/scope`` traverses ``/scope``;
  ``/scope/{id}/badge.json`` (outside ``/api``) traverses ``/scope/{id}`` too."""
  segments = path.strip("/").split("/")
  if segments[0] == "api":
    segments = segments[1:]
  if not segments or segments[0] not in registry["resource_types"]:
    # Not below a resource type (``/api/token/{jti}``...): nothing to traverse, the context is the root.
    return None
  placeholders = [index for index, segment in enumerate(segments) if segment.startswith("{")]
  if placeholders:
    return "/" + "/".join(segments[: placeholders[-1] + 1])
  return "/" + segments[0]


def api_route_name(path: str) -> str:
  return f"api:{path}"


def add_api_view(config, view, path: str, method: str, permission: str = "view", **kwargs) -> None:
  """Serve ``method path`` with ``view``, validated by pyramid_openapi3 against the document.

  ``path`` must be a path of the composed OpenAPI document (from :func:`add_openapi_fragment` or
  :func:`add_crud_api`). The view is registered when the document is complete, on the route that
  :func:`finalize_document` generates for that path.
  """
  kwargs.setdefault("renderer", "json")
  config.registry["openapi.views"].append((view, path, method, permission, kwargs))


def route_order(path: str) -> list[tuple[bool, str]]:
  """Sort key of the generated routes: at each segment, literal segments come before placeholders,
  because Pyramid takes the first matching route (``/api/scope/create`` before ``/api/scope/{id}``)."""
  return [(segment.startswith("{"), segment) for segment in path.split("/")]


# -- request data ---------------------------------------------------------------------------------


def checked_openapi_validated(request):
  """pyramid_openapi3's request validation, with undecodable bodies answered 400 instead of 500.

  openapi-core raises whatever its decoders raise (UnicodeDecodeError on bytes that are not UTF-8,
  AssertionError on a multipart body without parts...): those are the client's errors.
  """
  content_type = request.content_type or "the declared content type"
  unreadable = ValidationFailed(
    "Invalid request body", {"body": [f"the body cannot be read as {content_type}"]}
  )
  try:
    result = pyramid_openapi_validated(request)
  except AttributeError:
    raise  # pyramid_openapi3's signal for views marked openapi=False
  except Exception:  # noqa: BLE001 - anything the decoders raise means the body is unreadable
    raise unreadable from None
  for error in getattr(result, "errors", None) or ():
    try:
      str(error)  # pyramid_openapi3 formats the errors; a decoding error fails right there
    except Exception:  # noqa: BLE001
      raise unreadable from None
  return result


def request_data(request) -> dict:
  """The submitted fields, from a JSON object or a form; values already checked by the document."""
  if request.content_type == "application/json":
    try:
      body = request.json_body
    except ValueError:
      raise ValidationFailed("Invalid JSON body", {"body": ["the body is not valid JSON"]}) from None
    if not isinstance(body, dict):
      raise ValidationFailed("Invalid JSON body", {"body": ["expected a JSON object"]})
    return body
  return {key: request.POST.getall(key)[-1] for key in request.POST.keys()}


# -- list responses -------------------------------------------------------------------------------


def set_pagination_headers(request, page: Page) -> None:
  """0.22's ``x-*`` headers (``None`` literally when absent, as its client expects) and a ``Link`` header."""

  def text(value):
    return "None" if value is None else str(value)

  headers = request.response.headers
  headers["x-total"] = str(page.total)
  headers["x-total-pages"] = str(page.pages)
  headers["x-page"] = str(page.page)
  headers["x-per-page"] = str(page.per_page)
  headers["x-prev-page"] = text(page.prev_page)
  headers["x-next-page"] = text(page.next_page)
  links = []
  for rel, number in (
    ("first", 1 if page.pages else None),
    ("prev", page.prev_page),
    ("next", page.next_page),
    ("last", page.pages or None),
  ):
    if number is not None:
      # Percent-encoded: a header is Latin-1, and query values may be anything.
      params = {**dict(request.GET), "page": str(number)}
      links.append(f'<{request.path_url}?{urlencode(sorted(params.items()))}>; rel="{rel}"')
  if links:
    headers["Link"] = ", ".join(links)


def serialize_rows(service, rows: list) -> list[dict]:
  extras = service.aggregates(rows)
  return [service.serialize(row, extras[row.id]) for row in rows]


# -- standard CRUD views --------------------------------------------------------------------------


def list_view(context, request):
  service = context.service
  page, _ = service.list(request.GET, DEFAULT_PER_PAGE)
  set_pagination_headers(request, page)
  return {"items": serialize_rows(service, page.items)}


def get_view(context, request):
  return serialize_rows(context.service, [context.row])[0]


def create_compat_view(context, request):
  service = context.service
  row = service.create(request_data(request))
  return serialize_rows(service, [row])[0]


def create_rest_view(context, request):
  body = create_compat_view(context, request)
  request.response.status = 201
  request.response.headers["Location"] = body["links"]["self"]
  return body


def update_view(context, request):
  service = context.service
  service.update(context.row, request_data(request))
  return serialize_rows(service, [context.row])[0]


def delete_compat_view(context, request):
  context.service.delete(context.row)
  return {"message": f"{context.resource_type.name.capitalize()} {context.__name__} deleted"}


def delete_rest_view(context, request):
  context.service.delete(context.row)
  return HTTPNoContent()


# -- generated documentation of the CRUD paths ------------------------------------------------------


def form_field_schema(field) -> dict:
  """Forms send text only; openapi-core's form decoding needs one plain type per property."""
  schema = {"type": "string"}
  if isinstance(field, Text | Url):
    schema["maxLength"] = field.max_length
  elif isinstance(field, Choice):
    schema["enum"] = [member.value for member in field.enum] + ([""] if not field.required else [])
  return schema


def field_schema(field) -> dict:
  """JSON Schema of a field in a JSON body; optional fields also accept null."""
  if isinstance(field, Text):
    schema = {"type": ["string"], "maxLength": field.max_length}
    if field.min_length:
      schema["minLength"] = field.min_length
  elif isinstance(field, Url):
    schema = {"type": ["string"], "format": "uri", "maxLength": field.max_length}
  elif isinstance(field, Choice):
    schema = {"type": ["string"], "enum": [member.value for member in field.enum]}
  elif isinstance(field, Reference):
    # Forms send ids as text; JSON clients send numbers. Both are accepted.
    schema = {"type": ["integer", "string"], "description": f"id of a {field.name}"}
  elif isinstance(field, DateTime):
    schema = {"type": ["string"], "description": "YYYY-MM-DDTHH:MM (UTC), YYYY-MM-DD HH:MM or ISO 8601"}
  elif isinstance(field, Boolean):
    schema = {"type": ["boolean", "string"]}
  else:
    schema = {"type": ["string"]}
  if not field.required:
    schema["type"].append("null")
    if "enum" in schema:
      schema["enum"].append(None)
  if len(schema["type"]) == 1:
    schema["type"] = schema["type"][0]
  return schema


def input_schema(service_class, create: bool, form: bool = False) -> dict:
  properties = {
    field.name: (form_field_schema if form else field_schema)(field) for field in service_class.fields
  }
  schema = {"type": "object", "properties": properties, "additionalProperties": True}
  required = [field.name for field in service_class.fields if field.required]
  if create and required:
    schema["required"] = required
  return schema


def filter_parameters(service_class) -> list[dict]:
  params = []
  for flt in service_class.filter_declarations():
    if flt.kind == "enum":
      schema = {"type": "string", "enum": [member.value for member in flt.enum]}
    elif flt.kind == "int":
      schema = {"type": "string", "pattern": "^[0-9]+$"}
    else:
      schema = {"type": "string"}
    params.append(
      {
        "name": flt.name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": f"filter on {flt.name} (repeat for OR, at most 50 values)",
        "schema": {"type": "array", "items": schema, "maxItems": 50},
      }
    )
  return params


def sort_description(service_class) -> str:
  """The documented orders of a list: their names, with the service's ``sort_help`` when it has one."""
  helps = getattr(service_class, "sort_help", {})
  described = {name: f"`{name}`: {helps[name]}" for name in helps}
  orders = [described.get(name, f"`{name}`") for name in service_class.sort_names()]
  return f"order of the list (default `{service_class.default_sort}`): " + "; ".join(orders)


def error_responses(*codes: str) -> dict:
  return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def crud_fragment(resource_type) -> dict:
  """The paths of the 0.22 compat surface and the REST verbs of one resource type."""
  name, schema = resource_type.name, resource_type.schema
  service = resource_type.service
  ref = {"$ref": f"#/components/schemas/{schema}"}
  tag = [name]
  id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}]

  def body(create: bool):
    return {
      "required": False,
      "content": {
        content_type: {"schema": input_schema(service, create, form=content_type != "application/json")}
        for content_type in WRITE_CONTENT_TYPES
      },
    }

  def ok(description, status="200", headers=None):
    response = {"description": description, "content": {"application/json": {"schema": ref}}}
    if headers:
      response["headers"] = headers
    return {status: response}

  list_parameters = [
    {"$ref": "#/components/parameters/page"},
    {"$ref": "#/components/parameters/per_page"},
    {"$ref": "#/components/parameters/q"},
    {
      "name": "sort",
      "in": "query",
      "required": False,
      "description": sort_description(service),
      "schema": {"type": "string", "enum": list(service.sort_names())},
    },
  ]
  list_parameters += filter_parameters(service)
  list_response = {
    "200": {
      "description": f"one page of {name} objects",
      "headers": {
        header: {"$ref": f"#/components/headers/{header}"}
        for header in (
          "x-total",
          "x-total-pages",
          "x-page",
          "x-per-page",
          "x-prev-page",
          "x-next-page",
          "Link",
        )
      },
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": ref}},
          }
        }
      },
    }
  }
  deleted = {
    "200": {
      "description": "deleted",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}},
    }
  }
  write_errors = error_responses(*ERROR_CODES)
  read_errors = error_responses("400", "401", "404", "429")
  return {
    "tags": [{"name": name}],
    "paths": {
      f"/api/{name}": {
        "get": {
          "tags": tag,
          "operationId": f"list_{name}",
          "summary": f"List {name} objects",
          "parameters": list_parameters,
          "responses": {**list_response, **read_errors},
        },
        "post": {
          "tags": tag,
          "operationId": f"create_{name}_rest",
          "summary": f"Create a {name} (REST)",
          "requestBody": body(True),
          "responses": {**ok("created", "201", {"Location": {"schema": {"type": "string"}}}), **write_errors},
        },
      },
      f"/api/{name}/create": {
        "post": {
          "tags": tag,
          "operationId": f"create_{name}",
          "summary": f"Create a {name} (0.22 compat, answers 200)",
          "requestBody": body(True),
          "responses": {**ok("created"), **write_errors},
        },
      },
      f"/api/{name}/{{id}}": {
        "parameters": id_param,
        "get": {
          "tags": tag,
          "operationId": f"get_{name}",
          "summary": f"Get one {name}",
          "responses": {**ok(f"the {name}"), **read_errors},
        },
        "patch": {
          "tags": tag,
          "operationId": f"patch_{name}",
          "summary": f"Update a {name} partially",
          "requestBody": body(False),
          "responses": {**ok("updated"), **write_errors},
        },
        "delete": {
          "tags": tag,
          "operationId": f"delete_{name}_rest",
          "summary": f"Delete a {name}",
          "responses": {"204": {"description": "deleted"}, **write_errors},
        },
      },
      f"/api/{name}/{{id}}/update": {
        "parameters": id_param,
        "post": {
          "tags": tag,
          "operationId": f"update_{name}",
          "summary": f"Update a {name} (0.22 compat); omitted fields keep their value",
          "requestBody": body(False),
          "responses": {**ok("updated"), **write_errors},
        },
      },
      f"/api/{name}/{{id}}/delete": {
        "parameters": id_param,
        "post": {
          "tags": tag,
          "operationId": f"delete_{name}",
          "summary": f"Delete a {name} (0.22 compat, answers 200)",
          "responses": {**deleted, **write_errors},
        },
      },
    },
  }


def add_crud_api(config, type_name: str) -> None:
  """Document and serve the standard API of a registered resource type (compat paths + REST verbs)."""
  resource_type = config.registry["resource_types"][type_name]
  config.add_openapi_fragment(crud_fragment(resource_type))
  base = f"/api/{type_name}"
  config.add_api_view(list_view, base, "GET")
  config.add_api_view(create_rest_view, base, "POST", permission="edit")
  config.add_api_view(create_compat_view, f"{base}/create", "POST", permission="edit")
  config.add_api_view(get_view, f"{base}/{{id}}", "GET")
  config.add_api_view(update_view, f"{base}/{{id}}", "PATCH", permission="edit")
  config.add_api_view(delete_rest_view, f"{base}/{{id}}", "DELETE", permission="edit")
  config.add_api_view(update_view, f"{base}/{{id}}/update", "POST", permission="edit")
  config.add_api_view(delete_compat_view, f"{base}/{{id}}/delete", "POST", permission="edit")


# -- the document itself --------------------------------------------------------------------------


def add_api_routes(config) -> None:
  """One hybrid route per path of the composed document, then the views recorded for them."""
  document = config.registry["openapi.document"].document
  paths = document.get("paths", {})
  for path in sorted(paths, key=route_order):
    config.add_route(api_route_name(path), path, traverse=traverse_for(config.registry, path))
  for view, path, method, permission, kwargs in config.registry["openapi.views"]:
    if method.lower() not in paths.get(path, {}):
      raise ConfigurationError(
        f"add_api_view: {method} {path} is not in the OpenAPI document; describe it with add_openapi_fragment"
      )
    config.add_view(
      view,
      route_name=api_route_name(path),
      request_method=method,
      permission=permission,
      openapi=True,
      **kwargs,
    )


STANDARD_ERRORS = ("400", "401", "403", "404", "429")
WRITE_ERRORS = ("409", "413", "415")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_standard_errors(document: dict) -> None:
  """Every operation documents the common failures (400, 401, 403, 404, 429; writes also 409, 413,
  415), pointing at the core's error responses. Any operation can meet them (a bad token, the rate
  limit, an unknown id...), and pyramid_openapi3 turns an undocumented status into a 500: doing it
  once here keeps every fragment honest."""
  for item in document.get("paths", {}).values():
    for method, operation in item.items():
      if method not in HTTP_METHODS:
        continue
      responses = operation.setdefault("responses", {})
      codes = STANDARD_ERRORS + (WRITE_ERRORS if method in ("post", "put", "patch", "delete") else ())
      for code in codes:
        responses.setdefault(code, {"$ref": f"#/components/responses/E{code}"})


def finalize_document(config) -> str:
  """Generate the API routes and views, write the composed document once and hand it to
  pyramid_openapi3; returns the file path. Called once, after every plugin is included."""
  add_api_routes(config)
  document = config.registry["openapi.document"].document
  document_standard_errors(document)
  folder = Path(tempfile.mkdtemp(prefix="prodmanager-openapi-"))
  path = folder / "openapi.yaml"
  path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
  config.registry["openapi.json"] = json.dumps(document, indent=2)
  config.pyramid_openapi3_spec(str(path), route="/api/openapi.yaml", route_name="api.spec.yaml")
  config.add_route("api.spec.json", "/api/openapi.json")
  config.add_view(
    lambda request: request.response.__class__(
      body=request.registry["openapi.json"].encode(), content_type="application/json", charset="utf-8"
    ),
    route_name="api.spec.json",
  )
  return str(path)


def explorer_view(request):
  return {"spec_url": request.route_url("api.spec.json")}


def includeme(config):
  config.include("pyramid_openapi3")
  # Commit now so that our JSON error views (views/errors.py) and request method override
  # pyramid_openapi3's instead of conflicting with them.
  config.commit()
  config.add_request_method(checked_openapi_validated, "openapi_validated", reify=True)
  config.registry["openapi.document"] = OpenAPIDocument(load_fragment("prodmanager:openapi.yaml"))
  config.registry["openapi.views"] = []
  config.add_directive("add_openapi_fragment", add_openapi_fragment)
  config.add_directive("add_api_view", add_api_view)
  config.add_directive("add_crud_api", add_crud_api)
  # Not under /static: that static view is registered first and would shadow this one.
  config.add_static_view("vendor/swagger-ui", "swagger_ui:static", cache_max_age=86400)
  config.add_route("api.explorer", "/api")
  config.add_view(explorer_view, route_name="api.explorer", renderer="prodmanager:templates/pages/api.jinja2")
