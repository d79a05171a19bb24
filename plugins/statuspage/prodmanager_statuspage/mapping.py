"""From ProdManager's vocabulary to Atlassian Statuspage's (docs/api.md#statuspage-compatible-json): pure functions, no I/O.

Components. A (scope, service) pair with monitors is a component; its status is read from the
levels the core's status contributors give the pair (``prodmanager.status.pair_levels``, see
:func:`levels_status`), the worst of:

* its monitors: all ok → ``operational``; a warning and no alert → ``degraded_performance``; some
  but not all monitors in alert → ``partial_outage``; every monitor in alert → ``major_outage``;
* its ongoing incidents (docs/user-guide.md#the-status-banner: a critical/high incident raises to alert, another one to
  warning): critical/high → ``major_outage``, moderate/low/minor → ``degraded_performance``;
* an in-progress maintenance shows ``under_maintenance``, only when nothing else is wrong: a
  maintenance never hides an outage or a degradation.

The order used for "worst" is operational < under_maintenance < degraded_performance <
partial_outage < major_outage. A component group (a scope) shows the worst of its components.

Incidents: active, investigating → ``investigating``; stable → ``monitoring``; resolved →
``resolved``. Impact: critical → ``critical``, high → ``major``, moderate/low → ``minor``, minor →
``none``. Maintenances: scheduled → ``scheduled``, in-progress → ``in_progress``, succeed/failed →
``completed``; canceled ones are left out of every endpoint.

Page status indicator (none < minor < major < critical): the worst of the ongoing incidents'
impacts and of the indicator the components give — some component in ``major_outage`` → ``major``;
some component in ``partial_outage`` or ``degraded_performance`` → ``minor``; else ``none``. Only
a critical incident makes the page ``critical``. Under maintenance only, the indicator stays
``none`` and the description says "Service Under Maintenance". The description is Statuspage's
wording for the indicator (none "All Systems Operational", minor "Minor Service Outage", major
"Partial System Outage", critical "Major System Outage").
"""

import datetime as dt
import functools

from prodmanager.status import UNDER_WORK, Level
from prodmanager_incident.models import ALERTING

OPERATIONAL = "operational"
UNDER_MAINTENANCE = "under_maintenance"
DEGRADED = "degraded_performance"
PARTIAL_OUTAGE = "partial_outage"
MAJOR_OUTAGE = "major_outage"
COMPONENT_STATUSES = (OPERATIONAL, UNDER_MAINTENANCE, DEGRADED, PARTIAL_OUTAGE, MAJOR_OUTAGE)
COMPONENT_RANK = {status: rank for rank, status in enumerate(COMPONENT_STATUSES)}

INDICATORS = ("none", "minor", "major", "critical")
INDICATOR_RANK = {indicator: rank for rank, indicator in enumerate(INDICATORS)}
DESCRIPTIONS = {
  "none": "All Systems Operational",
  "minor": "Minor Service Outage",
  "major": "Partial System Outage",
  "critical": "Major System Outage",
}
UNDER_MAINTENANCE_DESCRIPTION = "Service Under Maintenance"

INCIDENT_STATUS = {
  "active": "investigating",
  "investigating": "investigating",
  "stable": "monitoring",
  "resolved": "resolved",
}
INCIDENT_IMPACT = {
  "critical": "critical",
  "high": "major",
  "moderate": "minor",
  "low": "minor",
  "minor": "none",
}
# The incident plugin's own list: the severities that raise the overall status to alert.
ALERTING_SEVERITIES = frozenset(severity.value for severity in ALERTING)
MAINTENANCE_STATUS = {
  "scheduled": "scheduled",
  "in-progress": "in_progress",
  "succeed": "completed",
  "failed": "completed",
  "canceled": None,  # left out
}


def worst(statuses) -> str:
  """The worst of component statuses (operational when there is none)."""
  return max(statuses, key=COMPONENT_RANK.__getitem__, default=OPERATIONAL)


def level_status(level: Level) -> str:
  """The component status one contributor's level gives: ``alert`` on part of the pair is a partial
  outage, on all of it a major one; ``warning`` degrades; ``ok`` and maintenance leave it operational."""
  if level.level == "alert":
    return PARTIAL_OUTAGE if level.partial else MAJOR_OUTAGE
  return DEGRADED if level.level == "warning" else OPERATIONAL


def levels_status(levels) -> str:
  """A pair's component status from its levels: the worst of them, ``under_maintenance`` only when
  nothing is worse than operational."""
  return _levels_status(frozenset(levels))


# A summary asks for 1,000 pairs' statuses, most of them the same few sets of levels.
@functools.lru_cache(maxsize=1024)
def _levels_status(levels: frozenset) -> str:
  status = worst(level_status(level) for level in levels)
  if status == OPERATIONAL and any(level.level == UNDER_WORK for level in levels):
    return UNDER_MAINTENANCE
  return status


def incident_impacts(levels) -> list[str]:
  """The impacts of the ongoing incidents among levels (an incident level's detail is its severity)."""
  return [INCIDENT_IMPACT[level.detail] for level in levels if level.detail in INCIDENT_IMPACT]


def counted_levels(counts: dict[str, int]) -> set[Level]:
  """The levels of monitor counts ``{"ok": n, "warning": n, "alert": n}``, as the monitor plugin's
  contributor gives them (``partial`` when only some monitors have the status)."""
  total = sum(counts.values())
  return {Level(status, partial=count < total) for status, count in counts.items() if count}


def monitors_status(counts: dict[str, int]) -> str:
  """The component status that monitor counts give."""
  return levels_status(counted_levels(counts))


def incident_component_status(severity: str) -> str:
  """How an ongoing incident of this severity shows on its component (docs/user-guide.md#the-status-banner)."""
  return MAJOR_OUTAGE if severity in ALERTING_SEVERITIES else DEGRADED


def component_status(counts: dict[str, int], incident_severities=(), in_maintenance: bool = False) -> str:
  """A pair's component status from its monitor counts, ongoing incident severities and maintenance."""
  levels = counted_levels(counts)
  levels |= {
    Level("alert" if severity in ALERTING_SEVERITIES else "warning", detail=severity)
    for severity in incident_severities
  }
  if in_maintenance:
    levels.add(Level(UNDER_WORK))
  return levels_status(levels)


def components_indicator(statuses: list[str]) -> str:
  if MAJOR_OUTAGE in statuses:
    return "major"
  if PARTIAL_OUTAGE in statuses or DEGRADED in statuses:
    return "minor"
  return "none"


def page_status(component_statuses: list[str], incident_impacts: list[str]) -> dict:
  """``{"indicator", "description"}`` of the page (see the module docstring)."""
  indicator = max(
    [components_indicator(component_statuses), *incident_impacts], key=INDICATOR_RANK.__getitem__
  )
  description = DESCRIPTIONS[indicator]
  if indicator == "none" and UNDER_MAINTENANCE in component_statuses:
    description = UNDER_MAINTENANCE_DESCRIPTION
  return {"indicator": indicator, "description": description}


def iso(value: dt.datetime | None) -> str | None:
  """Statuspage's date format: ISO 8601 in UTC with milliseconds, ``2024-01-01T10:00:00.000Z``."""
  if value is None:
    return None
  # isoformat rather than strftime: a summary formats two dates per component, and strftime costs
  # ten times more (a fifth of the render of 1,000 components, profiled).
  return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
