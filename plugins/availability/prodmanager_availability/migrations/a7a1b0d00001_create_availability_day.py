"""Create the availability_day table (daily roll-ups of the monitor status history).

Revision ID: a7a1b0d00001
Revises:
Create Date: 2026-12-01

The table starts empty: the worker's availability job fills the last 90 days of every monitor from
its status history at its first run.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7a1b0d00001"
down_revision = None
branch_labels = ("availability",)
depends_on = ("b2d0a1e00001",)


def upgrade():
  op.create_table(
    "availability_day",
    sa.Column("monitor_id", sa.Integer(), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("ok_seconds", sa.Integer(), nullable=False),
    sa.Column("warning_seconds", sa.Integer(), nullable=False),
    sa.Column("alert_seconds", sa.Integer(), nullable=False),
    sa.Column("maintenance_seconds", sa.Integer(), nullable=False),
    sa.Column("worst", sa.SmallInteger(), nullable=True),
    sa.Column("computed_until", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
      ["monitor_id"],
      ["monitor.id"],
      name=op.f("fk_availability_day_monitor_id_monitor"),
      ondelete="CASCADE",
    ),
    sa.PrimaryKeyConstraint("monitor_id", "day", name=op.f("pk_availability_day")),
  )
  op.create_index(op.f("ix_availability_day_day"), "availability_day", ["day"], unique=False)


def downgrade():
  op.drop_index(op.f("ix_availability_day_day"), table_name="availability_day")
  op.drop_table("availability_day")
