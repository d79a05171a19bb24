"""The OpenAPI description of a timeline's endpoints and of its events."""

from ..api import ERROR_CODES, WRITE_CONTENT_TYPES, error_responses
from ..fields import MAX_TEXT
from .model import EventType


def event_schema() -> dict:
  return {
    "type": "object",
    "required": ["creation_date", "content", "internal", "type"],
    "properties": {
      "creation_date": {"type": "string", "description": "YYYY-MM-DDTHH:MM (UTC)"},
      "content": {"type": "string"},
      "internal": {"type": "boolean"},
      "type": {"type": "string", "enum": [member.value for member in EventType]},
    },
  }


# A comment is required and a blank one is refused ("this field is required"): the document says so.
COMMENT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": r"\S"}


def timeline_fragment(type_name: str, schema: str) -> dict:
  tag = [type_name]
  id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}]
  form = {
    "type": "object",
    "required": ["comment"],
    "additionalProperties": True,
    "properties": {"comment": COMMENT, "internal": {"type": "string"}},
  }
  json_body = {
    "type": "object",
    "required": ["comment"],
    "additionalProperties": True,
    "properties": {
      "comment": COMMENT,
      "internal": {"type": ["boolean", "string", "null"]},
    },
  }
  body = {
    "required": True,
    "content": {
      content_type: {"schema": json_body if content_type == "application/json" else form}
      for content_type in WRITE_CONTENT_TYPES
    },
  }
  event_ref = {"$ref": "#/components/schemas/Event"}
  return {
    "paths": {
      f"/api/{type_name}/{{id}}/comment": {
        "parameters": id_param,
        "post": {
          "tags": tag,
          "operationId": f"comment_{type_name}",
          "requestBody": body,
          "summary": f"Comment a {type_name} (0.22 compat: answers 200 with the {type_name}); public unless internal",
          "responses": {
            "200": {
              "description": f"the {type_name}",
              "headers": {
                "Location": {
                  "description": f"the {type_name}'s URL (0.22's redirect)",
                  "schema": {"type": "string"},
                }
              },
              "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            },
            **error_responses(*ERROR_CODES),
          },
        },
      },
      f"/api/{type_name}/{{id}}/events": {
        "parameters": id_param,
        "get": {
          "tags": tag,
          "operationId": f"list_{type_name}_events",
          "summary": "The timeline; anonymous readers and tokens without the permission get public events only",
          "responses": {
            "200": {
              "description": "events, oldest first",
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {"items": {"type": "array", "items": event_ref}},
                  }
                }
              },
            },
            **error_responses("400", "401", "404", "429"),
          },
        },
        "post": {
          "tags": tag,
          "operationId": f"create_{type_name}_event",
          "requestBody": body,
          "summary": "Add a comment (REST); public unless internal",
          "responses": {
            "201": {"description": "the comment", "content": {"application/json": {"schema": event_ref}}},
            **error_responses(*ERROR_CODES),
          },
        },
      },
    },
  }
