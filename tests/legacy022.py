"""ProdManager 0.22 databases for the upgrade and import tests: 0.22's schema written out as facts,
and rows of every kind in it.

The DDL is the final state of 0.22's migration chain (migrations/versions of Lunik/prod-manager,
0.0.0 to 0.21.0, 0.22 adding none), as its alembic and SQLAlchemy emitted it:

* PostgreSQL: native enum types holding the member NAMES (``IN_PROGRESS``), ``SERIAL`` ids,
  ``VARCHAR`` without length, ``TIMESTAMP WITHOUT TIME ZONE`` (naive local times).
* SQLite: the enums as ``VARCHAR(n)``, n the longest name when the column was created (0.3.0 and
  0.17.0 changed the members on PostgreSQL only), without CHECK constraints (SQLAlchemy's default).
  Columns added by later revisions come last, where ``ALTER TABLE ADD COLUMN`` put them; the
  ``NOT NULL`` columns that 0.4.0 and 0.8.0 added to the event tables are in their CREATE TABLE,
  since SQLite refuses to add a NOT NULL column without a default.
* ``alembic_version`` at 0.21/0.22's head, ``f137dd84b5a0``.

Rows are written as 0.22 stored them: enums by name, dates naive, SQLite dates as SQLAlchemy's
``YYYY-MM-DD HH:MM:SS.ffffff`` text, event contents as 0.22's ``create_event`` wrote them.
"""

import datetime as dt

from sqlalchemy import create_engine, text

HEAD = "f137dd84b5a0"

ENUMS = {
  "servicestatus": ("UP", "DEGRADED", "DOWN"),
  "incidentstatus": ("ACTIVE", "INVESTIGATING", "STABLE", "RESOLVED"),
  "incidentseverity": ("CRITICAL", "HIGH", "MODERATE", "LOW", "MINOR"),
  "maintenancestatus": ("SCHEDULED", "IN_PROGRESS", "SUCCEED", "FAILED", "CANCELED"),
  "eventtype": ("CREATE", "UPDATE", "COMMENT"),
  "monitorstatus": ("OK", "WARNING", "ALERT"),
  "announcementlevel": ("HIGH", "MEDIUM", "LOW"),
}

# Column types per backend: {placeholder: (sqlite, postgresql)}.
TYPES = {
  "ID": ("INTEGER NOT NULL", "SERIAL NOT NULL"),
  "DATE": ("DATETIME", "TIMESTAMP WITHOUT TIME ZONE"),
  "INCIDENT_STATUS": ("VARCHAR(9)", "incidentstatus"),
  "SEVERITY": ("VARCHAR(8)", "incidentseverity"),
  "MAINTENANCE_STATUS": ("VARCHAR(11)", "maintenancestatus"),
  "SERVICE_STATUS": ("VARCHAR(8)", "servicestatus"),
  "EVENT_TYPE": ("VARCHAR(7)", "eventtype"),
  "MONITOR_STATUS": ("VARCHAR(7)", "monitorstatus"),
  "LEVEL": ("VARCHAR(6)", "announcementlevel"),
}

