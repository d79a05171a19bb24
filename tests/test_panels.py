"""Unit tests of prodmanager.panels: restrict, group_params and list_panel (rows capped at
PANEL_LIMIT with an "N more" link to the filtered list), through the incident panels."""

import re

import pytest
from pyramid.scripting import prepare
from sqlalchemy import select

from prodmanager.panels import PANEL_LIMIT, group_params, list_panel, restrict


def test_restrict_keeps_the_rows_of_the_given_parents(dbsession, make):
  from prodmanager_incident.models import Incident

  paris, lyon = make.scope(name="Paris DC"), make.scope(name="Lyon DC")
  ours = make.incident(name="Paris outage", scope=paris)
  make.incident(name="Lyon outage", scope=lyon)
  statement = restrict(select(Incident.id), Incident, scope=paris)
  assert list(dbsession.scalars(statement)) == [ours.id]
  # ``None`` restricts nothing.
  assert len(list(dbsession.scalars(restrict(select(Incident.id), Incident, scope=None, service=None)))) == 2


@pytest.mark.one_backend
def test_group_params_names_the_parents_ids():
  class Row:
    def __init__(self, ident):
      self.id = ident

  assert group_params(scope=Row(3), service=None) == {"scope": 3}
  assert group_params(scope=Row(3), service=Row(5)) == {"scope": 3, "service": 5}
  assert group_params() == {}


@pytest.fixture
def request_of(registry, dbsession):
  """A real request of the application (its request methods: dbsession, translation...)."""
  environments = []

  def make(path="/"):
    from pyramid.request import Request

    request = Request.blank(path, base_url="http://localhost")
    env = prepare(request=request, registry=registry)
    environments.append(env)
    # Outside a view there is no request transaction: the request reads through the test's session.
    env["request"].dbsession = dbsession
    return env["request"]

  yield make
  for env in environments:
    env["closer"]()


def panel(request, **groups):
  from prodmanager_incident.models import PAIR, Incident

  return list_panel(
    request,
    name="test-panel",
    title="Panel title",
    statement=select(Incident).options(*PAIR.eager(Incident)).order_by(Incident.name),
    model=Incident,
    row_template="prodmanager_incident:templates/panel_row.jinja2",
    list_path="/incident",
    params={"status": ["active", "stable"]},
    **groups,
  )


def test_list_panel_is_empty_without_rows(request_of, make):
  assert panel(request_of()) == ""


def test_list_panel_lists_every_row_up_to_the_limit_without_more_link(request_of, make):
  for number in range(PANEL_LIMIT):
    make.incident(name=f"Incident {number:02}")
  html = panel(request_of())
  assert 'class="panel panel-test-panel"' in html
  assert "Panel title" in html
  assert html.count("<li") == PANEL_LIMIT
  assert "panel-more" not in html


def test_list_panel_caps_the_rows_and_links_to_the_filtered_list(request_of, make):
  paris, lyon = make.scope(name="Paris DC"), make.scope(name="Lyon DC")
  for number in range(PANEL_LIMIT + 3):
    make.incident(name=f"Paris {number:02}", scope=paris)
  make.incident(name="Lyon 00", scope=lyon)
  html = panel(request_of(), scope=paris)
  assert html.count("<li") == PANEL_LIMIT
  # The first rows of the statement's order, none of another scope.
  assert "Paris 09" in html
  assert "Paris 10" not in html
  assert "Lyon 00" not in html
  more = re.search(r'<p class="panel-more"><a href="([^"]+)">([^<]+)</a>', html)
  assert more is not None
  assert more.group(2) == "3 more"
  assert more.group(1).replace("&amp;", "&") == f"/incident?status=active&status=stable&scope={paris.id}"


def test_dashboard_panel_of_a_scope_page(webapp, make):
  paris = make.scope(name="Paris DC")
  for number in range(PANEL_LIMIT + 2):
    make.incident(name=f"Paris {number:02}", scope=paris, status="active")
  body = webapp.get(f"/scope/{paris.id}").text
  assert "2 more" in body
  assert f"scope={paris.id}" in body
