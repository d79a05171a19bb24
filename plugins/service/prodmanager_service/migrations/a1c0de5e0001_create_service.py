"""Create the service table.

Revision ID: a1c0de5e0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "a1c0de5e0001"
down_revision = None
branch_labels = ("service",)
depends_on = "0001_core"


def upgrade():
  op.create_table(
    "service",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
    sa.UniqueConstraint("name", name=op.f("uq_service_name")),
  )


def downgrade():
  op.drop_table("service")
