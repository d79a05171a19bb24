"""What a write reads: each row it names or makes is read once in its transaction
(prodmanager.db.keep_row), not again by the hooks that run before its commit (the notification
outbox's snapshot)."""

import re

import pytest

from prodmanager.state import app_state
from prodmanager.testing import api_token, cache_app, make_client, recorded_statements


@pytest.fixture
def notifying_app(tmp_path, enabled_plugins):
  """An application that commits for real, with the notification plugin (its outbox hook)."""
  app = cache_app(tmp_path, [*enabled_plugins, "notification"])
  yield app
  app_state(app.registry).db_engine.dispose()


def test_a_creation_reads_its_scope_and_service_once_and_its_incident_never(notifying_app):
  client = make_client(notifying_app)
  headers = api_token(client, ["scope_api", "service_api", "incident_api"], "writetest", "write test token")
  scope = client.post_json("/api/scope", {"name": "Read once"}, headers=headers, status=201).json["id"]
  service = client.post_json("/api/service", {"name": "Read once"}, headers=headers, status=201).json["id"]
  body = {"name": "Read once", "scope": scope, "service": service, "severity": "minor"}
  with recorded_statements(app_state(notifying_app.registry).db_engine) as recorded:
    created = client.post_json("/api/incident", body, headers=headers, status=201).json
  statements = [" ".join(statement.split()) for statement in recorded]

  def by_id(table):
    return [s for s in statements if re.search(rf"FROM {table} WHERE {table}\.id = ", s)]

  assert created["name"] == "Read once"
  # The outbox's hook ran before the commit: it looked for the subscribers of this scope and service.
  assert any("FROM notification_subscriber" in s for s in statements)
  assert len(by_id("scope")) == 1 and len(by_id("service")) == 1
  assert by_id("incident") == []  # made here: never read back by id
  # Its timeline is what the creation wrote: not read back either, and the same as a reader's.
  assert not [s for s in statements if "FROM incident_event" in s]
  assert created["events"] and created["events"][0]["type"] == "create"
  read = client.get(f"/api/incident/{created['id']}", headers=headers).json
  assert created["events"] == read["events"]


def test_kept_rows_are_forgotten_when_the_transaction_ends_not_a_savepoint(notifying_app):
  from prodmanager.db import KEPT_ROWS, keep_row

  factory = app_state(notifying_app.registry).db_session_factory
  with factory() as session:
    session.begin()
    marker = object()
    keep_row(session, marker)
    keep_row(session, None)  # nothing found: nothing kept
    with session.begin_nested():
      pass
    assert session.info[KEPT_ROWS] == [marker]  # a savepoint's end keeps them
    session.commit()
    assert KEPT_ROWS not in session.info
    session.begin()
    keep_row(session, marker)
    session.rollback()
    assert KEPT_ROWS not in session.info
