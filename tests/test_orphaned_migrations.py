"""A plugin that was migrated and then uninstalled: migrating says which revision is orphaned and how
to proceed (docs/install.md, "Uninstalling a plugin"), instead of alembic's "Can't locate revision";
``forget`` gives up that revision. The CLI side is in test_cli_loader.py.
"""

import os
import shutil
import sys
import threading

import pytest
from sqlalchemy import inspect, text
from test_plugin_loading import BROKEN, write_distribution

import prodmanager
from prodmanager.db import get_engine
from prodmanager.migrate import (
  MIGRATION_LOCK_KEY,
  OrphanedRevisions,
  alembic_config,
  current,
  forget,
  record_branches,
  recorded_branches,
  upgrade,
)
from prodmanager.settings import ConfigurationError

REVISION = "f00d0000a001"
MIGRATION = f'''\
  """Create the gone table."""

  import sqlalchemy as sa
  from alembic import op

  revision = "{REVISION}"
  down_revision = None
  branch_labels = ("gone",)
  depends_on = None


  def upgrade():
    op.create_table("pmtest_gone", sa.Column("id", sa.Integer(), primary_key=True))


  def downgrade():
    op.drop_table("pmtest_gone")
  '''
GONE = """\
  plugin_info = {"id": "gone", "migrations": "pmtest_gone:migrations"}


  def includeme(config):
    pass
  """


@pytest.fixture
def site(tmp_path, monkeypatch):
  folder = tmp_path / "site"
  folder.mkdir()
  monkeypatch.syspath_prepend(str(folder))
  for key in [key for key in os.environ if key.startswith("PM_")]:
    monkeypatch.delenv(key)
  yield folder
  for name in [name for name in list(sys.modules) if name.startswith("pmtest_")]:
    del sys.modules[name]


def tables(uri: str) -> set[str]:
  engine = get_engine(uri)
  try:
    return set(inspect(engine).get_table_names())
  finally:
    engine.dispose()


@pytest.fixture
def orphaned(site, tmp_path) -> str:
  """A SQLite database migrated with the plugin "gone" installed, which is then uninstalled."""
  write_distribution(site, "gone", GONE, files={f"migrations/{REVISION}_create_gone.py": MIGRATION})
  uri = f"sqlite:///{tmp_path / 'orphan.sqlite'}"
  upgrade(uri)
  assert REVISION in current(uri)
  shutil.rmtree(site / "pmtest_gone-0.1.dist-info")  # what pip uninstall does...
  shutil.rmtree(site / "pmtest_gone")  # ...to both folders
  return uri


def test_migrating_with_a_revision_of_an_uninstalled_plugin_explains_it(orphaned):
  with pytest.raises(OrphanedRevisions) as info:
    upgrade(orphaned)
  message = str(info.value)
  assert message.startswith("the database holds revisions that neither the core nor any installed plugin")
  # Named by what was recorded when it was migrated: the administrator knows what to reinstall.
  assert (
    f"revision {REVISION}, head of the branch 'gone' of the plugin 'gone' (pmtest-gone 0.1), "
    "which was probably uninstalled." in message
  )
  assert "reinstall that plugin" in message
  assert f"`prodmanager migrate --forget {REVISION}`" in message
  assert "docs/install.md" in message


def test_a_broken_installed_plugin_is_named_as_a_possible_owner(orphaned, site):
  write_distribution(site, "broken", BROKEN)
  with pytest.raises(OrphanedRevisions) as info:
    upgrade(orphaned)
  assert "plugin 'broken' (pmtest-broken 0.1) is installed but cannot be imported" in str(info.value)


def test_forget_drops_the_orphaned_revision_and_keeps_the_tables(orphaned):
  forget(orphaned, REVISION)
  assert REVISION not in current(orphaned)
  upgrade(orphaned)  # nothing stands in the way any more
  assert "pmtest_gone" in tables(orphaned)  # the data is left to the administrator


def test_a_database_without_branch_records_still_gets_the_revision(orphaned):
  engine = get_engine(orphaned)
  try:
    with engine.begin() as connection:
      connection.execute(text("DROP TABLE branch_record"))
  finally:
    engine.dispose()
  with pytest.raises(
    OrphanedRevisions, match=f"revision {REVISION}, of a plugin that was probably uninstalled"
  ):
    upgrade(orphaned)


def test_forget_takes_the_recorded_branch_name(orphaned):
  assert forget(orphaned, "gone") == REVISION
  assert REVISION not in current(orphaned)
  assert REVISION not in recorded_branches(orphaned)
  upgrade(orphaned)


def test_every_revision_the_database_is_at_is_recorded(orphaned):
  records = recorded_branches(orphaned)
  assert set(records) == set(current(orphaned))
  # (alembic_version keeps a branch's head only when no other branch depends on it.)
  assert all(record.plugin and record.branch and record.distribution for record in records.values()), records
  by_plugin = {record.plugin: record for record in records.values()}
  assert (by_plugin["gone"].revision, by_plugin["gone"].branch) == (REVISION, "gone")
  assert by_plugin["gone"].distribution == "pmtest-gone 0.1"
  assert by_plugin["core"].branch == "core"
  assert by_plugin["core"].distribution == f"prodmanager {prodmanager.__version__}"


def test_forget_refuses_a_revision_that_is_not_orphaned(orphaned):
  forget(orphaned, REVISION)
  at = current(orphaned)
  with pytest.raises(ConfigurationError, match="is not orphaned"):
    forget(orphaned, sorted(at)[0])
  assert current(orphaned) == at


def test_forget_refuses_a_revision_the_database_is_not_at(orphaned):
  with pytest.raises(ConfigurationError, match="the database is not at revision 'deadbeef'"):
    forget(orphaned, "deadbeef")
  assert REVISION in current(orphaned)


def test_recording_the_branches_waits_for_the_migration_lock(database_uri):
  """Replicas that migrated one after the other record their branches one at a time (PostgreSQL):
  while another session holds the migration lock, recording waits for it instead of inserting
  rows that would collide with the other session's."""
  if not database_uri.startswith("postgresql"):
    pytest.skip("SQLite serializes writers by itself; the advisory lock is PostgreSQL's")
  cfg = alembic_config(database_uri)
  engine = get_engine(database_uri)
  outcome: list = []
  try:
    with engine.connect() as holder:
      holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
      holder.commit()

      def record():
        try:
          record_branches(cfg, database_uri)
          outcome.append("recorded")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
          outcome.append(error)

      thread = threading.Thread(target=record)
      thread.start()
      waiting = False
      # Until PostgreSQL shows a session of this database waiting for an advisory lock (bounded).
      for _attempt in range(600):
        if thread.is_alive() is False:
          break
        waiting = bool(
          holder.execute(
            text(
              "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
              " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
          ).scalar()
        )
        holder.commit()
        if waiting:
          break
        threading.Event().wait(0.05)
      holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
      holder.commit()
      thread.join(60)
  finally:
    engine.dispose()
  assert waiting, f"recording did not wait for the migration lock: {outcome}"
  assert outcome == ["recorded"]
  assert set(recorded_branches(database_uri)) == set(current(database_uri))
