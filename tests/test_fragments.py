"""prodmanager.fragments: rendered pieces kept by their content, within a budget; the
``{% fragment %}`` tag and the keys of rows."""

import pytest
from jinja2 import DictLoader, Environment
from sqlalchemy import select

from prodmanager.derived import SNAPSHOT_KEY
from prodmanager.fragments import FragmentExtension, Fragments, NotKept, fragments, key_of, row_values
from prodmanager_incident.models import PAIR, Incident


def counting(text):
  calls = []

  def render():
    calls.append(text)
    return text

  return render, calls


def test_a_fragment_is_rendered_once_per_key():
  kept = Fragments(budget=100)
  render, calls = counting("<li>a</li>")
  assert kept.get(("a",), render) == "<li>a</li>"
  assert kept.get(("a",), render) == "<li>a</li>"
  assert calls == ["<li>a</li>"]
  assert (kept.hits, kept.misses) == (1, 1)
  other, other_calls = counting("<li>b</li>")
  assert kept.get(("b",), other) == "<li>b</li>"
  assert other_calls == ["<li>b</li>"]


def test_the_least_recently_used_go_beyond_the_budget():
  kept = Fragments(budget=45)
  for key in "abcde":
    kept.get(key, lambda key=key: key * 10)
  # 50 characters > 45: "a" went first.
  assert list(kept.entries) == ["b", "c", "d", "e"]
  assert kept.used == 40
  kept.get("b", lambda: "never rendered")
  kept.get("f", lambda: "f" * 10)
  assert list(kept.entries) == ["d", "e", "b", "f"]


def test_a_fragment_too_large_for_its_share_is_not_kept():
  kept = Fragments(budget=100)
  render, calls = counting("x" * 30)
  kept.get("big", render)
  kept.get("big", render)
  assert len(calls) == 2
  assert not kept.entries


def test_nothing_is_kept_while_templates_reload():
  kept = Fragments(enabled=False)
  render, calls = counting("<li>a</li>")
  kept.get("a", render)
  kept.get("a", render)
  assert len(calls) == 2


def test_clear_forgets_every_fragment():
  kept = Fragments(budget=100)
  kept.get("a", lambda: "<li>a</li>")
  kept.clear()
  assert not kept.entries and kept.used == 0
  render, calls = counting("<li>a</li>")
  kept.get("a", render)
  assert calls == ["<li>a</li>"]


# -- the {% fragment %} tag and the keys of rows ----------------------------------------------------


class Request:
  """What the tag reads of a request (a page's address, language and derived versions)."""

  def __init__(self, registry, snapshot=None, path="/incident"):
    self.registry, self.lang, self.path = registry, "en", path
    self.host_url, self.script_name = "http://status.example.com", ""
    self.environ = {} if snapshot is None else {SNAPSHOT_KEY: snapshot}


def tag_environment():

  templates = {
    "list": "{% for row in rows %}{% fragment (row, note) if keep else none %}<li>{{ row.name }} {{ note }}"
    " {{ count() }}</li>{% endfragment %}{% endfor %}",
  }
  return Environment(loader=DictLoader(templates), extensions=[FragmentExtension], autoescape=True)


def loaded_incidents(dbsession) -> list:
  """The incidents as a query loads them (every column: a row the factories just added lacks those
  they did not set)."""
  dbsession.expunge_all()
  return list(dbsession.scalars(select(Incident).order_by(Incident.id)))


class Counter:
  def __init__(self):
    self.calls = 0

  def __call__(self):
    self.calls += 1
    return ""


