"""A plugin that was migrated and then uninstalled: migrating says which revision is orphaned and how
to proceed (docs/install.md, "Uninstalling a plugin"), instead of alembic's "Can't locate revision";
``forget`` gives up that revision. The CLI side is in test_cli_loader.py.
"""

import os
import shutil
import sys

import pytest
from sqlalchemy import inspect
from test_plugin_loading import BROKEN, write_distribution

from prodmanager.db import get_engine
from prodmanager.migrate import OrphanedRevisions, current, forget, upgrade
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
  assert (
    f"the database is at revision(s) {REVISION}, which neither the core nor any installed plugin" in message
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
