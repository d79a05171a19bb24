"""What a ProdManager 0.22 database holds, as read by the upgrade: its alembic revisions, its
tables, its enum types. Facts taken from 0.22's own migrations (Flask-Migrate, 0.0.0 to 0.21.0;
0.22 added none).

0.22 stored its enums by member NAME (``IN_PROGRESS``), as native enum types on PostgreSQL and as
plain ``VARCHAR`` on SQLite, and its dates as naive timestamps in the server's local time
(``datetime.now()``).
"""

import sqlalchemy as sa

# Every revision of 0.22's migration chain, oldest first, with the release that introduced it.
REVISIONS = {
  "96401e5e2911": "0.0.0",
  "128dc0fc058c": "0.1.0",
  "647227471a57": "0.2.0",
  "5c889d53d173": "0.3.0",
  "0e57f0ab2101": "0.4.0",
  "aa5f2f1eeb17": "0.5.0",
  "60556090b264": "0.8.0",
  "15ce6bf2e389": "0.9.0",
  "920bd288f8f8": "0.12.0",
  "0ec3e33b3896": "0.13.0",
  "672f32454a2c": "0.15.0",
  "59afce3ef87c": "0.17.0",
  "5c0b69e6ce7e": "0.19.0",
  "f137dd84b5a0": "0.21.0",
}
# The head of 0.21 and 0.22: the schema the upgrade reads. Older databases are first brought
# there by 0.22 itself (``flask db upgrade``), which the refusal says.
HEAD = "f137dd84b5a0"

# 0.22's native PostgreSQL enum types and their members, in declaration order.
ENUM_TYPES = {
  "servicestatus": ("UP", "DEGRADED", "DOWN"),
  "incidentstatus": ("ACTIVE", "INVESTIGATING", "STABLE", "RESOLVED"),
  "incidentseverity": ("CRITICAL", "HIGH", "MODERATE", "LOW", "MINOR"),
  "maintenancestatus": ("SCHEDULED", "IN_PROGRESS", "SUCCEED", "FAILED", "CANCELED"),
  "eventtype": ("CREATE", "UPDATE", "COMMENT"),
  "monitorstatus": ("OK", "WARNING", "ALERT"),
  "announcementlevel": ("HIGH", "MEDIUM", "LOW"),
}

# Children first: the order in which the upgrade drops 0.22's tables.
TABLES = (
  "incident_event",
  "maintenance_event",
  "incident",
  "maintenance",
  "monitor",
  "announcement",
  "subscriber",
  "app_config",
  "scope",
  "service",
)

# 0.22's tables as the upgrade reads them. Enum columns are read as the strings they hold (the
# member names), whatever the backend's type.
metadata = sa.MetaData()
Text = sa.String

scope = sa.Table(
  "scope",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("name", Text),
  sa.Column("description", Text),
)
service = sa.Table(
  "service",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("name", Text),
  sa.Column("description", Text),
)
monitor = sa.Table(
  "monitor",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("name", Text),
  sa.Column("description", Text),
  sa.Column("external_link", Text),
  sa.Column("status", Text),
  sa.Column("scope_id", sa.Integer),
  sa.Column("service_id", sa.Integer),
  sa.Column("external_reference", Text),
  sa.Column("integration", Text),
)
incident = sa.Table(
  "incident",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("name", Text),
  sa.Column("description", Text),
  sa.Column("external_reference", Text),
  sa.Column("status", Text),
  sa.Column("severity", Text),
  sa.Column("scope_id", sa.Integer),
  sa.Column("service_id", sa.Integer),
  sa.Column("creation_date", sa.DateTime),
  sa.Column("start_impact_date", sa.DateTime),
  sa.Column("resolve_date", sa.DateTime),
  sa.Column("investigation_date", sa.DateTime),
  sa.Column("stable_date", sa.DateTime),
  sa.Column("external_link", Text),
)
maintenance = sa.Table(
  "maintenance",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("name", Text),
  sa.Column("description", Text),
  sa.Column("external_reference", Text),
  sa.Column("status", Text),
  sa.Column("scope_id", sa.Integer),
  sa.Column("service_id", sa.Integer),
  sa.Column("service_status", Text),
  sa.Column("creation_date", sa.DateTime),
  sa.Column("scheduled_start_date", sa.DateTime),
  sa.Column("scheduled_end_date", sa.DateTime),
  sa.Column("start_date", sa.DateTime),
  sa.Column("end_date", sa.DateTime),
  sa.Column("external_link", Text),
)


def event_table(name: str, parent: str) -> sa.Table:
  return sa.Table(
    name,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("creation_date", sa.DateTime),
    sa.Column("content", Text),
    sa.Column(f"{parent}_id", sa.Integer),
    sa.Column("type", Text),
    sa.Column("internal", sa.Boolean),
  )


incident_event = event_table("incident_event", "incident")
maintenance_event = event_table("maintenance_event", "maintenance")
announcement = sa.Table(
  "announcement",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("name", Text),
  sa.Column("description", Text),
  sa.Column("level", Text),
  sa.Column("scope_id", sa.Integer),
  sa.Column("service_id", sa.Integer),
  sa.Column("creation_date", sa.DateTime),
  sa.Column("start_date", sa.DateTime),
  sa.Column("end_date", sa.DateTime),
)
subscriber = sa.Table(
  "subscriber",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("email", Text),
)
app_config = sa.Table(
  "app_config",
  metadata,
  sa.Column("id", sa.Integer, primary_key=True),
  sa.Column("uuid", Text),
)
