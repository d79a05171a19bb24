"""JSON Schemas and query parameters generated from a service's fields, filters and orders."""

from ..fields import Boolean, Choice, DateTime, Reference, Text, Url


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
