"""Operator sessions kept on the server (prodmanager.login_sessions): logout ends them.

Revision ID: 0004_login_session
Revises: 0003_branch_record
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_login_session"
down_revision = "0003_branch_record"
branch_labels = None  # continues the "core" branch
depends_on = None


def upgrade():
  op.create_table(
    "login_session",
    sa.Column("key", sa.String(length=64), nullable=False),
    sa.Column("name", sa.String(length=255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("key", name=op.f("pk_login_session")),
  )
  # Expired records are deleted at each login.
  op.create_index(op.f("ix_login_session_expires_at"), "login_session", ["expires_at"], unique=False)


def downgrade():
  op.drop_index(op.f("ix_login_session_expires_at"), table_name="login_session")
  op.drop_table("login_session")
