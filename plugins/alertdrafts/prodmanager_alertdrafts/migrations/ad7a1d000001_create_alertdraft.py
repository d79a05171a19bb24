"""Create the tables of draft incidents proposed by monitors in alert.

Revision ID: ad7a1d000001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ad7a1d000001"
down_revision = None
branch_labels = ("alertdrafts",)
# The scope, service, monitor and incident tables it refers to.
depends_on = ("a1c0de5c0001", "a1c0de5e0001", "b2d0a1e00001", "e1c1de000001")

OPEN = sa.text("state = 'open'")


def upgrade():
  op.create_table(
    "alertdraft",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("scope_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.Column("state", sa.String(length=13), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("severity", sa.String(length=12), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_by", sa.String(length=255), nullable=True),
    sa.Column("incident_id", sa.Integer(), nullable=True),
    sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolve_proposed", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(
      ["scope_id"], ["scope.id"], name=op.f("fk_alertdraft_scope_id_scope"), ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
      ["service_id"], ["service.id"], name=op.f("fk_alertdraft_service_id_service"), ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
      ["incident_id"], ["incident.id"], name=op.f("fk_alertdraft_incident_id_incident"), ondelete="SET NULL"
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_alertdraft")),
  )
  for column in ("scope_id", "service_id", "incident_id"):
    op.create_index(op.f(f"ix_alertdraft_{column}"), "alertdraft", [column], unique=False)
  op.create_index("ix_alertdraft_state_opened", "alertdraft", ["state", "opened_at"], unique=False)
  op.create_index(
    "uq_alertdraft_open_pair",
    "alertdraft",
    ["scope_id", "service_id"],
    unique=True,
    sqlite_where=OPEN,
    postgresql_where=OPEN,
  )
  op.create_table(
    "alertdraft_monitor",
    sa.Column("draft_id", sa.Integer(), nullable=False),
    sa.Column("monitor_id", sa.Integer(), nullable=False),
    sa.Column("source", sa.String(length=255), nullable=False),
    sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
      ["draft_id"],
      ["alertdraft.id"],
      name=op.f("fk_alertdraft_monitor_draft_id_alertdraft"),
      ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
      ["monitor_id"],
      ["monitor.id"],
      name=op.f("fk_alertdraft_monitor_monitor_id_monitor"),
      ondelete="CASCADE",
    ),
    sa.PrimaryKeyConstraint("draft_id", "monitor_id", name=op.f("pk_alertdraft_monitor")),
  )
  op.create_index("ix_alertdraft_monitor_monitor", "alertdraft_monitor", ["monitor_id"], unique=False)


def downgrade():
  op.drop_table("alertdraft_monitor")
  op.drop_table("alertdraft")
