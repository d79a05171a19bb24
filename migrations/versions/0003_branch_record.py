"""Branch records: which branch, plugin and distribution each revision of alembic_version belongs
to, so that a revision left by an uninstalled plugin can be explained by name (prodmanager.migrate).

Revision ID: 0003_branch_record
Revises: 0002_token
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_branch_record"
down_revision = "0002_token"
branch_labels = None  # continues the "core" branch
depends_on = None


def upgrade():
  op.create_table(
    "branch_record",
    sa.Column("revision", sa.String(length=64), nullable=False),
    sa.Column("branch", sa.String(length=255), nullable=False),
    sa.Column("plugin", sa.String(length=255), nullable=False),
    sa.Column("distribution", sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint("revision", name=op.f("pk_branch_record")),
  )


def downgrade():
  op.drop_table("branch_record")