TABLES = [
  """CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))""",
  """CREATE TABLE scope (
    id {ID}, name VARCHAR NOT NULL, description VARCHAR,
    PRIMARY KEY (id), UNIQUE (name))""",
  """CREATE TABLE service (
    id {ID}, name VARCHAR NOT NULL, description VARCHAR,
    PRIMARY KEY (id), UNIQUE (name))""",
  """CREATE TABLE incident (
    id {ID}, name VARCHAR NOT NULL, description VARCHAR, external_reference VARCHAR,
    status {INCIDENT_STATUS} NOT NULL, severity {SEVERITY} NOT NULL,
    scope_id INTEGER NOT NULL, service_id INTEGER NOT NULL,
    creation_date {DATE} NOT NULL, start_impact_date {DATE}, resolve_date {DATE},
    investigation_date {DATE}, stable_date {DATE}, external_link VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(scope_id) REFERENCES scope (id), FOREIGN KEY(service_id) REFERENCES service (id))""",
  "CREATE INDEX ix_incident_external_reference ON incident (external_reference)",
  """CREATE TABLE maintenance (
    id {ID}, name VARCHAR NOT NULL, description VARCHAR, external_reference VARCHAR,
    status {MAINTENANCE_STATUS} NOT NULL, scope_id INTEGER NOT NULL, service_id INTEGER NOT NULL,
    service_status {SERVICE_STATUS} NOT NULL, creation_date {DATE} NOT NULL,
    scheduled_start_date {DATE} NOT NULL, scheduled_end_date {DATE} NOT NULL,
    start_date {DATE}, end_date {DATE}, external_link VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(scope_id) REFERENCES scope (id), FOREIGN KEY(service_id) REFERENCES service (id))""",
  "CREATE INDEX ix_maintenance_external_reference ON maintenance (external_reference)",
  """CREATE TABLE incident_event (
    id {ID}, creation_date {DATE} NOT NULL, content VARCHAR NOT NULL, incident_id INTEGER NOT NULL,
    type {EVENT_TYPE} NOT NULL, internal BOOLEAN NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(incident_id) REFERENCES incident (id))""",
  """CREATE TABLE maintenance_event (
    id {ID}, creation_date {DATE} NOT NULL, content VARCHAR NOT NULL, maintenance_id INTEGER NOT NULL,
    type {EVENT_TYPE} NOT NULL, internal BOOLEAN NOT NULL,
    PRIMARY KEY (id), FOREIGN KEY(maintenance_id) REFERENCES maintenance (id))""",
  """CREATE TABLE monitor (
    id {ID}, name VARCHAR NOT NULL, description VARCHAR, external_link VARCHAR,
    status {MONITOR_STATUS} NOT NULL, scope_id INTEGER NOT NULL, service_id INTEGER NOT NULL,
    external_reference VARCHAR, integration VARCHAR,
    PRIMARY KEY (id),
    FOREIGN KEY(scope_id) REFERENCES scope (id), FOREIGN KEY(service_id) REFERENCES service (id))""",
  """CREATE TABLE subscriber (
    id {ID}, email VARCHAR NOT NULL, PRIMARY KEY (id), UNIQUE (email))""",
  """CREATE TABLE announcement (
    id {ID}, name VARCHAR NOT NULL, description VARCHAR NOT NULL, level {LEVEL} NOT NULL,
    scope_id INTEGER NOT NULL, service_id INTEGER NOT NULL, creation_date {DATE} NOT NULL,
    start_date {DATE} NOT NULL, end_date {DATE} NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(scope_id) REFERENCES scope (id), FOREIGN KEY(service_id) REFERENCES service (id))""",
  """CREATE TABLE app_config (
    id {ID}, uuid VARCHAR NOT NULL, PRIMARY KEY (id), UNIQUE (uuid))""",
]


def d(text_value: str) -> dt.datetime:
  """A naive 0.22 date from ``YYYY-MM-DD HH:MM``."""
  return dt.datetime.strptime(text_value, "%Y-%m-%d %H:%M")


UUID = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"

