"""The mapping of docs/api.md#statuspage-compatible-json from ProdManager's statuses to Statuspage's, table by table: first the
pure functions, then the same tables through the endpoints (on both database backends)."""

import datetime as dt

import pytest

from prodmanager_statuspage.mapping import (
  INCIDENT_IMPACT,
  INCIDENT_STATUS,
  MAINTENANCE_STATUS,
  component_status,
  iso,
  monitors_status,
  page_status,
)
from prodmanager_statuspage.testing import at

# (monitor statuses of one pair, ongoing incident severities on it, maintenance in progress) → status
COMPONENT_TABLE = [
  (["ok"], [], False, "operational"),
  (["ok", "ok", "ok"], [], False, "operational"),
  (["warning"], [], False, "degraded_performance"),
  (["ok", "warning"], [], False, "degraded_performance"),
  (["alert"], [], False, "major_outage"),
  (["alert", "alert"], [], False, "major_outage"),
  (["ok", "alert"], [], False, "partial_outage"),  # only some monitors alert
  (["warning", "alert"], [], False, "partial_outage"),
  (["ok", "warning", "alert", "alert"], [], False, "partial_outage"),
  (["ok"], [], True, "under_maintenance"),
  (["warning"], [], True, "degraded_performance"),  # a maintenance never hides a degradation...
  (["ok", "alert"], [], True, "partial_outage"),  # ...nor an outage
  (["alert"], [], True, "major_outage"),
  # docs/user-guide.md#the-status-banner: a critical or high incident raises to alert
  (["ok"], ["critical"], False, "major_outage"),
  (["ok"], ["high"], False, "major_outage"),
  (["ok"], ["moderate"], False, "degraded_performance"),  # another incident raises to warning
  (["ok"], ["low"], False, "degraded_performance"),
  (["ok"], ["minor"], False, "degraded_performance"),
  (["ok", "alert"], ["low"], False, "partial_outage"),  # raised, never lowered
  (["ok"], ["minor"], True, "degraded_performance"),  # the incident wins over the maintenance
]


def counts_of(statuses: list[str]) -> dict[str, int]:
  return {status: statuses.count(status) for status in ("ok", "warning", "alert")}


@pytest.mark.parametrize(("monitors", "severities", "maintenance", "expected"), COMPONENT_TABLE)
def test_component_status_table(monitors, severities, maintenance, expected):
  assert component_status(counts_of(monitors), severities, maintenance) == expected


def test_monitors_alone():
  assert monitors_status({"ok": 0, "warning": 0, "alert": 0}) == "operational"
  assert monitors_status({"ok": 3, "warning": 0, "alert": 1}) == "partial_outage"
  assert monitors_status({"ok": 0, "warning": 2, "alert": 2}) == "partial_outage"
  assert monitors_status({"ok": 0, "warning": 0, "alert": 2}) == "major_outage"


def test_incident_status_and_impact_tables():
  assert INCIDENT_STATUS == {
    "active": "investigating",
    "investigating": "investigating",
    "stable": "monitoring",
    "resolved": "resolved",
  }
  assert INCIDENT_IMPACT == {
    "critical": "critical",
    "high": "major",
    "moderate": "minor",
    "low": "minor",
    "minor": "none",
  }


def test_maintenance_status_table():
  assert MAINTENANCE_STATUS == {
    "scheduled": "scheduled",
    "in-progress": "in_progress",
    "succeed": "completed",
    "failed": "completed",
    "canceled": None,  # left out
  }


PAGE_TABLE = [
  ([], [], "none", "All Systems Operational"),
  (["operational", "operational"], [], "none", "All Systems Operational"),
  (["operational", "under_maintenance"], [], "none", "Service Under Maintenance"),
  (["operational", "degraded_performance"], [], "minor", "Minor Service Outage"),
  (["operational", "partial_outage"], [], "minor", "Minor Service Outage"),
  (["operational", "major_outage"], [], "major", "Partial System Outage"),
  (["major_outage", "major_outage"], [], "major", "Partial System Outage"),
  (["operational"], ["none"], "none", "All Systems Operational"),
  (["operational"], ["minor"], "minor", "Minor Service Outage"),
  (["operational"], ["major"], "major", "Partial System Outage"),
  (["operational"], ["critical"], "critical", "Major System Outage"),
  (["major_outage"], ["minor"], "major", "Partial System Outage"),  # the worst of both
  (["degraded_performance"], ["critical", "minor"], "critical", "Major System Outage"),
  (["under_maintenance"], ["minor"], "minor", "Minor Service Outage"),
]


