"""Fixtures of the Statuspage tests: the world to arrange rows in, and a reader of the endpoints."""

import pytest
from statuspage_testing import World


@pytest.fixture
def world(dbsession) -> World:
  return World(dbsession)


@pytest.fixture
def v2(webapp):
  """``v2("summary.json")``: the JSON body of an endpoint, read anonymously."""

  def get(path: str, **kwargs) -> dict:
    return webapp.get(f"/api/v2/{path}", **kwargs).json

  return get
