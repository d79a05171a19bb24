"""Per-monitor choice of whether its alerts open draft incidents.

Revision ID: ad7a1d000002
Revises: ad7a1d000001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ad7a1d000002"
down_revision = "ad7a1d000001"
branch_labels = None
depends_on = None


def upgrade():
  op.create_table(
    "alertdraft_choice",
    sa.Column("monitor_id", sa.Integer(), nullable=False),
    sa.Column("opens_drafts", sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(
      ["monitor_id"], ["monitor.id"], name=op.f("fk_alertdraft_choice_monitor_id_monitor"), ondelete="CASCADE"
    ),
    sa.PrimaryKeyConstraint("monitor_id", name=op.f("pk_alertdraft_choice")),
  )


def downgrade():
  op.drop_table("alertdraft_choice")
