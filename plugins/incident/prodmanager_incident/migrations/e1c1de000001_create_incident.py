"""Create the incident and incident event tables.

Revision ID: e1c1de000001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "e1c1de000001"
down_revision = None
branch_labels = ("incident",)
depends_on = ("a1c0de5c0001", "a1c0de5e0001")


def upgrade():
  op.create_table(
    "incident",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("external_reference", sa.String(length=255), nullable=True),
    sa.Column("external_link", sa.String(length=2048), nullable=True),
    sa.Column("severity", sa.String(length=12), nullable=False),
    sa.Column("status", sa.String(length=17), nullable=False, server_default="active"),
    sa.Column("scope_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.Column("creation_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("start_impact_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("investigation_date", sa.DateTime(timezone=True), nullable=True),
    sa.Column("stable_date", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolve_date", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
      ["scope_id"], ["scope.id"], name=op.f("fk_incident_scope_id_scope"), ondelete="RESTRICT"
    ),
    sa.ForeignKeyConstraint(
      ["service_id"], ["service.id"], name=op.f("fk_incident_service_id_service"), ondelete="RESTRICT"
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
  )
  for column in (
    "name",
    "external_reference",
    "severity",
    "status",
    "scope_id",
    "service_id",
    "start_impact_date",
  ):
    op.create_index(op.f(f"ix_incident_{column}"), "incident", [column], unique=False)
  op.create_index("ix_incident_scope_service", "incident", ["scope_id", "service_id"], unique=False)
  op.create_index(
    "ix_incident_status_start_impact", "incident", ["status", "start_impact_date"], unique=False
  )
  op.create_table(
    "incident_event",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("parent_id", sa.Integer(), nullable=False),
    sa.Column("creation_date", sa.DateTime(timezone=True), nullable=False),
    sa.Column("type", sa.String(length=11), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("internal", sa.Boolean(), nullable=False),
    sa.Column("author", sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(
      ["parent_id"], ["incident.id"], name=op.f("fk_incident_event_parent_id_incident"), ondelete="CASCADE"
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_event")),
  )
  op.create_index("ix_incident_event_parent_date", "incident_event", ["parent_id", "creation_date"])
  op.create_index("ix_incident_event_creation_date", "incident_event", ["creation_date"])


def downgrade():
  op.drop_table("incident_event")
  op.drop_table("incident")
