"""Core root: creates no table yet; the revision every plugin's branch depends on.

Each plugin keeps its revisions in its own package, on its own branch, and starts that branch with
``down_revision = None``, ``branch_labels = ("<plugin id>",)`` and ``depends_on = "0001_core"`` (or
the revisions of the plugins it requires), so ``alembic upgrade heads`` always runs this one first.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-24
"""

revision = "0001_core"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade():
  """The core has no table of its own yet: its future revisions continue the ``core`` branch."""


def downgrade():
  """Nothing to drop."""
