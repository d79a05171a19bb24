"""Fixtures of the Statuspage tests: ``world`` and ``make`` come from prodmanager.testing (with the
factories of the scope, service, monitor, incident and maintenance plugins); here, a reader of the
endpoints."""

import pytest


@pytest.fixture
def v2(webapp):
  """``v2("summary.json")``: the JSON body of an endpoint, read anonymously."""

  def get(path: str, **kwargs) -> dict:
    return webapp.get(f"/api/v2/{path}", **kwargs).json

  return get
