"""API token records: one row per minted token, by jti, so that tokens can be listed and revoked.

Revision ID: 0002_token
Revises: 0001_core
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_token"
down_revision = "0001_core"
branch_labels = None  # continues the "core" branch
depends_on = None


def upgrade():
  op.create_table(
    "token",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("jti", sa.String(length=64), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("description", sa.String(length=255), nullable=False),
    sa.Column("permissions", sa.JSON(), nullable=False),
    sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(length=255), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_by", sa.String(length=255), nullable=True),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_token")),
  )
  # Unique: every API request looks its token up by jti.
  op.create_index(op.f("ix_token_jti"), "token", ["jti"], unique=True)


def downgrade():
  op.drop_index(op.f("ix_token_jti"), table_name="token")
  op.drop_table("token")
