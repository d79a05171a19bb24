"""Create the announcement table.

Revision ID: e7a0a2c00001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "e7a0a2c00001"
down_revision = None
branch_labels = ("announcement",)
depends_on = ("a1c0de5c0001", "a1c0de5e0001")


def upgrade():
  op.create_table(
    "announcement",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("level", sa.String(length=10), nullable=False),
    sa.Column("scope_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.Column("creation_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
      ["scope_id"], ["scope.id"], name=op.f("fk_announcement_scope_id_scope"), ondelete="RESTRICT"
    ),
    sa.ForeignKeyConstraint(
      ["service_id"], ["service.id"], name=op.f("fk_announcement_service_id_service"), ondelete="RESTRICT"
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement")),
  )
  for column in ("name", "level", "scope_id", "service_id", "start_date", "end_date"):
    op.create_index(op.f(f"ix_announcement_{column}"), "announcement", [column], unique=False)


def downgrade():
  op.drop_table("announcement")