def test_the_tag_renders_its_body_once_per_key(registry, world, dbsession):
  fragments(registry).clear()
  template, counter = tag_environment().get_template("list"), Counter()
  world.incident("Disk full")
  world.incident("DNS errors")
  rows = loaded_incidents(dbsession)
  values = {"rows": rows, "note": "<b>", "keep": True, "count": counter, "request": Request(registry)}
  first = template.render(values)
  assert first == "<li>Disk full &lt;b&gt; </li><li>DNS errors &lt;b&gt; </li>"
  assert template.render(values) == first
  assert counter.calls == 2  # the second render reused both rows
  rows[1].name = "DNS down"
  assert template.render({**values, "note": "!"}) == "<li>Disk full ! </li><li>DNS down ! </li>"
  assert counter.calls == 4  # a value of the key changed: both again
  template.render({**values, "note": "!"})
  assert counter.calls == 4


def test_a_key_of_none_or_no_request_keeps_nothing(registry, world, dbsession):
  template, counter = tag_environment().get_template("list"), Counter()
  world.incident("Disk full")
  rows = loaded_incidents(dbsession)
  template.render(rows=rows, note="", keep=False, count=counter, request=Request(registry))
  template.render(rows=rows, note="", keep=False, count=counter, request=Request(registry))
  template.render(rows=rows, note="", keep=True, count=counter)
  template.render(rows=rows, note="", keep=True, count=counter)
  assert counter.calls == 4


def test_another_page_or_site_address_renders_its_own_piece(registry, world, dbsession):
  fragments(registry).clear()
  template, counter = tag_environment().get_template("list"), Counter()
  world.incident("Disk full")
  values = {"rows": loaded_incidents(dbsession), "note": "", "keep": True, "count": counter}
  template.render(values, request=Request(registry))
  template.render(values, request=Request(registry, path="/scope/1"))
  other_site = Request(registry)
  other_site.host_url = "https://other.example.com"
  template.render(values, request=other_site)
  assert counter.calls == 3


def test_a_row_stands_for_its_values_and_its_loaded_parents(world, dbsession):
  incident = world.incident("Disk full", scope=world.paris, service=world.compute)
  dbsession.expunge_all()
  row = dbsession.scalars(select(Incident).options(*PAIR.eager(Incident))).one()
  before = row_values(row)
  assert "Disk full" in before and "Paris DC" in str(before)
  row.scope.name = "Paris DC2"  # a renamed scope: the rows that show it are other pieces
  assert row_values(row) != before and "Paris DC2" in str(row_values(row))
  assert key_of([row, {"note": "x"}]) == key_of([row, {"note": "x"}])
  assert key_of([row, {"note": "x"}]) != key_of([row, {"note": "y"}])
  assert incident.id == row.id


def test_a_row_whose_parent_is_not_loaded_is_known_by_its_table_version(world, dbsession):
  world.incident("Disk full")
  (row,) = loaded_incidents(dbsession)
  # The incident's parents raise when not loaded (lazy="raise"): they count for nothing.
  assert len(row_values(row)) == 1 + len(Incident.__table__.columns)
  dbsession.expire(row, ["name"])
  with pytest.raises(NotKept):
    row_values(row)  # an expired column: only a version tells its content
  versions = {"incident": "v1"}
  assert ("version", "incident", "v1") in row_values(row, versions.get)
  with pytest.raises(TypeError, match="cannot hold a object"):
    key_of(object())


def test_a_piece_kept_by_version_is_replaced_when_its_versions_change():
  kept = Fragments(budget=200)
  assert kept.current("incident 7", ("v1",)) is None
  kept.replace("incident 7", ("v1",), {"name": "Disk full"}, 20)
  assert kept.current("incident 7", ("v1",)) == {"name": "Disk full"}
  assert kept.current("incident 7", ("v2",)) is None  # written since: made again
  kept.replace("incident 7", ("v2",), {"name": "Disk almost full"}, 30)
  assert list(kept.entries) == ["incident 7"] and kept.used == 30  # one piece per key
  assert kept.current("incident 7", ("v2",)) == {"name": "Disk almost full"}
  assert (kept.hits, kept.misses) == (2, 2)
  kept.replace("incident 7", ("v3",), "x" * 51, 51)  # more than a quarter of the budget
  assert not kept.entries and kept.used == 0
