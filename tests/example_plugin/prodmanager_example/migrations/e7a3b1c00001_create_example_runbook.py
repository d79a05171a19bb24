"""Create the example_runbook table.

Revision ID: e7a3b1c00001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "e7a3b1c00001"
down_revision = None
branch_labels = ("example",)
# The table refers to service.id: the service plugin's first revision must run before this one.
depends_on = "a1c0de5e0001"


def upgrade():
  op.create_table(
    "example_runbook",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("url", sa.String(length=2048), nullable=True),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(
      ["service_id"], ["service.id"], name=op.f("fk_example_runbook_service_id_service"), ondelete="RESTRICT"
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_example_runbook")),
    sa.UniqueConstraint("name", name=op.f("uq_example_runbook_name")),
  )
  op.create_index(op.f("ix_example_runbook_service_id"), "example_runbook", ["service_id"], unique=False)


def downgrade():
  op.drop_index(op.f("ix_example_runbook_service_id"), table_name="example_runbook")
  op.drop_table("example_runbook")
