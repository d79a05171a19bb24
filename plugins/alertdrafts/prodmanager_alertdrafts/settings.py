"""The settings of draft incidents: which monitors open drafts, and the severity they suggest."""

import re
from dataclasses import dataclass

from prodmanager_incident.models import IncidentSeverity

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
OFF = frozenset(("", "off", "none", "false", "no", "0"))
ALL = frozenset(("all", "*"))


@dataclass(frozen=True)
class DraftSources:
  """Whose alerts open drafts: every monitor's (``everything``), or those of the monitors whose
  ``integration`` is one of ``names`` or ``<name>_<suffix>`` (0.22's rule: ``datadog`` also covers
  ``datadog_eu``)."""

  everything: bool = False
  names: frozenset[str] = frozenset()

  @property
  def enabled(self) -> bool:
    return self.everything or bool(self.names)

  def covers(self, integration: str | None) -> bool:
    if self.everything:
      return True
    if not integration:
      return False
    value = integration.lower()
    return any(value == name or value.startswith(f"{name}_") for name in self.names)

  def __str__(self) -> str:
    if self.everything:
      return "all"
    return ",".join(sorted(self.names)) or "off"


def parse_sources(text: str) -> DraftSources:
  raw = text.strip().lower()
  if raw in OFF:
    return DraftSources()
  if raw in ALL:
    return DraftSources(everything=True)
  names = [part for part in re.split(r"[\s,]+", raw) if part]
  bad = [name for name in names if not NAME.match(name)]
  if bad:
    raise ValueError(
      "expected off, all, or integration names separated by commas (datadog,jenkins,alertmanager); "
      f"not a name: {', '.join(bad)}"
    )
  return DraftSources(names=frozenset(names))


def parse_severity(text: str) -> IncidentSeverity:
  try:
    return IncidentSeverity(text.strip().lower())
  except ValueError:
    raise ValueError(f"expected one of {', '.join(member.value for member in IncidentSeverity)}") from None


def declare(config) -> None:
  config.add_setting(
    "prodmanager.alertdrafts.sources",
    env="PM_ALERT_DRAFTS",
    type=parse_sources,
    default="off",
    description="monitors whose alert opens a draft incident: off, all, or integration names (datadog,jenkins)",
  )
  config.add_setting(
    "prodmanager.alertdrafts.severity",
    env="PM_ALERT_DRAFTS_SEVERITY",
    type=parse_severity,
    default="high",
    description="severity suggested by a draft incident (the operator may change it when publishing)",
  )
