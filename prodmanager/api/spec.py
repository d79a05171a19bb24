"""Serving the composed document: routes and views generated, the document written once and handed
to pyramid_openapi3, ``/api/openapi.json`` and the Swagger UI explorer at ``/api``.

pyramid_openapi3 reads its document from a file (``pyramid_openapi3_spec`` takes a path, reads it
when the configuration is committed and serves it from there at ``/api/openapi.yaml``); it has no
public way to take a document object. So the composed document is written to one folder per
process, :func:`document_folder`, under a name made of its content's digest: building the
application again with the same plugins reuses the file, and the folder is removed when the
process exits.
"""

import atexit
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pyramid_openapi3

from .. import yamltext
from ..state import app_state
from .document import document_standard_errors
from .links import document_links
from .routes import add_api_routes

# Documents (by the digest of their text) that pyramid_openapi3 found valid in this process.
_valid: set[str] = set()
# Where the check of a document (by digest) leaves its marker for the next process (checked_before).
_markers: dict[str, Path] = {}
# The JSON text of the documents written by this process, by file path.
_written: dict[str, str] = {}
_folder: Path | None = None
_folder_pid: int | None = None
_lock = threading.Lock()


def _remove(folder: Path, pid: int) -> None:
  # A process forked after the folder was made inherits this handler: only its creator removes it.
  if os.getpid() == pid:
    shutil.rmtree(folder, ignore_errors=True)


def document_folder() -> Path:
  """The folder where this process writes its composed OpenAPI documents (made on first use, removed at exit)."""
  global _folder, _folder_pid
  with _lock:
    if _folder is None or _folder_pid != os.getpid():
      _folder = Path(tempfile.mkdtemp(prefix=f"prodmanager-openapi-{os.getpid()}-"))
      _folder_pid = os.getpid()
      atexit.register(_remove, _folder, _folder_pid)
    return _folder


def write_document(document: dict) -> Path:
  """The composed document as a YAML file in :func:`document_folder`, written once per content
  (named by the digest of its JSON text: the same document is not turned into YAML again)."""
  data = json.dumps(document)
  path = document_folder() / f"openapi-{text_digest(data)[:16]}.yaml"
  if not path.exists():
    partial = path.with_suffix(f".{threading.get_ident()}.part")
    partial.write_text(yamltext.dump(document), encoding="utf-8")
    partial.replace(path)  # atomic: a concurrent build never reads half a file
  with _lock:
    _written[str(path)] = data
  return path


def read_written(read):
  """pyramid_openapi3 reads the document back from the file it was given: a file written here is
  read from the JSON text it was made of (YAML's constructors are Python: a quarter of a second
  per application built on a slow machine); any other file as pyramid_openapi3 reads it."""

  def reading(filename, *args, **kwargs):
    with _lock:
      data = _written.get(str(filename))
    if data is None:
      return read(filename, *args, **kwargs)
    return json.loads(data), Path(filename).absolute().as_uri()

  reading.__wrapped__ = read
  return reading


def document_digest(document: dict) -> str | None:
  """The digest of a document's JSON text, in its order (the text :func:`write_document` names its
  file by, and pyramid_openapi3 reads back); None for a document JSON cannot write."""
  try:
    return text_digest(json.dumps(document))
  except (TypeError, ValueError):
    return None


def text_digest(text: str) -> str:
  return hashlib.sha256(text.encode()).hexdigest()


def validate_once(validate):
  """pyramid_openapi3 checks the document against the OpenAPI schema each time an application is
  configured: a second of CPU on a slow machine, for a document that is the same for the same
  plugins (a test session builds hundreds of applications). The same document (its JSON text) is
  checked once per process, and once per instance folder when one is given (:func:`checked_before`:
  a CLI command after the server started); the check itself is openapi-spec-validator's."""

  def checked(document, *args, **kwargs):
    digest = document_digest(document)
    if digest is not None and digest in _valid:
      return None
    result = validate(document, *args, **kwargs)
    if digest is None:
      return result
    _valid.add(digest)  # not reached when it raises
    marker = _markers.get(digest)
    if marker is not None:
      try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("valid\n", encoding="utf-8")
      except OSError:
        pass  # an instance folder that cannot be written: checked again next time
    return result

  checked.__wrapped__ = validate
  return checked


def checked_before(document: dict, instance: str) -> None:
  """Whether another process with this instance folder found this document valid (a marker named by
  the document's digest and the validator's version); if not, where the check leaves its marker."""
  digest = document_digest(document)
  if digest is None:
    return
  version = importlib.metadata.version("openapi-spec-validator")
  marker = Path(instance) / "openapi-checked" / f"{digest[:32]}-{version}"
  if marker.exists():
    _valid.add(digest)
  else:
    _markers[digest] = marker


if not hasattr(pyramid_openapi3.validate, "__wrapped__"):
  pyramid_openapi3.validate = validate_once(pyramid_openapi3.validate)
if not hasattr(pyramid_openapi3.read_from_filename, "__wrapped__"):
  pyramid_openapi3.read_from_filename = read_written(pyramid_openapi3.read_from_filename)


def finalize_document(config) -> str:
  """Generate the API routes and views, write the composed document (once per content) and hand it
  to pyramid_openapi3; returns the file path. Called once, after every plugin is included."""
  add_api_routes(config)
  openapi = app_state(config.registry).openapi
  document = openapi.document.document
  document_standard_errors(document)
  document_links(document, app_state(config.registry).resource_types)
  path = write_document(document)
  instance = config.registry.settings.get("prodmanager.instance_path")
  if instance:
    checked_before(document, instance)
  openapi.json = json.dumps(document, indent=2)
  config.pyramid_openapi3_spec(str(path), route="/api/openapi.yaml", route_name="api.spec.yaml")
  config.add_route("api.spec.json", "/api/openapi.json")
  config.add_view(
    lambda request: request.response.__class__(
      body=app_state(request.registry).openapi.json.encode(), content_type="application/json", charset="utf-8"
    ),
    route_name="api.spec.json",
  )
  return str(path)


def explorer_view(request):
  return {"spec_url": request.route_url("api.spec.json")}