@pytest.mark.parametrize(("components", "impacts", "indicator", "description"), PAGE_TABLE)
def test_page_indicator_table(components, impacts, indicator, description):
  assert page_status(components, impacts) == {"indicator": indicator, "description": description}


def test_dates_are_utc_with_milliseconds():
  paris = dt.timezone(dt.timedelta(hours=2))
  assert iso(dt.datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=paris)) == "2024-01-01T10:00:00.123Z"
  assert iso(dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC)) == "2024-01-01T10:00:00.000Z"
  assert iso(None) is None


# -- the same tables through the endpoints ---------------------------------------------------------------


@pytest.mark.parametrize(("monitors", "severities", "maintenance", "expected"), COMPONENT_TABLE)
def test_component_status_through_the_api(world, v2, monitors, severities, maintenance, expected):
  for status in monitors:
    world.monitor(status=status, since=at())
  world.monitor(status="ok", scope=world.lyon, since=at())  # another pair, untouched
  for severity in severities:
    world.incident(severity=severity, status="investigating", created=True)
  # Past: no effect.
  world.incident(severity="critical", status="resolved", scope=world.lyon, created=True)
  if maintenance:
    world.maintenance(status="in-progress", start=at(days=-1), hours=48, created=True)
  # Not started: no effect.
  world.maintenance(status="scheduled", start=at(days=1), scope=world.lyon, created=True)
  components = {item["id"]: item for item in v2("components.json")["components"]}
  paris, lyon = world.paris.id, world.lyon.id
  compute = world.compute.id
  assert components[f"scope-{paris}-service-{compute}"]["status"] == expected
  assert components[f"scope-{lyon}-service-{compute}"]["status"] == "operational"
  assert components[f"scope-{paris}"]["status"] == expected  # the group shows its worst component


@pytest.mark.parametrize(
  ("status", "severity", "shown", "impact"),
  [
    ("active", "critical", "investigating", "critical"),
    ("investigating", "high", "investigating", "major"),
    ("stable", "moderate", "monitoring", "minor"),
    ("resolved", "low", "resolved", "minor"),
    ("active", "minor", "investigating", "none"),
  ],
)
def test_incident_mapping_through_the_api(world, v2, status, severity, shown, impact):
  world.monitor(since=at())
  row = world.incident(status=status, severity=severity, created=True)
  (incident,) = v2("incidents.json")["incidents"]
  assert incident["id"] == f"incident-{row.id}"
  assert (incident["status"], incident["impact"]) == (shown, impact)
  assert incident["incident_updates"][0]["status"] == shown


@pytest.mark.parametrize(
  ("status", "shown"),
  [
    ("scheduled", "scheduled"),
    ("in-progress", "in_progress"),
    ("succeed", "completed"),
    ("failed", "completed"),
  ],
)
def test_maintenance_mapping_through_the_api(world, v2, status, shown):
  row = world.maintenance(status=status, start=at(days=3650), created=True)
  (maintenance,) = v2("scheduled-maintenances.json")["scheduled_maintenances"]
  assert maintenance["id"] == f"maintenance-{row.id}"
  assert (maintenance["status"], maintenance["impact"]) == (shown, "maintenance")


def test_canceled_maintenances_are_left_out_everywhere(world, v2):
  world.monitor(since=at())
  future, ongoing = at(days=3650), at(days=-1)
  world.maintenance(name="Canceled soon", status="canceled", start=future, created=True)
  world.maintenance(name="Canceled now", status="canceled", start=ongoing, hours=10**5, created=True)
  kept = world.maintenance(name="Kept", status="scheduled", start=future, created=True)
  for path in ("summary.json", "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json"):
    assert [item["id"] for item in v2(path)["scheduled_maintenances"]] == [f"maintenance-{kept.id}"]
  assert v2("scheduled-maintenances/active.json")["scheduled_maintenances"] == []