# Every kind of 0.22 row, each enum member at least once, empty optional values, both formats of
# the dates inside update diffs, a creation event as 0.22 wrote it, a content that is not JSON.
# fmt: off
ROWS = {
  "app_config": [{"id": 1, "uuid": UUID}],
  "scope": [
    {"id": 1, "name": "FRDC01", "description": "Paris **datacenter**"},
    {"id": 2, "name": "JADC01", "description": None},
    {"id": 4, "name": "USDC02", "description": ""},
  ],
  "service": [
    {"id": 1, "name": "Compute", "description": "Virtual machines"},
    {"id": 3, "name": "Object storage", "description": None},
  ],
  "monitor": [
    {
      "id": 1, "name": "Hypervisors", "description": "All hypervisors", "external_link": "https://dd.example/monitors/42",
      "status": "OK", "scope_id": 1, "service_id": 1, "external_reference": "42", "integration": "datadog",
    },
    {
      "id": 2, "name": "Buckets", "description": None, "external_link": None,
      "status": "WARNING", "scope_id": 2, "service_id": 3, "external_reference": None, "integration": None,
    },
    {
      "id": 5, "name": "Gateways", "description": "", "external_link": None,
      "status": "ALERT", "scope_id": 4, "service_id": 1, "external_reference": "gw.example.org", "integration": "dns",
    },
  ],
  "incident": [
    {
      "id": 1, "name": "Timeouts on VM backups", "description": "Backups *time out*",
      "external_reference": "INC000123", "status": "STABLE", "severity": "CRITICAL", "scope_id": 1, "service_id": 1,
      "creation_date": d("2022-06-17 19:55"), "start_impact_date": d("2022-06-17 17:00"), "resolve_date": None,
      "investigation_date": d("2022-06-17 17:30"), "stable_date": d("2022-06-17 19:00"),
      "external_link": "https://tickets.example/INC000123",
    },
    {
      "id": 2, "name": "Slow object reads", "description": None, "external_reference": None,
      "status": "RESOLVED", "severity": "HIGH", "scope_id": 2, "service_id": 3,
      "creation_date": d("2023-01-10 08:00"), "start_impact_date": None, "resolve_date": d("2023-01-10 12:15"),
      "investigation_date": None, "stable_date": None, "external_link": None,
    },
    {
      "id": 3, "name": "Packet loss", "description": "", "external_reference": "INC000790",
      "status": "ACTIVE", "severity": "MODERATE", "scope_id": 4, "service_id": 1,
      "creation_date": d("2023-03-26 01:30"), "start_impact_date": d("2023-03-26 01:15"), "resolve_date": None,
      "investigation_date": None, "stable_date": None, "external_link": None,
    },
    {
      "id": 4, "name": "Console errors", "description": "Some errors", "external_reference": None,
      "status": "INVESTIGATING", "severity": "LOW", "scope_id": 1, "service_id": 3,
      "creation_date": d("2023-02-01 10:00"), "start_impact_date": d("2023-02-01 09:45"), "resolve_date": None,
      "investigation_date": d("2023-02-01 10:05"), "stable_date": None, "external_link": None,
    },
    {
      "id": 6, "name": "Typo on the status page", "description": "Cosmetic", "external_reference": None,
      "status": "RESOLVED", "severity": "MINOR", "scope_id": 2, "service_id": 1,
      "creation_date": d("2023-02-02 10:00"), "start_impact_date": d("2023-02-02 10:00"),
      "resolve_date": d("2023-02-02 11:00"), "investigation_date": None, "stable_date": None, "external_link": None,
    },
  ],
  "incident_event": [
    {
      "id": 1, "creation_date": d("2022-06-17 19:55"), "incident_id": 1, "type": "CREATE", "internal": True,
      "content": '{"name": "Timeouts on VM backups", "description": "Backups *time out*", '
      '"external_reference": "INC000123", "external_link": null, "status": "active", "severity": "critical", '
      '"scope": 1, "service": 1, "creation_date": "2022-06-17T19:55", "start_impact_date": "2022-06-17T17:00", '
      '"investigation_date": null, "stable_date": null, "resolve_date": null}',
    },
    {
      "id": 2, "creation_date": d("2022-06-17 19:57"), "incident_id": 1, "type": "UPDATE", "internal": True,
      "content": '{"status": ["ACTIVE", "INVESTIGATING"], "investigation_date": [null, "17/06/2022 17:30"]}',
    },
    {
      # 0.22 dated its events to the microsecond (current_date(rounded=False)).
      "id": 3, "creation_date": d("2022-06-17 20:02").replace(second=7, microsecond=123456), "incident_id": 1,
      "type": "COMMENT", "internal": True,
      "content": "It happens in the middle of the backup",
    },
    {
      "id": 4, "creation_date": d("2022-06-17 20:03"), "incident_id": 1, "type": "COMMENT", "internal": False,
      "content": "A fix **mitigates** the timeouts",
    },
    {
      "id": 5, "creation_date": d("2022-06-17 20:04"), "incident_id": 1, "type": "UPDATE", "internal": True,
      "content": '{"status": ["INVESTIGATING", "STABLE"], "stable_date": [null, "2022-06-17T19:00"], '
      '"scope_id": [2, 1], "external_link": [null, "https://tickets.example/INC000123"]}',
    },
    {
      "id": 6, "creation_date": d("2023-01-10 12:16"), "incident_id": 2, "type": "UPDATE", "internal": True,
      "content": '{"severity": ["LOW", "HIGH"], "description": ["x", null]}',
    },
    {
      "id": 7, "creation_date": d("2023-01-10 12:17"), "incident_id": 2, "type": "UPDATE", "internal": False,
      "content": "not json",
    },
  ],
  "maintenance": [
    {
      "id": 1, "name": "Increase IP range", "description": "A new /24", "external_reference": "CHG000387",
      "status": "IN_PROGRESS", "scope_id": 1, "service_id": 1, "service_status": "UP",
      "creation_date": d("2022-06-17 20:12"), "scheduled_start_date": d("2022-06-20 03:00"),
      "scheduled_end_date": d("2022-06-20 05:00"), "start_date": d("2022-06-20 03:02"), "end_date": None,
      "external_link": "https://example.org/CHG000387",
    },
    {
      "id": 2, "name": "Deploy the region", "description": None, "external_reference": None,
      "status": "SUCCEED", "scope_id": 2, "service_id": 3, "service_status": "DOWN",
      "creation_date": d("2022-06-17 20:17"), "scheduled_start_date": d("2022-06-01 08:00"),
      "scheduled_end_date": d("2022-06-01 10:00"), "start_date": d("2022-06-01 08:12"),
      "end_date": d("2022-06-01 10:12"), "external_link": None,
    },
    {
      "id": 3, "name": "Optimize the pool", "description": "", "external_reference": None,
      "status": "SCHEDULED", "scope_id": 4, "service_id": 1, "service_status": "DEGRADED",
      "creation_date": d("2023-04-11 17:10"), "scheduled_start_date": d("2023-12-12 03:00"),
      "scheduled_end_date": d("2023-12-12 05:00"), "start_date": None, "end_date": None, "external_link": None,
    },
    {
      "id": 4, "name": "Firmware upgrade", "description": "Failed", "external_reference": None,
      "status": "FAILED", "scope_id": 1, "service_id": 3, "service_status": "DEGRADED",
      "creation_date": d("2023-01-01 10:00"), "scheduled_start_date": d("2023-01-02 10:00"),
      "scheduled_end_date": d("2023-01-02 12:00"), "start_date": d("2023-01-02 10:00"),
      "end_date": d("2023-01-02 11:00"), "external_link": None,
    },
    {
      "id": 5, "name": "Network change", "description": "Canceled", "external_reference": None,
      "status": "CANCELED", "scope_id": 2, "service_id": 1, "service_status": "UP",
      "creation_date": d("2023-01-03 10:00"), "scheduled_start_date": d("2023-01-04 10:00"),
      "scheduled_end_date": d("2023-01-04 12:00"), "start_date": None, "end_date": d("2023-01-03 18:00"),
      "external_link": None,
    },
  ],
  "maintenance_event": [
    {
      "id": 1, "creation_date": d("2022-06-17 20:14"), "maintenance_id": 1, "type": "UPDATE", "internal": True,
      "content": '{"status": ["SCHEDULED", "IN_PROGRESS"], "start_date": [null, "20/06/2022 03:02"], '
      '"service_status": ["DOWN", "UP"]}',
    },
    {
      "id": 2, "creation_date": d("2022-06-17 20:15"), "maintenance_id": 1, "type": "COMMENT", "internal": False,
      "content": "The new range is **live**",
    },
    {
      "id": 3, "creation_date": d("2022-06-17 20:17"), "maintenance_id": 2, "type": "CREATE", "internal": True,
      "content": '{"name": "Deploy the region", "description": null, "external_reference": null, '
      '"external_link": null, "status": "scheduled", "scope": 2, "service": 3, "service_status": "down", '
      '"creation_date": "17/06/2022 20:17", "scheduled_start_date": "2022-06-01T08:00", '
      '"scheduled_end_date": "2022-06-01T10:00", "start_date": null, "end_date": null}',
    },
  ],
  "announcement": [
    {
      "id": 1, "name": "Storage backend migration", "description": "Expect *slowness*", "level": "MEDIUM",
      "scope_id": 2, "service_id": 3, "creation_date": d("2023-02-05 10:22"),
      "start_date": d("2023-02-06 08:00"), "end_date": d("2023-02-12 22:00"),
    },
    {
      "id": 2, "name": "End of Python 2.9", "description": "", "level": "HIGH",
      "scope_id": 1, "service_id": 1, "creation_date": d("2023-02-05 10:30"),
      "start_date": d("2023-02-06 00:00"), "end_date": d("2023-03-01 00:00"),
    },
    {
      "id": 3, "name": "New region", "description": "JADC01 opens", "level": "LOW",
      "scope_id": 2, "service_id": 1, "creation_date": d("2023-02-05 10:40"),
      "start_date": d("2023-06-01 00:00"), "end_date": d("2023-06-30 00:00"),
    },
  ],
  "subscriber": [{"id": 1, "email": "ops@example.org"}, {"id": 3, "email": "cto@example.com"}],
}
# fmt: on
# Parents first, as 0.22's foreign keys need.
ORDER = (
  "app_config",
  "scope",
  "service",
  "monitor",
  "incident",
  "incident_event",
  "maintenance",
  "maintenance_event",
  "announcement",
  "subscriber",
)


