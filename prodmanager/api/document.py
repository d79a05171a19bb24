"""The OpenAPI document being composed from the core's ``openapi.yaml`` and the plugins' fragments."""

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.path import AssetResolver

from .. import yamltext
from ..actions import claim, register
from ..state import app_state

ERROR_CODES = ("400", "401", "403", "404", "409", "413", "415", "429")
WRITE_CONTENT_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")

STANDARD_ERRORS = ("400", "401", "403", "404", "429", "500", "503")
WRITE_ERRORS = ("409", "413", "415")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


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
    # OpenAPI 3.1's requests that the API makes (webhooks), documented like paths.
    for name, item in (fragment.get("webhooks") or {}).items():
      webhooks = self.document.setdefault("webhooks", {})
      if name in webhooks:
        raise ConfigurationError(f"OpenAPI fragment {source}: webhook {name} is already defined")
      webhooks[name] = item
    tags = self.document.setdefault("tags", [])
    known = {tag["name"] for tag in tags}
    tags.extend(tag for tag in fragment.get("tags") or [] if tag["name"] not in known)


@dataclass(frozen=True)
class ApiView:
  """A view waiting for the route of its path (see :func:`~prodmanager.api.routes.add_api_view`)."""

  view: Any
  path: str
  method: str
  permission: str
  options: dict
  origin: str


@dataclass
class OpenApi:
  """The API's state: the document being composed, the views waiting for their routes, and the
  finished document as JSON (``/api/openapi.json``)."""

  document: OpenAPIDocument
  views: list[ApiView] = field(default_factory=list)
  json: str = ""


def load_fragment(spec: str) -> dict:
  path = Path(AssetResolver().resolve(spec).abspath())
  return yamltext.load_file(path) or {}


def add_openapi_fragment(config, fragment: str | dict) -> None:
  """Merge an OpenAPI fragment (asset spec of a YAML file, or a dict) into the API document.

  Every path it declares must get views through :func:`~prodmanager.api.routes.add_api_view`, or
  startup fails.
  """
  data = load_fragment(fragment) if isinstance(fragment, str) else copy.deepcopy(fragment)
  source = fragment if isinstance(fragment, str) else "<dict>"
  # Each operation and component is claimed on its own: two plugins defining the same one stop
  # startup naming both calls, whichever fragments they came in.
  for path, item in (data.get("paths") or {}).items():
    for key in item:
      claim(config, ("prodmanager.openapi", "paths", path, key))
  for section, entries in (data.get("components") or {}).items():
    for name in entries:
      claim(config, ("prodmanager.openapi", "components", section, name))
  for name in data.get("webhooks") or {}:
    claim(config, ("prodmanager.openapi", "webhooks", name))
  register(
    config,
    ("prodmanager.openapi_fragment", source, id(data)),
    lambda: app_state(config.registry).openapi.document.merge(data, source),
    what="openapi fragments",
    title=source,
    exclusive=False,
    paths=sorted(data.get("paths") or {}),
  )


def error_responses(*codes: str) -> dict:
  return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def document_standard_errors(document: dict) -> None:
  """Every operation documents the common failures (400, 401, 403, 404, 429, 500, 503; writes also
  409, 413, 415), pointing at the core's error responses. Any operation can meet them (a bad token,
  the rate limit, an unknown id, the database unreachable...), and pyramid_openapi3 turns an
  undocumented status into a 500: doing it once here keeps every fragment honest."""
  for item in document.get("paths", {}).values():
    for method, operation in item.items():
      if method not in HTTP_METHODS:
        continue
      responses = operation.setdefault("responses", {})
      codes = STANDARD_ERRORS + (WRITE_ERRORS if method in ("post", "put", "patch", "delete") else ())
      for code in codes:
        responses.setdefault(code, {"$ref": f"#/components/responses/E{code}"})
