"""Create the maintenance and maintenance event tables.

Revision ID: e5a1d7e00001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "e5a1d7e00001"
down_revision = None
branch_labels = ("maintenance",)
depends_on = ("a1c0de5c0001", "a1c0de5e0001")


def upgrade():
  op.create_table(
    "maintenance",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("external_reference", sa.String(length=255), nullable=True),
    sa.Column("external_link", sa.String(length=2048), nullable=True),
    sa.Column("status", sa.String(length=15), nullable=False, server_default="scheduled"),
    sa.Column("service_status", sa.String(length=12), nullable=False),
    sa.Column("scope_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.Column("creation_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("scheduled_start_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("scheduled_end_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
    sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
      ["scope_id"], ["scope.id"], name=op.f("fk_maintenance_scope_id_scope"), ondelete="RESTRICT"
    ),
    sa.ForeignKeyConstraint(
      ["service_id"], ["service.id"], name=op.f("fk_maintenance_service_id_service"), ondelete="RESTRICT"
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance")),
  )
  for column in (
    "name",
    "external_reference",
    "status",
    "service_status",
    "scope_id",
    "service_id",
    "scheduled_start_date",
    "scheduled_end_date",
  ):
    op.create_index(op.f(f"ix_maintenance_{column}"), "maintenance", [column], unique=False)
  op.create_index("ix_maintenance_scope_service", "maintenance", ["scope_id", "service_id"], unique=False)
  op.create_table(
    "maintenance_event",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("parent_id", sa.Integer(), nullable=False),
    sa.Column("creation_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("type", sa.String(length=11), nullable=False),
    sa.Column("content", sa.Text(), nullable=False, server_default=""),
    sa.Column("internal", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("author", sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(
      ["parent_id"],
      ["maintenance.id"],
      name=op.f("fk_maintenance_event_parent_id_maintenance"),
      ondelete="CASCADE",
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_event")),
  )
  op.create_index(op.f("ix_maintenance_event_parent_id"), "maintenance_event", ["parent_id"], unique=False)


def downgrade():
  op.drop_table("maintenance_event")
  op.drop_table("maintenance")