def stored(value, dialect: str):
  """A value as 0.22's SQLAlchemy stored it on ``dialect``."""
  if isinstance(value, dt.datetime) and dialect == "sqlite":
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")
  if isinstance(value, bool) and dialect == "sqlite":
    return int(value)
  return value


def build(database_uri: str, rows: dict | None = None, revision: str = HEAD) -> None:
  """Create 0.22's schema in the empty database ``database_uri`` and fill it with ``rows``."""
  rows = ROWS if rows is None else rows
  engine = create_engine(database_uri.replace("postgresql://", "postgresql+psycopg2://", 1))
  dialect = engine.dialect.name
  column = 0 if dialect == "sqlite" else 1
  try:
    with engine.begin() as connection:
      if dialect == "postgresql":
        for name, members in ENUMS.items():
          connection.execute(text(f"CREATE TYPE {name} AS ENUM ({', '.join(repr(m) for m in members)})"))
      for statement in TABLES:
        connection.execute(text(statement.format(**{key: pair[column] for key, pair in TYPES.items()})))
      connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
      for kind in ORDER:
        for row in rows.get(kind, ()):
          columns = ", ".join(row)
          values = ", ".join(f":{key}" for key in row)
          connection.execute(
            text(f"INSERT INTO {kind} ({columns}) VALUES ({values})"),
            {key: stored(value, dialect) for key, value in row.items()},
          )
      if dialect == "postgresql":
        for kind in ORDER:
          connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{kind}', 'id'), COALESCE(MAX(id), 1)) FROM {kind}")
          )
  finally:
    engine.dispose()
