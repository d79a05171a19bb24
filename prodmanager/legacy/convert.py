"""0.22's rows as ours: enums by name to our values, naive local times to UTC, event contents to
our diffs, and the report of what was converted, adjusted and left out.

The conversion reads nothing and writes nothing: :func:`read` gives it 0.22's rows and the callers
(:mod:`.upgrade`, :mod:`.importer`) write what it returns.
"""

import datetime as dt
import json
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..fields import format_datetime
from . import schema

# 0.22's enum member names and our values, per column.
INCIDENT_STATUS = {
  "ACTIVE": "active",
  "INVESTIGATING": "investigating",
  "STABLE": "stable",
  "RESOLVED": "resolved",
}
SEVERITY = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "moderate", "LOW": "low", "MINOR": "minor"}
MAINTENANCE_STATUS = {
  "SCHEDULED": "scheduled",
  "IN_PROGRESS": "in-progress",
  "SUCCEED": "succeed",
  "FAILED": "failed",
  "CANCELED": "canceled",
}
SERVICE_STATUS = {"UP": "up", "DEGRADED": "degraded", "DOWN": "down"}
MONITOR_STATUS = {"OK": "ok", "WARNING": "warning", "ALERT": "alert"}
LEVEL = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}
EVENT_TYPE = {"CREATE": "create", "UPDATE": "update", "COMMENT": "comment"}

# The enum fields of each timeline's diffs (0.22 wrote names in updates and values in creations).
DIFF_ENUMS = {
  "incident": {"status": INCIDENT_STATUS, "severity": SEVERITY},
  "maintenance": {"status": MAINTENANCE_STATUS, "service_status": SERVICE_STATUS},
}
# 0.22's update diffs name model attributes; ours name the API's fields.
DIFF_KEYS = {"scope_id": "scope", "service_id": "service"}
# The formats of the dates inside 0.22's diffs: the API's, the pages' (0.22 encoded the dates of a
# change with the format of the request that made it), and their variants with seconds or hours only.
DIFF_DATE_FORMATS = (
  "%Y-%m-%dT%H:%M",
  "%d/%m/%Y %H:%M",
  "%Y-%m-%dT%H:%M:%S",
  "%Y-%m-%d %H:%M:%S",
  "%d/%m/%Y %H",
)

# Column widths here, which 0.22 did not bound.
LIMITS = {
  "name": 255,
  "external_reference": 255,
  "integration": 255,
  "external_link": 2048,
  "email": 320,
  "uuid": 64,
}

# The kinds of rows, in the order they are written (parents first), with their 0.22 tables.
KINDS = (
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
PARENTS = {
  "monitor": {"scope_id": "scope", "service_id": "service"},
  "incident": {"scope_id": "scope", "service_id": "service"},
  "maintenance": {"scope_id": "scope", "service_id": "service"},
  "announcement": {"scope_id": "scope", "service_id": "service"},
  "incident_event": {"parent_id": "incident"},
  "maintenance_event": {"parent_id": "maintenance"},
}


class Unconvertible(ValueError):
  """A 0.22 row that has no equivalent here (the message says why)."""


@dataclass
class Report:
  """What an upgrade or an import did, kind by kind, and why a row was left out or adjusted."""

  source: str = ""
  backup: Path | None = None  # the SQLite backup copy of an in-place upgrade
  counts: dict = field(default_factory=lambda: defaultdict(Counter))
  skipped: list = field(default_factory=list)  # (kind, old id, reason)
  notes: list = field(default_factory=list)  # (kind, old id, what was adjusted)

  def count(self, kind: str, outcome: str, number: int = 1) -> None:
    self.counts[kind][outcome] += number

  def skip(self, kind: str, ident, reason: str) -> None:
    self.skipped.append((kind, ident, reason))
    self.count(kind, "skipped")

  def note(self, kind: str, ident, what: str) -> None:
    self.notes.append((kind, ident, what))

  def total(self, outcome: str) -> int:
    return sum(counter[outcome] for counter in self.counts.values())

  def lines(self) -> list[str]:
    lines = [f"Source: {self.source}"] if self.source else []
    if self.backup is not None:
      lines.append(f"Backup copy of the 0.22 file: {self.backup}")
    for kind in KINDS:
      counter = self.counts.get(kind)
      if not counter:
        continue
      parts = [f"{number} {outcome}" for outcome, number in sorted(counter.items()) if number]
      lines.append(f"  {kind}: {', '.join(parts)}")
    if self.skipped:
      lines.append("Skipped:")
      lines += [f"  {kind} {ident}: {reason}" for kind, ident, reason in self.skipped]
    if self.notes:
      lines.append("Adjusted:")
      lines += [f"  {kind} {ident}: {what}" for kind, ident, what in self.notes]
    return lines

  def __str__(self) -> str:
    return "\n".join(self.lines())


def read(connection) -> dict[str, list[dict]]:
  """Every row of a 0.22 database, by kind, ordered by id; checks first that its tables have the
  columns of 0.22's schema (:mod:`.schema`)."""
  inspector = sa.inspect(connection)
  names = set(inspector.get_table_names())
  rows = {}
  for kind in KINDS:
    table = schema.metadata.tables[kind]
    if kind not in names:
      raise Unconvertible(f"the table {kind!r} of 0.22's schema is missing")
    present = {column["name"] for column in inspector.get_columns(kind)}
    missing = sorted(column.name for column in table.columns if column.name not in present)
    if missing:
      raise Unconvertible(f"the table {kind!r} lacks the columns {', '.join(missing)} of 0.22's schema")
    rows[kind] = [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(table.c.id))]
  return rows


