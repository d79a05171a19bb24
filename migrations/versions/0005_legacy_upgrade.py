"""What the 0.22 upgrade and import keep (prodmanager.legacy.models): 0.22's ``app_config``, the
``legacy_import`` map of imported ids and the ``legacy_subscriber`` holding table.

Revision ID: 0005_legacy_upgrade
Revises: 0004_login_session
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_legacy_upgrade"
down_revision = "0004_login_session"
branch_labels = None  # continues the "core" branch
depends_on = None


def upgrade():
  op.create_table(
    "app_config",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("uuid", sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_app_config")),
    sa.UniqueConstraint("uuid", name=op.f("uq_app_config_uuid")),
  )
  op.create_table(
    "legacy_import",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("source", sa.String(length=255), nullable=False),
    sa.Column("kind", sa.String(length=32), nullable=False),
    sa.Column("old_id", sa.Integer(), nullable=False),
    sa.Column("new_id", sa.Integer(), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_import")),
    sa.UniqueConstraint("source", "kind", "old_id", name="uq_legacy_import_source_kind_old_id"),
  )
  op.create_table(
    "legacy_subscriber",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("email", sa.String(length=320), nullable=False),
    sa.Column("confirmed", sa.Boolean(), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_subscriber")),
    sa.UniqueConstraint("email", name=op.f("uq_legacy_subscriber_email")),
  )


def downgrade():
  op.drop_table("legacy_subscriber")
  op.drop_table("legacy_import")
  op.drop_table("app_config")
