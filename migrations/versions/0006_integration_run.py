"""Integration runs, the monitors' freshness and the worker's schedule (prodmanager.runs).

Revision ID: 0006_integration_run
Revises: 0005_legacy_upgrade
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_integration_run"
down_revision = "0005_legacy_upgrade"
branch_labels = None  # continues the "core" branch
depends_on = None


def upgrade():
  # When each scheduled job and integration last started, whichever replica ran it.
  op.create_table(
    "worker_schedule",
    sa.Column("name", sa.String(length=150), nullable=False),
    sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_schedule")),
  )
  op.create_table(
    "integration_run",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("integration", sa.String(length=100), nullable=False),
    sa.Column("matched", sa.String(length=255), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("outcome", sa.String(length=20), nullable=False),
    sa.Column("seen", sa.Integer(), nullable=False),
    sa.Column("changed", sa.Integer(), nullable=False),
    sa.Column("failed", sa.Integer(), nullable=False),
    sa.Column("skipped", sa.Integer(), nullable=False),
    sa.Column("errors", sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_run")),
  )
  op.create_index(op.f("ix_integration_run_integration"), "integration_run", ["integration"], unique=False)
  op.create_index(op.f("ix_integration_run_started_at"), "integration_run", ["started_at"], unique=False)
  # No foreign key: the monitors are a plugin's table; the runner deletes the rows of monitors it no
  # longer sees.
  op.create_table(
    "integration_check",
    sa.Column("monitor_id", sa.Integer(), autoincrement=False, nullable=False),
    sa.Column("integration", sa.String(length=255), nullable=False),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_data_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("monitor_id", name=op.f("pk_integration_check")),
  )
  op.create_index(
    op.f("ix_integration_check_integration"), "integration_check", ["integration"], unique=False
  )


def downgrade():
  op.drop_index(op.f("ix_integration_check_integration"), table_name="integration_check")
  op.drop_table("integration_check")
  op.drop_index(op.f("ix_integration_run_started_at"), table_name="integration_run")
  op.drop_index(op.f("ix_integration_run_integration"), table_name="integration_run")
  op.drop_table("integration_run")
  op.drop_table("worker_schedule")
