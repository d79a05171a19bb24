"""Fixtures of the service tests, which keep what involves the two axes together (services behave
exactly as scopes: their pages, forms and API are tested for both types at once in
plugins/scope/tests/)."""

import pytest


@pytest.fixture
def api(webapp, token_headers):
  """``api("scope", name="...")`` creates a row through the API and returns its JSON object."""

  def create(type_name: str, **values) -> dict:
    return webapp.post_json(f"/api/{type_name}/create", values, headers=token_headers).json

  return create
