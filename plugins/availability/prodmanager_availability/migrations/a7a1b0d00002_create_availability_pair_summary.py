"""Create the availability_pair_summary table (the components' 90-day summaries, per pair).

Revision ID: a7a1b0d00002
Revises: a7a1b0d00001
Create Date: 2026-12-01

The table starts empty: until the worker's availability job has written it, the bars' figures are
computed from the days at each read, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7a1b0d00002"
down_revision = "a7a1b0d00001"
branch_labels = None
depends_on = None


def upgrade():
  op.create_table(
    "availability_pair_summary",
    sa.Column("scope_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("up_seconds", sa.BigInteger(), nullable=False),
    sa.Column("measured_seconds", sa.BigInteger(), nullable=False),
    sa.Column("outage_days", sa.Integer(), nullable=False),
    sa.Column("degraded_days", sa.Integer(), nullable=False),
    sa.Column("day_rows", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(
      ["scope_id"],
      ["scope.id"],
      name=op.f("fk_availability_pair_summary_scope_id_scope"),
      ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
      ["service_id"],
      ["service.id"],
      name=op.f("fk_availability_pair_summary_service_id_service"),
      ondelete="CASCADE",
    ),
    sa.PrimaryKeyConstraint("scope_id", "service_id", name=op.f("pk_availability_pair_summary")),
  )
  op.create_index(
    op.f("ix_availability_pair_summary_service_id"), "availability_pair_summary", ["service_id"], unique=False
  )


def downgrade():
  op.drop_index(op.f("ix_availability_pair_summary_service_id"), table_name="availability_pair_summary")
  op.drop_table("availability_pair_summary")
