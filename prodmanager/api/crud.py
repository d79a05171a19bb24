"""The generated API of a resource type: the paths of the 0.22 compat surface and the REST verbs,
documented from the service's fields and served by the standard CRUD views."""

from ..actions import deferred_config, register, resource_type_named
from .crud_views import (
  create_compat_view,
  create_rest_view,
  delete_compat_view,
  delete_rest_view,
  get_view,
  list_view,
  update_compat_view,
  update_view,
)
from .document import ERROR_CODES, WRITE_CONTENT_TYPES, error_responses
from .schemas import filter_parameters, input_schema, sort_description


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
  # 0.22 answered these writes with a 302 to the object (to the list after a delete): its Location stays.
  location = {"Location": {"description": "the object's URL (0.22's redirect)", "schema": {"type": "string"}}}
  deleted = {
    "200": {
      "description": "deleted",
      "headers": {
        "Location": {"description": "the list's URL (0.22's redirect)", "schema": {"type": "string"}}
      },
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
          "responses": {**ok("created", headers=location), **write_errors},
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
          "responses": {**ok("updated", headers=location), **write_errors},
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
  nested = deferred_config(config, config.action_info)

  def apply():
    resource_type = resource_type_named(nested, type_name, "add_crud_api")
    nested.add_openapi_fragment(crud_fragment(resource_type))
    base = f"/api/{type_name}"
    nested.add_api_view(list_view, base, "GET")
    nested.add_api_view(create_rest_view, base, "POST", permission="edit")
    nested.add_api_view(create_compat_view, f"{base}/create", "POST", permission="edit")
    nested.add_api_view(get_view, f"{base}/{{id}}", "GET")
    nested.add_api_view(update_view, f"{base}/{{id}}", "PATCH", permission="edit")
    nested.add_api_view(delete_rest_view, f"{base}/{{id}}", "DELETE", permission="edit")
    nested.add_api_view(update_compat_view, f"{base}/{{id}}/update", "POST", permission="edit")
    nested.add_api_view(delete_compat_view, f"{base}/{{id}}/delete", "POST", permission="edit")

  register(config, ("prodmanager.crud_api", type_name), apply, what="crud apis", title=type_name)
