"""Indexes on the creation dates of maintenances and of their events.

Revision ID: e5a1d7e00003
Revises: e5a1d7e00002
Create Date: 2026-12-01

The history feeds list the newest maintenances and public events first, and the Statuspage payloads
read the newest of each (the page's ``updated_at``): without these indexes each of them read every
maintenance and every event (docs/performance.md#query-plans). A maintenance's timeline is read in
date order: the index on the parent becomes one on (parent, date), as the incidents' events have.
"""

from alembic import op

revision = "e5a1d7e00003"
down_revision = "e5a1d7e00002"
branch_labels = None
depends_on = None


def upgrade():
  op.create_index("ix_maintenance_creation_date", "maintenance", ["creation_date"], unique=False)
  op.create_index(
    "ix_maintenance_event_parent_date", "maintenance_event", ["parent_id", "creation_date"], unique=False
  )
  op.create_index("ix_maintenance_event_creation_date", "maintenance_event", ["creation_date"], unique=False)
  op.drop_index("ix_maintenance_event_parent_id", table_name="maintenance_event")


def downgrade():
  op.create_index("ix_maintenance_event_parent_id", "maintenance_event", ["parent_id"], unique=False)
  op.drop_index("ix_maintenance_event_creation_date", table_name="maintenance_event")
  op.drop_index("ix_maintenance_event_parent_date", table_name="maintenance_event")
  op.drop_index("ix_maintenance_creation_date", table_name="maintenance")
