"""The composed OpenAPI document is written once per process, to one folder, which goes away with it
(prodmanager/api/spec.py): building the application again does not leave a new folder behind."""

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from webtest import TestApp

import prodmanager
from prodmanager.api.spec import document_folder
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET


@pytest.fixture
def settings(tmp_path, monkeypatch):
  for key in [key for key in os.environ if key.startswith("PM_")]:
    monkeypatch.delenv(key)
  return {
    "prodmanager.database_uri": f"sqlite:///{tmp_path / 'app.sqlite'}",
    "prodmanager.secret_key": TEST_SECRET,
    "prodmanager.instance_path": str(tmp_path / "instance"),
    "prodmanager.plugins": "scope service",
  }


def document_file(app) -> Path:
  return Path(app.registry.settings["pyramid_openapi3"]["filepath"])


def test_building_the_app_again_reuses_the_document_file(settings):
  first = prodmanager.main({}, **settings)
  second = prodmanager.main({}, **settings)
  assert document_file(first) == document_file(second)
  assert document_file(first).parent == document_folder()
  other = prodmanager.main({}, **{**settings, "prodmanager.plugins": "scope"})
  # Another document (fewer plugins), another file, in the same folder.
  assert document_file(other) != document_file(first)
  assert document_file(other).parent == document_folder()
  for app in (first, second, other):
    app_state(app.registry).db_engine.dispose()


def test_the_served_yaml_is_the_written_file(settings):
  app = prodmanager.main({}, **settings)
  try:
    served = TestApp(app).get("/api/openapi.yaml")
    assert served.text == document_file(app).read_text(encoding="utf-8")
    assert "/api/scope" in served.text
    # What the requests are validated against (read from the JSON text the file was written from)
    # is what the file says, and what /api/openapi.json serves.
    with app.registry.settings["pyramid_openapi3"]["spec"].open() as validated:
      assert yaml.safe_load(served.text) == validated == TestApp(app).get("/api/openapi.json").json
  finally:
    app_state(app.registry).db_engine.dispose()


def test_the_folder_is_removed_when_the_process_exits(settings, tmp_path):
  script = textwrap.dedent(
    """
    import sys
    import prodmanager
    from prodmanager.api.spec import document_folder

    settings = dict(arg.split("=", 1) for arg in sys.argv[1:])
    prodmanager.main({}, **settings)
    prodmanager.main({}, **settings)
    print(document_folder())
    print(len(list(document_folder().iterdir())))
    """
  )
  result = subprocess.run(
    [sys.executable, "-c", script, *(f"{key}={value}" for key, value in settings.items())],
    capture_output=True,
    text=True,
    timeout=120,
    cwd=tmp_path,
  )
  assert result.returncode == 0, result.stderr
  folder, count = result.stdout.split()
  assert count == "1"  # two builds, one file
  assert not Path(folder).exists()


def test_the_same_document_is_checked_against_the_openapi_schema_once_per_process():
  from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

  from prodmanager.api.spec import validate_once

  checks = []

  def validate(document):
    checks.append(document["info"]["title"])
    if "paths" not in document:
      raise OpenAPIValidationError("'paths' is a required property")

  checked = validate_once(validate)
  valid = {"openapi": "3.1.0", "info": {"title": "valid", "version": "1"}, "paths": {}}
  checked(valid)
  checked({**valid})  # the same content
  assert checks == ["valid"]
  invalid = {"openapi": "3.1.0", "info": {"title": "invalid", "version": "1"}}
  for _ in range(2):  # a document found invalid is checked (and refused) every time
    with pytest.raises(OpenAPIValidationError):
      checked(invalid)
  assert checks == ["valid", "invalid", "invalid"]


def test_a_document_checked_by_a_process_is_not_checked_again_by_the_next_with_the_instance(tmp_path):
  from prodmanager.api import spec

  checks = []
  checked = spec.validate_once(lambda document: checks.append(document["info"]["title"]))
  document = {"openapi": "3.1.0", "info": {"title": f"marked {tmp_path.name}", "version": "1"}, "paths": {}}
  spec.checked_before(document, str(tmp_path / "instance"))
  checked(document)
  assert len(checks) == 1
  (marker,) = (tmp_path / "instance" / "openapi-checked").iterdir()
  # The next process (this one, forgetting what it checked) finds the marker: no check.
  spec._valid.discard(spec.document_digest(document))
  spec.checked_before(document, str(tmp_path / "instance"))
  checked(document)
  assert len(checks) == 1
  # Another instance folder, or another version of the validator (in the name), checks again.
  spec._valid.discard(spec.document_digest(document))
  spec.checked_before(document, str(tmp_path / "other"))
  checked(document)
  assert len(checks) == 2 and marker.name.endswith(importlib.metadata.version("openapi-spec-validator"))
