"""Create the notification tables: subscribers, their filters and follows, the outbox.

Revision ID: f0a1e7c00001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "f0a1e7c00001"
down_revision = None
branch_labels = ("notification",)
# scope, service and incident: the filters and follows refer to their tables.
depends_on = ("a1c0de5c0001", "a1c0de5e0001", "e1c1de000001")


def upgrade():
  op.create_table(
    "notification_subscriber",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("channel", sa.String(length=11), nullable=False),
    sa.Column("email", sa.String(length=320), nullable=True),
    sa.Column("name", sa.String(length=255), nullable=False, server_default=""),
    sa.Column("url", sa.String(length=2048), nullable=True),
    sa.Column("flavour", sa.String(length=11), nullable=True),
    sa.Column("secret", sa.String(length=255), nullable=True),
    sa.Column("token", sa.String(length=64), nullable=False),
    sa.Column("all_events", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("kinds", sa.String(length=255), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_subscriber")),
    sa.UniqueConstraint("email", name=op.f("uq_notification_subscriber_email")),
    sa.UniqueConstraint("token", name=op.f("uq_notification_subscriber_token")),
  )
  op.create_index(op.f("ix_notification_subscriber_channel"), "notification_subscriber", ["channel"])
  for table, column, target in (
    ("notification_subscriber_scope", "scope_id", "scope"),
    ("notification_subscriber_service", "service_id", "service"),
  ):
    op.create_table(
      table,
      sa.Column("subscriber_id", sa.Integer(), nullable=False),
      sa.Column(column, sa.Integer(), nullable=False),
      sa.ForeignKeyConstraint(
        ["subscriber_id"],
        ["notification_subscriber.id"],
        name=op.f(f"fk_{table}_subscriber_id_notification_subscriber"),
        ondelete="CASCADE",
      ),
      sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
      ),
      sa.PrimaryKeyConstraint("subscriber_id", column, name=op.f(f"pk_{table}")),
    )
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column])
  op.create_table(
    "notification_follow",
    sa.Column("subscriber_id", sa.Integer(), nullable=False),
    sa.Column("incident_id", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(
      ["subscriber_id"],
      ["notification_subscriber.id"],
      name=op.f("fk_notification_follow_subscriber_id_notification_subscriber"),
      ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
      ["incident_id"],
      ["incident.id"],
      name=op.f("fk_notification_follow_incident_id_incident"),
      ondelete="CASCADE",
    ),
    sa.PrimaryKeyConstraint("subscriber_id", "incident_id", name=op.f("pk_notification_follow")),
  )
  op.create_index(op.f("ix_notification_follow_incident_id"), "notification_follow", ["incident_id"])
  op.create_table(
    "notification_message",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("event", sa.String(length=64), nullable=False),
    sa.Column("type_name", sa.String(length=64), nullable=True),
    sa.Column("object_id", sa.Integer(), nullable=True),
    sa.Column("snapshot", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_message")),
  )
  op.create_table(
    "notification_delivery",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("message_id", sa.Integer(), nullable=False),
    sa.Column("subscriber_id", sa.Integer(), nullable=True),
    sa.Column("purpose", sa.String(length=11), nullable=False),
    sa.Column("channel", sa.String(length=11), nullable=False),
    sa.Column("recipient", sa.String(length=2048), nullable=False),
    sa.Column("status", sa.String(length=13), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_by", sa.String(length=64), nullable=True),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(
      ["message_id"],
      ["notification_message.id"],
      name=op.f("fk_notification_delivery_message_id_notification_message"),
      ondelete="CASCADE",
    ),
    sa.ForeignKeyConstraint(
      ["subscriber_id"],
      ["notification_subscriber.id"],
      name=op.f("fk_notification_delivery_subscriber_id_notification_subscriber"),
      ondelete="SET NULL",
    ),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
  )
  op.create_index(op.f("ix_notification_delivery_message_id"), "notification_delivery", ["message_id"])
  op.create_index(op.f("ix_notification_delivery_subscriber_id"), "notification_delivery", ["subscriber_id"])
  op.create_index("ix_notification_delivery_due", "notification_delivery", ["status", "next_attempt_at"])


def downgrade():
  for table in (
    "notification_delivery",
    "notification_message",
    "notification_follow",
    "notification_subscriber_service",
    "notification_subscriber_scope",
    "notification_subscriber",
  ):
    op.drop_table(table)