class Converter:
  """Converts 0.22 rows; ``timezone`` is the zone 0.22's server ran in (its dates are naive local times)."""

  def __init__(self, timezone: str = "UTC", report: Report | None = None):
    self.zone = zoneinfo.ZoneInfo(timezone)
    self.report = report if report is not None else Report()

  # -- values ----------------------------------------------------------------------------------

  def date(self, value: dt.datetime | None) -> dt.datetime | None:
    """A naive local time of 0.22 as an aware UTC time (an ambiguous time of a DST change is read
    as its first occurrence)."""
    if value is None:
      return None
    if value.tzinfo is None:
      value = value.replace(tzinfo=self.zone)
    return value.astimezone(dt.UTC)

  @staticmethod
  def enum(mapping: dict, value, column: str) -> str:
    if value in mapping:
      return mapping[value]
    if value in mapping.values():
      return value
    raise Unconvertible(f"{column} {value!r} is not one of 0.22's values ({', '.join(mapping)})")

  @staticmethod
  def bounded(row: dict, column: str, value):
    if value is not None and len(value) > LIMITS[column]:
      raise Unconvertible(f"{column} is {len(value)} characters long, at most {LIMITS[column]} here")
    return value

  def text_fields(self, row: dict, *columns: str) -> dict:
    return {column: self.bounded(row, column, row[column]) for column in columns}

  # -- rows ------------------------------------------------------------------------------------

  def convert(self, kind: str, row: dict) -> dict:
    """Our row (column: value) for one 0.22 row of ``kind``; raises :class:`Unconvertible`."""
    return getattr(self, kind)(row)

  def app_config(self, row):
    return {"id": row["id"], **self.text_fields(row, "uuid")}

  def group(self, row):
    return {"id": row["id"], **self.text_fields(row, "name"), "description": row["description"] or ""}

  scope = service = group

  def monitor(self, row):
    return {
      "id": row["id"],
      **self.text_fields(row, "name", "integration", "external_reference", "external_link"),
      "description": row["description"] or "",
      "status": self.enum(MONITOR_STATUS, row["status"], "status"),
      "scope_id": row["scope_id"],
      "service_id": row["service_id"],
    }

  def incident(self, row):
    start = row["start_impact_date"]
    if start is None:
      # Here every incident has a start of impact (it defaults to its creation).
      start = row["creation_date"]
      self.report.note("incident", row["id"], "no start of impact in 0.22: its creation date is used")
    return {
      "id": row["id"],
      **self.text_fields(row, "name", "external_reference", "external_link"),
      "description": row["description"] or "",
      "severity": self.enum(SEVERITY, row["severity"], "severity"),
      "status": self.enum(INCIDENT_STATUS, row["status"], "status"),
      "scope_id": row["scope_id"],
      "service_id": row["service_id"],
      "creation_date": self.date(row["creation_date"]),
      "start_impact_date": self.date(start),
      "investigation_date": self.date(row["investigation_date"]),
      "stable_date": self.date(row["stable_date"]),
      "resolve_date": self.date(row["resolve_date"]),
    }

  def maintenance(self, row):
    return {
      "id": row["id"],
      **self.text_fields(row, "name", "external_reference", "external_link"),
      "description": row["description"] or "",
      "status": self.enum(MAINTENANCE_STATUS, row["status"], "status"),
      "service_status": self.enum(SERVICE_STATUS, row["service_status"], "service_status"),
      "scope_id": row["scope_id"],
      "service_id": row["service_id"],
      "creation_date": self.date(row["creation_date"]),
      "scheduled_start_date": self.date(row["scheduled_start_date"]),
      "scheduled_end_date": self.date(row["scheduled_end_date"]),
      "start_date": self.date(row["start_date"]),
      "end_date": self.date(row["end_date"]),
    }

  def announcement(self, row):
    return {
      "id": row["id"],
      **self.text_fields(row, "name"),
      "description": row["description"] or "",
      "level": self.enum(LEVEL, row["level"], "level"),
      "scope_id": row["scope_id"],
      "service_id": row["service_id"],
      "creation_date": self.date(row["creation_date"]),
      "start_date": self.date(row["start_date"]),
      "end_date": self.date(row["end_date"]),
    }

  def subscriber(self, row):
    # 0.22 had no opt-in: subscribing was the confirmation.
    return {"id": row["id"], **self.text_fields(row, "email"), "confirmed": True}

  def event(self, kind: str, parent: str, row: dict) -> dict:
    event_type = self.enum(EVENT_TYPE, row["type"], "type")
    content, status = self.event_content(kind, parent, row["id"], event_type, row["content"] or "")
    old_status, new_status = status or (None, None)
    return {
      "id": row["id"],
      "parent_id": row[f"{parent}_id"],
      "creation_date": self.date(row["creation_date"]),
      "type": event_type,
      "content": content,
      "internal": bool(row["internal"]),
      "author": None,  # 0.22 did not record who wrote an event
      "old_status": old_status,
      "new_status": new_status,
    }

  def incident_event(self, row):
    return self.event("incident_event", "incident", row)

  def maintenance_event(self, row):
    return self.event("maintenance_event", "maintenance", row)

  # -- event contents --------------------------------------------------------------------------

  def diff_value(self, parent: str, key: str, value):
    mapping = DIFF_ENUMS[parent].get(key)
    if mapping is not None and isinstance(value, str):
      return mapping.get(value, value)
    if key.endswith("_date") and isinstance(value, str):
      for pattern in DIFF_DATE_FORMATS:
        try:
          parsed = dt.datetime.strptime(value, pattern)
        except ValueError:
          continue
        return format_datetime(self.date(parsed))
    return value

  def event_content(self, kind: str, parent: str, ident, event_type: str, content: str):
    """Our content for an event as 0.22 wrote it, and its ``(old, new)`` status change or None.

    0.22 wrote a creation as the object (``{"status": "active", ...}``, enums by value) and an
    update as ``{attribute: [old, new]}`` (enums by name, dates in the format of the request);
    both become our diff ``{field: [old, new]}``, and comments stay as written."""
    if event_type == "comment":
      return content, None
    try:
      data = json.loads(content)
    except ValueError:
      data = None
    if not isinstance(data, dict):
      self.report.note(kind, ident, f"{event_type} event content is not 0.22's JSON: kept as written")
      return content, None
    diff = {}
    for key, value in data.items():
      name = DIFF_KEYS.get(key, key)
      if event_type == "create":
        if value in (None, ""):
          continue  # our creations list the fields given a value
        diff[name] = [None, self.diff_value(parent, name, value)]
      elif isinstance(value, list) and len(value) == 2:
        diff[name] = [self.diff_value(parent, name, value[0]), self.diff_value(parent, name, value[1])]
      else:
        diff[name] = value
    status = diff.get("status")
    change = None
    if isinstance(status, list) and len(status) == 2 and isinstance(status[1], str):
      change = (status[0] if isinstance(status[0], str) else None, status[1])
    return json.dumps(diff, sort_keys=True, ensure_ascii=False), change
