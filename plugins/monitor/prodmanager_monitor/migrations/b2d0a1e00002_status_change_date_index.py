"""An index on the date of monitor status changes.

Revision ID: b2d0a1e00002
Revises: b2d0a1e00001
Create Date: 2026-12-01

The Statuspage payloads read the newest status change of all monitors (the page's ``updated_at``):
the (monitor, date) index does not serve it, so it read the whole status history
(docs/performance.md#query-plans).
"""

from alembic import op

revision = "b2d0a1e00002"
down_revision = "b2d0a1e00001"
branch_labels = None
depends_on = None


def upgrade():
  op.create_index(
    "ix_monitor_status_change_changed_at", "monitor_status_change", ["changed_at"], unique=False
  )


def downgrade():
  op.drop_index("ix_monitor_status_change_changed_at", table_name="monitor_status_change")
