"""The OpenAPI description of a timeline's endpoints and of its events."""

from ..api import ERROR_CODES, WRITE_CONTENT_TYPES, error_responses
from ..fields import MAX_TEXT
from .model import EventType


def event_schema() -> dict:
  return {
    "type": "object",
    "required": ["creation_date", "content", "internal", "type"],
    "properties": {
      "id": {"type": "integer", "description": "the event's id (to edit or delete a comment)"},
      "creation_date": {"type": "string", "description": "YYYY-MM-DDTHH:MM (UTC)"},
      "content": {"type": "string"},
      "internal": {"type": "boolean"},
      "type": {"type": "string", "enum": [member.value for member in EventType]},
      "status": {
        "type": ["string", "null"],
        "description": "the status the row moved to with this event (a status change, or a comment "
        "posted with one); null otherwise",
      },
    },
  }


# A comment is required and a blank one is refused ("this field is required"): the document says so.
COMMENT = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": r"\S"}


STATUS_HELP = (
  "optional: the new status, changed with the comment in one step (milestone dates follow, as on "
  "an update); the comment then tells the status change in the public timeline. Empty or the "
  "current status: a comment only"
)


# The words a form's ``internal`` may say (prodmanager.fields.Boolean), for the edit's body.
BOOLEAN_WORDS = ["true", "t", "1", "yes", "y", "on", "false", "f", "0", "no", "n", "off", ""]


def comment_body(statuses: list[str], required: bool) -> dict:
  """The body of a comment (``required``) or of a comment's edit (``internal`` documented as
  strictly as the service reads it); ``statuses`` the values the comment may set (none for an edit)."""
  internal_form = {"type": "string"} if required else {"type": "string", "enum": BOOLEAN_WORDS}
  internal_json = {"type": ["boolean", "string", "null"]} if required else {"type": ["boolean", "null"]}
  form = {
    "type": "object",
    "additionalProperties": True,
    "properties": {"comment": COMMENT, "internal": internal_form},
  }
  json_body = {
    "type": "object",
    "additionalProperties": True,
    "properties": {"comment": COMMENT, "internal": internal_json},
  }
  if statuses:
    form["properties"]["status"] = {"type": "string", "enum": [*statuses, ""], "description": STATUS_HELP}
    json_body["properties"]["status"] = {
      "type": ["string", "null"],
      "enum": [*statuses, "", None],
      "description": STATUS_HELP,
    }
  if required:
    form["required"] = json_body["required"] = ["comment"]
  return {
    "required": True,
    "content": {
      content_type: {"schema": json_body if content_type == "application/json" else form}
      for content_type in WRITE_CONTENT_TYPES
    },
  }


def timeline_fragment(type_name: str, schema: str, statuses: list[str] | None = None) -> dict:
  """The comment, events and comment edit/delete endpoints of ``type_name``; ``statuses`` are the
  values of its status field, which a comment may set in the same request."""
  tag = [type_name]
  id_param = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}]
  event_param = {
    "name": "event_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
  }
  body = comment_body(statuses or [], required=True)
  event_ref = {"$ref": "#/components/schemas/Event"}
  return {
    "paths": {
      f"/api/{type_name}/{{id}}/comment": {
        "parameters": id_param,
        "post": {
          "tags": tag,
          "operationId": f"comment_{type_name}",
          "requestBody": body,
          "summary": f"Comment a {type_name} (0.22 compat: answers 200 with the {type_name}); public unless "
          "internal; with a status, posts an update in one step (new status and its message)",
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
          "summary": "Add a comment (REST); public unless internal; with a status, posts an update in one step",
          "responses": {
            "201": {"description": "the comment", "content": {"application/json": {"schema": event_ref}}},
            **error_responses(*ERROR_CODES),
          },
        },
      },
      f"/api/{type_name}/{{id}}/events/{{event_id}}": {
        "parameters": [*id_param, event_param],
        "patch": {
          "tags": tag,
          "operationId": f"edit_{type_name}_comment",
          "requestBody": comment_body([], required=False),
          "summary": "Edit a comment (its text, whether it is internal); an internal update event records the edit",
          "responses": {
            "200": {"description": "the comment", "content": {"application/json": {"schema": event_ref}}},
            **error_responses(*ERROR_CODES),
          },
        },
        "delete": {
          "tags": tag,
          "operationId": f"delete_{type_name}_comment",
          "summary": "Delete a comment; an internal update event keeps its text",
          "responses": {"204": {"description": "deleted"}, **error_responses(*ERROR_CODES)},
        },
      },
    },
  }
