"""Create the monitor and monitor status change tables.

Revision ID: b2d0a1e00001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "b2d0a1e00001"
down_revision = None
branch_labels = ("monitor",)
depends_on = ("a1c0de5c0001", "a1c0de5e0001")


def upgrade():
  op.create_table(
    "monitor",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("status", sa.String(length=11), nullable=False, server_default="ok"),
    sa.Column("integration", sa.String(length=255), nullable=True),
    sa.Column("external_reference", sa.String(length=255), nullable=True),
    sa.Column("external_link", sa.String(length=2048), nullable=True),
    sa.Column("scope_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(
      ["scope_id"], ["scope.id"], name=op.f("fk_monitor_scope_id_scope"), ondelete="RESTRICT"
    ),
    sa.ForeignKeyConstraint(
      ["service_id"], ["service.id"], name=op.f("fk_monitor_service_id_service"), ondelete="RESTRICT"
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor")),
  )
  for column in ("name", "status", "integration", "external_reference", "scope_id", "service_id"):
    op.create_index(op.f(f"ix_monitor_{column}"), "monitor", [column], unique=False)
  op.create_index("ix_monitor_scope_service", "monitor", ["scope_id", "service_id"], unique=False)
  op.create_table(
    "monitor_status_change",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("monitor_id", sa.Integer(), nullable=False),
    sa.Column("old_status", sa.String(length=11), nullable=True),
    sa.Column("new_status", sa.String(length=11), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
      ["monitor_id"],
      ["monitor.id"],
      name=op.f("fk_monitor_status_change_monitor_id_monitor"),
      ondelete="CASCADE",
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_status_change")),
  )
  op.create_index(
    "ix_monitor_status_change_monitor_at", "monitor_status_change", ["monitor_id", "changed_at"]
  )


def downgrade():
  op.drop_table("monitor_status_change")
  op.drop_table("monitor")
