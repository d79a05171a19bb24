"""Reading a request body that pyramid_openapi3 validated against the document."""

import functools
import threading
from collections import OrderedDict

from openapi_core import V30RequestValidator, V31RequestValidator
from openapi_core.templating.datatypes import TemplateResult
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.unmarshalling.request import V31RequestUnmarshaller
from pyramid_openapi3 import openapi_validated as pyramid_openapi_validated
from pyramid_openapi3.wrappers import PyramidOpenAPIRequest

from ..errors import Message, ValidationFailed
from ..state import made_on_first_use

# What openapi-core reads of a request besides its method, path and query: the body and the
# headers of the document's security schemes (the session cookie is the application's, not the
# document's).
CREDENTIAL_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_PRIVATE_TOKEN", "HTTP_X_PRODMANAGER_SECRET")
# Validations of reads kept per process (least recently used beyond).
VALIDATED_READS = 1024
# Operations found for a method and URL, kept per document (least recently used beyond).
FOUND_PATHS = 1024


class ValidatedReads:
  """The validation results of reads without a body or a credential, by what they are made of
  (least recently used beyond ``size``; :func:`kept_path_finder` keeps its operations in one too).

  Validating the parameters of ``GET /api/incident`` against the document takes openapi-core some
  15 ms (it resolves every parameter's schema through its references): the second reader of the same
  URL, after a write made the cached answer old, gets the same result without it.
  """

  def __init__(self, size: int = VALIDATED_READS):
    self.size = size
    self.results: OrderedDict[tuple, object] = OrderedDict()
    self.lock = threading.Lock()

  def get(self, key: tuple):
    with self.lock:
      result = self.results.get(key)
      if result is not None:
        self.results.move_to_end(key)
      return result

  def set(self, key: tuple, result) -> None:
    with self.lock:
      self.results[key] = result
      while len(self.results) > self.size:
        self.results.popitem(last=False)


def read_key(request) -> tuple | None:
  """What a read's validation depends on, or None when it has a body or a credential."""
  environ = request.environ
  if request.method not in ("GET", "HEAD") or environ.get("CONTENT_LENGTH") not in (None, "", "0"):
    return None
  if any(environ.get(name) for name in CREDENTIAL_HEADERS):
    return None
  return (
    request.method,
    environ.get("HTTP_HOST", ""),
    environ.get("SCRIPT_NAME", ""),
    environ.get("PATH_INFO", ""),
    environ.get("QUERY_STRING", ""),
  )


def validated_reads(registry) -> ValidatedReads:
  return made_on_first_use(registry, "validated_reads", ValidatedReads)


def checked_openapi_validated(request):
  """pyramid_openapi3's request validation, with undecodable bodies answered 400 instead of 500.

  openapi-core raises whatever its decoders raise (UnicodeDecodeError on bytes that are not UTF-8,
  AssertionError on a multipart body without parts...): those are the client's errors. The result
  of a read without a body or credential is kept (:class:`ValidatedReads`): the same method, path
  and query always validate the same way against the same document.
  """
  key = read_key(request)
  if key is None:
    return validate(request, unmarshal=False)
  kept = validated_reads(request.registry)
  result = kept.get(key)
  if result is None:
    result = validate(request)
    kept.set(key, result)
  return result


class Validated:
  """What openapi-core's request unmarshaller answers (``errors``, ``body``, ``parameters``,
  ``security``), its errors found by the validator alone: turning the body into Python values took
  most of the time the validation of a write took, and the views read the body as it was sent
  (:func:`request_data`). The values are unmarshalled only if asked for."""

  def __init__(self, errors: list, unmarshal):
    self.errors = errors
    self._unmarshal = unmarshal

  @functools.cached_property
  def _unmarshalled(self):
    return self._unmarshal()

  def __getattr__(self, name: str):
    if name in ("body", "parameters", "security"):
      return getattr(self._unmarshalled, name)
    raise AttributeError(name)


def api_settings(request) -> dict:
  """pyramid_openapi3's settings of the document the request's route belongs to."""
  settings = request.registry.settings["pyramid_openapi3"]
  routes = settings.get("routes")
  if routes and request.matched_route.name in routes:
    settings = request.registry.settings[routes[request.matched_route.name]]
  return settings


def kept_path_finder(size: int = FOUND_PATHS) -> type:
  """An openapi-core path finder that keeps what it found for a method and URL.

  openapi-core tries each path of the document against the URL on every request, which took 40 %
  of a write's validation. The same method and URL always find the same operation in one document;
  a lookup that fails is not kept (it raises again). Each caller gets its own copy of the path's
  variables, which openapi-core hands to the request.
  """

  class KeptPathFinder(APICallPathFinder):
    found = ValidatedReads(size)

    def find(self, method: str, name: str):
      result = self.found.get((method, name))
      if result is None:
        result = super().find(method, name)
        self.found.set((method, name), result)
      found = result.path_result
      variables = None if found.variables is None else dict(found.variables)
      return result._replace(path_result=TemplateResult(found.pattern, variables))

  return KeptPathFinder


def request_validator(request, settings: dict):
  """A validator of the same document and options as pyramid_openapi3's unmarshaller, made once."""
  name = f"openapi_request_validator_{id(settings)}"

  def make():
    registry_settings = request.registry.settings
    unmarshaller = settings["request_validator"]
    kind = V31RequestValidator if isinstance(unmarshaller, V31RequestUnmarshaller) else V30RequestValidator
    return kind(
      settings["spec"],
      path_finder_cls=kept_path_finder(),
      extra_format_validators=registry_settings.get("pyramid_openapi3_formatters"),
      extra_media_type_deserializers=registry_settings.get("pyramid_openapi3_deserializers"),
    )

  return made_on_first_use(request.registry, name, make)


def validation_errors(request):
  """:func:`pyramid_openapi3.openapi_validated`, the errors only (:class:`Validated`)."""
  if not request.environ.get("pyramid_openapi3.enabled"):
    # pyramid_openapi3's signal for views marked openapi=False
    raise AttributeError("Cannot do openapi request validation on a view marked with openapi=False")
  if not request.environ.get("pyramid_openapi3.validate_request"):
    return {}
  settings = api_settings(request)
  openapi_request = PyramidOpenAPIRequest(request)
  errors = list(request_validator(request, settings).iter_errors(openapi_request))
  return Validated(errors, lambda: settings["request_validator"].unmarshal(openapi_request))


def validate(request, unmarshal: bool = True):
  """The request validated against the document: unmarshalled (a read's result is kept), or its
  errors only, the values unmarshalled when asked for (:class:`Validated`)."""
  content_type = (request.content_type or "-")[:100]
  unreadable = ValidationFailed(
    Message("api.errors.invalid_request"),
    {"body": [Message("api.request.unreadable_body", mimetype=content_type)]},
  )
  try:
    result = pyramid_openapi_validated(request) if unmarshal else validation_errors(request)
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
