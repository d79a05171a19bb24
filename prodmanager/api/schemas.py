"""JSON Schemas and query parameters generated from a service's fields, filters and orders.

The schemas say what the fields accept, as closely as JSON Schema can: text without control
characters and not blank where a value is required, dates in the accepted formats and years,
positive ids. Clients and generators (schemathesis) then send what the API takes, and a value the
document already refuses is answered with the field's own message (:func:`field_message`).
"""

from ..fields import Boolean, Choice, DateTime, Field, Reference, Text, Url

# Characters refused in text (prodmanager.text), as a regular expression class.
CONTROL = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
CONTROL_MULTILINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# The formats parse_datetime reads, years 1970 to 9999 (the exact bounds are checked on parsing).
DATE_PATTERN = (
  r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
  r"([T ]([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?"
  r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$"
)
ID_PATTERN = r"^[1-9][0-9]{0,17}$"
MAX_ID = 2**63 - 1
URL_PATTERN = rf"^\s*[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s{CONTROL}]+([/?#][^\s{CONTROL}]*)?\s*$"
BLANK = r"^\s*$"

# pattern -> the field whose parsing explains why a value does not match it.
PATTERN_FIELDS: dict[str, Field] = {}


def text_pattern(field: Text) -> str:
  """No refused control character; with a minimum length, that many characters once the value is
  stripped, as Text.parse counts them."""
  control = CONTROL_MULTILINE if field.multiline else CONTROL
  least = field.min_length
  if least == 0:
    return f"^[^{control}]*$"
  if least == 1:
    return f"^[^{control}]*[^\\s{control}][^{control}]*$"
  return f"^\\s*[^\\s{control}][^{control}]{{{least - 2},}}[^\\s{control}]\\s*$"


def field_pattern(field) -> str | None:
  if isinstance(field, Text):
    pattern = text_pattern(field)
  elif isinstance(field, Url):
    pattern = URL_PATTERN
  elif isinstance(field, DateTime):
    pattern = DATE_PATTERN
  elif isinstance(field, Reference):
    pattern = ID_PATTERN
  else:
    return None
  # A blank value is the service's to judge: an optional field is emptied, a required one is
  # "required" on create and "cannot be emptied" on update, which a pattern cannot tell apart.
  pattern = f"{BLANK}|{pattern}"
  PATTERN_FIELDS.setdefault(pattern, field)
  return pattern


def field_message(schema: dict, value) -> str | None:
  """The message of the field a schema was generated for (known by its pattern), for ``value``;
  None when the schema is not a field's or the field has nothing to say."""
  field = PATTERN_FIELDS.get(schema.get("pattern")) if isinstance(schema, dict) else None
  if field is None or isinstance(value, dict | list):
    return None
  try:
    field.parse(value, None)
  except ValueError as error:
    return str(error)
  except Exception:  # noqa: BLE001 - a reference's existence check needs a service: not a format error
    return None
  return None


def form_field_schema(field) -> dict:
  """Forms send text only; openapi-core's form decoding needs one plain type per property."""
  schema = {"type": "string"}
  if isinstance(field, Text | Url):
    schema["maxLength"] = field.max_length
  elif isinstance(field, Choice):
    schema["enum"] = [member.value for member in field.enum] + ([""] if not field.required else [])
  pattern = field_pattern(field)
  if pattern:
    schema["pattern"] = pattern
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
    schema = {
      "type": ["integer", "string"],
      "minimum": 1,
      "maximum": MAX_ID,
      "description": f"id of a {field.name}",
    }
  elif isinstance(field, DateTime):
    schema = {
      "type": ["string"],
      "description": "YYYY-MM-DDTHH:MM (UTC), YYYY-MM-DD HH:MM or ISO 8601 with an offset; "
      "from 1970-01-01T00:00 to 9999-12-30T23:59 UTC",
    }
  elif isinstance(field, Boolean):
    schema = {"type": ["boolean", "string"]}
  else:
    schema = {"type": ["string"]}
  pattern = field_pattern(field)
  if pattern:
    schema["pattern"] = pattern  # applies to strings only: numbers and null are not checked by it
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
      schema = {"type": "string", "pattern": "^[0-9]{1,18}$"}
    elif flt.kind in ("after", "before"):
      schema = {"type": "string", "pattern": DATE_PATTERN}
      PATTERN_FIELDS.setdefault(DATE_PATTERN, DateTime(flt.name))
    else:
      schema = {"type": "string", "maxLength": 255, "pattern": f"^[^{CONTROL}]*$"}
      PATTERN_FIELDS.setdefault(schema["pattern"], Text(flt.name))
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
