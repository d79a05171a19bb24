"""An index on the creation date of incidents.

Revision ID: e1c1de000003
Revises: e1c1de000002
Create Date: 2026-12-01

The Statuspage payloads read the newest creation (the page's ``updated_at``) and the lists offer the
``-creation_date`` order: without an index both read every incident (docs/performance.md#query-plans).
"""

from alembic import op

revision = "e1c1de000003"
down_revision = "e1c1de000002"
branch_labels = None
depends_on = None


def upgrade():
  op.create_index("ix_incident_creation_date", "incident", ["creation_date"], unique=False)


def downgrade():
  op.drop_index("ix_incident_creation_date", table_name="incident")
