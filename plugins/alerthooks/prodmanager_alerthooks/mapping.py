"""From an alert notification to the status each referenced monitor should have.

Alertmanager (webhook_config, version 4) and Grafana unified alerting send the same shape: a list of
alerts, each with a ``status`` (firing or resolved) and ``labels``. A notification carries every alert
of its group, so several alerts may name one monitor: the monitor takes the worst of them.
"""

from dataclasses import dataclass, field

from prodmanager_monitor.models import MonitorStatus

# Severity label values of a firing alert that make it a warning; any other value (critical, error,
# page) or no severity label makes it an alert: an unknown severity never hides a firing alert.
WARNING_SEVERITIES = frozenset({"warning", "warn", "info"})
SEVERITY_ORDER = list(MonitorStatus)


@dataclass
class Wanted:
  """The status each monitor reference should take, and the alerts that name no monitor."""

  statuses: dict[str, MonitorStatus] = field(default_factory=dict)
  unlabelled: int = 0


def alert_status(alert: dict, severity_label: str) -> MonitorStatus:
  """resolved → ok; firing → warning or alert by the severity label."""
  if alert["status"] == "resolved":
    return MonitorStatus.OK
  severity = str(alert.get("labels", {}).get(severity_label, "")).strip().lower()
  return MonitorStatus.WARNING if severity in WARNING_SEVERITIES else MonitorStatus.ALERT


def wanted_statuses(alerts: list[dict], monitor_label: str, severity_label: str) -> Wanted:
  wanted = Wanted()
  for alert in alerts:
    reference = str(alert.get("labels", {}).get(monitor_label, "")).strip()
    if not reference:
      wanted.unlabelled += 1
      continue
    status = alert_status(alert, severity_label)
    previous = wanted.statuses.get(reference)
    if previous is None or SEVERITY_ORDER.index(status) > SEVERITY_ORDER.index(previous):
      wanted.statuses[reference] = status
  return wanted
