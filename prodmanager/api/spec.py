"""Serving the composed document: routes and views generated, the document written once and handed
to pyramid_openapi3, ``/api/openapi.json`` and the Swagger UI explorer at ``/api``."""

import json
import tempfile
from pathlib import Path

import yaml

from .document import document_standard_errors
from .routes import add_api_routes


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
