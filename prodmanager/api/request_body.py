"""Reading a request body that pyramid_openapi3 validated against the document."""

from pyramid_openapi3 import openapi_validated as pyramid_openapi_validated

from ..errors import Message, ValidationFailed


def checked_openapi_validated(request):
  """pyramid_openapi3's request validation, with undecodable bodies answered 400 instead of 500.

  openapi-core raises whatever its decoders raise (UnicodeDecodeError on bytes that are not UTF-8,
  AssertionError on a multipart body without parts...): those are the client's errors.
  """
  content_type = (request.content_type or "-")[:100]
  unreadable = ValidationFailed(
    Message("api.errors.invalid_request"),
    {"body": [Message("api.request.unreadable_body", mimetype=content_type)]},
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
      raise ValidationFailed(
        Message("api.errors.invalid_request"),
        {"body": [Message("api.request.unreadable_body", mimetype="application/json")]},
      ) from None
    if not isinstance(body, dict):
      raise ValidationFailed(Message("api.errors.invalid_request"), {"body": [Message("api.request.object")]})
    return body
  # One pass, the last value of each field (getall per key was quadratic in the number of fields).
  return dict(request.POST.items())
