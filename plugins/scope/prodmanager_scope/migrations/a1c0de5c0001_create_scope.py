"""Create the scope table.

Revision ID: a1c0de5c0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "a1c0de5c0001"
down_revision = None
branch_labels = ("scope",)
depends_on = "0001_core"


def upgrade():
  op.create_table(
    "scope",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_scope")),
    sa.UniqueConstraint("name", name=op.f("uq_scope_name")),
  )


def downgrade():
  op.drop_table("scope")
