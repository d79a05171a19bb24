"""Request validation of reads, kept per process (prodmanager.api.request_body.ValidatedReads).

Every request is validated against the OpenAPI document; a read without a body or a credential is
validated once per method, path and query, and the same answer (a 200 or the same 400) follows.
"""

import pytest

from prodmanager.api import request_body


@pytest.fixture
def validations(monkeypatch):
  """The requests openapi-core validates (those not answered from the kept results)."""
  seen = []
  real = request_body.validate

  def counting(request, **options):
    seen.append((request.method, request.path_qs))
    return real(request, **options)

  monkeypatch.setattr(request_body, "validate", counting)
  return seen


def test_a_read_is_validated_once_per_url(webapp, registry, make, validations):
  request_body.validated_reads(registry).results.clear()
  make.incident(name="Database down")
  first = webapp.get("/api/incident?per_page=5&page=1")
  again = webapp.get("/api/incident?per_page=5&page=1")
  assert first.json == again.json
  listing = again.json
  items = listing if isinstance(listing, list) else listing["items"]
  assert [item["name"] for item in items] == ["Database down"]
  assert validations == [("GET", "/api/incident?per_page=5&page=1")]
  # Another query is another validation.
  webapp.get("/api/incident?per_page=6")
  assert validations[-1] == ("GET", "/api/incident?per_page=6")
  assert len(validations) == 2


def test_a_bad_query_is_refused_every_time(webapp, registry, validations):
  request_body.validated_reads(registry).results.clear()
  for _ in range(2):
    answer = webapp.get("/api/incident?q=" + "x" * 300, status=400)
    assert "q" in answer.json["reasons"]
  assert len(validations) == 1


def test_reads_with_a_credential_or_a_body_and_writes_are_validated_each_time(
  webapp, registry, token_headers, validations
):
  request_body.validated_reads(registry).results.clear()
  for _ in range(2):
    webapp.get("/api/incident?per_page=2", headers=token_headers)
  assert len(validations) == 2
  for _ in range(2):
    webapp.post_json("/api/incident", {"name": ""}, headers=token_headers, status=400)
  assert len(validations) == 4


def test_the_kept_results_are_bounded(registry):
  kept = request_body.ValidatedReads(size=3)
  for number in range(5):
    kept.set(("GET", "", "", "/api/incident", f"page={number}"), number)
  assert list(kept.results) == [("GET", "", "", "/api/incident", f"page={number}") for number in (2, 3, 4)]
  assert kept.get(("GET", "", "", "/api/incident", "page=0")) is None
  assert kept.get(("GET", "", "", "/api/incident", "page=4")) == 4


def test_a_write_is_checked_without_its_values_unmarshalled_until_asked(
  webapp, registry, token_headers, monkeypatch
):
  """A write's errors come from openapi-core's validator; its unmarshalled values, which the views
  do not read (they read the body as sent), are made only for a caller that asks for them."""
  unmarshaller = registry.settings["pyramid_openapi3"]["request_validator"]
  unmarshalled, results = [], []
  real_unmarshal, real_errors = type(unmarshaller).unmarshal, request_body.validation_errors

  def counting_unmarshal(self, openapi_request):
    unmarshalled.append(openapi_request)
    return real_unmarshal(self, openapi_request)

  def kept_errors(request):
    results.append(real_errors(request))
    return results[-1]

  monkeypatch.setattr(type(unmarshaller), "unmarshal", counting_unmarshal)
  monkeypatch.setattr(request_body, "validation_errors", kept_errors)
  webapp.post_json("/api/scope", {"name": "Checked scope"}, headers=token_headers, status=201)
  refused = webapp.post_json("/api/scope", {"name": ""}, headers=token_headers, status=400)
  assert "name" in refused.json["reasons"]
  assert unmarshalled == []
  created, bad = results
  assert created.errors == [] and bad.errors
  assert created.body["name"] == "Checked scope"  # unmarshalled now, once
  assert created.parameters.query == {} and created.body["name"] == "Checked scope"
  assert len(unmarshalled) == 1


def test_the_operations_found_are_kept_per_method_and_url(registry):
  from openapi_core.templating.paths.exceptions import PathNotFound

  spec = registry.settings["pyramid_openapi3"]["spec"]
  finder_class = request_body.kept_path_finder(size=2)
  finder = finder_class(spec)
  first = finder.find("get", "http://localhost/api/incident/7")
  again = finder_class(spec).find("get", "http://localhost/api/incident/7")
  assert first.path_result.variables == again.path_result.variables == {"id": "7"}
  assert first.operation == again.operation and first.path_result.pattern == "/api/incident/{id}"
  first.path_result.variables["id"] = "changed"  # a caller's copy: the kept one stays
  assert finder.find("get", "http://localhost/api/incident/7").path_result.variables == {"id": "7"}
  assert finder.find("patch", "http://localhost/api/incident/7").operation != first.operation
  finder.find("get", "http://localhost/api/incident")
  assert list(finder_class.found.results) == [
    ("patch", "http://localhost/api/incident/7"),
    ("get", "http://localhost/api/incident"),
  ]
  with pytest.raises(PathNotFound):
    finder.find("get", "http://localhost/api/nothing-here")
  assert len(finder_class.found.results) == 2
