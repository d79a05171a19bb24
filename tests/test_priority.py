"""Writes before page renders within a process (prodmanager.priority)."""

import threading

import pytest
from sqlalchemy import event

from prodmanager import priority
from prodmanager.state import app_state
from prodmanager.testing import api_token, make_client

pytestmark = pytest.mark.one_backend


def test_a_render_gives_way_until_the_write_ends():
  started, may_end, ended = threading.Event(), threading.Event(), threading.Event()
  seen = []

  def write():
    with priority.urgent():
      started.set()
      may_end.wait(10)
      ended.set()

  def render():
    with priority.giving_way(budget=30):
      assert priority.gives_way()
      priority.give_way()
      seen.append(ended.is_set())

  writer = threading.Thread(target=write)
  writer.start()
  started.wait(10)
  renderer = threading.Thread(target=render)
  renderer.start()
  renderer.join(0.2)
  assert renderer.is_alive()  # waiting at its checkpoint while the write runs
  may_end.set()
  writer.join(10)
  renderer.join(10)
  assert seen == [True] and priority.urgent_now() == 0


def test_outside_a_render_or_with_its_budget_spent_nothing_waits():
  release = threading.Event()
  holding = threading.Event()

  def write():
    with priority.urgent():
      holding.set()
      release.wait(30)

  writer = threading.Thread(target=write)
  writer.start()
  holding.wait(10)
  try:
    assert priority.urgent_now() == 1 and not priority.gives_way()
    priority.give_way()  # not a render: returns at once (the test would hang otherwise)
    with priority.giving_way(budget=0.01):
      priority.give_way()  # the budget is spent waiting here...
      assert not priority.gives_way()
      priority.give_way()  # ...so the next checkpoint does not wait
    assert not priority.gives_way()  # the block's end puts the thread back as it was
  finally:
    release.set()
    writer.join(10)


def test_writes_are_urgent_and_cached_renders_give_way_at_their_statements(cached_app):
  engine = app_state(cached_app.registry).db_engine
  seen = []

  def statement(_connection, _cursor, text, _parameters, _context, _executemany):
    seen.append((text.split(None, 1)[0].upper(), priority.urgent_now(), priority.gives_way()))

  event.listen(engine, "before_cursor_execute", statement)
  try:
    client = make_client(cached_app)
    headers = api_token(client, ["scope_api"], "priority", "priority test")
    del seen[:]
    client.post_json("/api/scope", {"name": "Paris", "description": ""}, headers=headers, status=201)
    assert any(kind == "INSERT" for kind, _urgent, _gives in seen)
    assert all(urgent == 1 and not gives for _kind, urgent, gives in seen)
    del seen[:]
    assert "Paris" in make_client(cached_app).get("/scope").text  # anonymous: rendered through the cache
    assert seen and all(urgent == 0 and gives for _kind, urgent, gives in seen)
  finally:
    event.remove(engine, "before_cursor_execute", statement)
  assert priority.urgent_now() == 0
