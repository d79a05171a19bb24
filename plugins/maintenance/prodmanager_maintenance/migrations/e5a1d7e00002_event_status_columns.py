"""Status changes as typed columns of the maintenance events: ``old_status`` and ``new_status``.

Revision ID: e5a1d7e00002
Revises: e5a1d7e00001
Create Date: 2026-12-01

The public history feed and the Statuspage payloads used to find status changes by matching
a pattern against the JSON diff of each event. The columns hold the statuses themselves: set on
the creation event (``old_status`` empty) and on every update that changed the status. Existing
rows are converted from their diffs (an event whose diff cannot be read keeps empty columns, as it
was never told as a status change either).
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "e5a1d7e00002"
down_revision = "e5a1d7e00001"
branch_labels = None
depends_on = None

TABLE = "maintenance_event"
BATCH = 500


def status_change(content):
  """``(old, new)`` from a diff ``{"status": [old, new], ...}``; None when it has no status."""
  try:
    diff = json.loads(content or "{}")
  except ValueError:
    return None
  change = diff.get("status") if isinstance(diff, dict) else None
  if not (isinstance(change, list) and len(change) == 2):
    return None
  old, new = change
  if not isinstance(new, str) or not (old is None or isinstance(old, str)):
    return None
  return old, new


def upgrade():
  op.add_column(TABLE, sa.Column("old_status", sa.String(length=32), nullable=True))
  op.add_column(TABLE, sa.Column("new_status", sa.String(length=32), nullable=True))
  # This revision's own view of the table, not the application's model (which may change later):
  # the conversion is written out here, as every migration is, rather than imported.
  events = sa.table(
    TABLE,
    sa.column("id", sa.Integer),
    sa.column("type", sa.String),
    sa.column("content", sa.Text),
    sa.column("old_status", sa.String),
    sa.column("new_status", sa.String),
  )
  bind = op.get_bind()
  rows = bind.execute(
    sa.select(events.c.id, events.c.content)
    .where(events.c.type.in_(("create", "update")))
    .order_by(events.c.id)
  ).all()
  changes = []
  for ident, content in rows:
    change = status_change(content)
    if change is not None:
      changes.append({"event_id": ident, "old": change[0], "new": change[1]})
  statement = (
    events.update()
    .where(events.c.id == sa.bindparam("event_id"))
    .values(old_status=sa.bindparam("old"), new_status=sa.bindparam("new"))
  )
  for start in range(0, len(changes), BATCH):
    bind.execute(statement, changes[start : start + BATCH])


def downgrade():
  with op.batch_alter_table(TABLE) as batch:
    batch.drop_column("new_status")
    batch.drop_column("old_status")
