"""The integration runs in ``/metrics``, read from their records at each scrape.

The runs happen in the worker (another process, or another replica): counters of this process
would miss them. The records (kept ``PM_INTEGRATION_RUN_RETENTION_DAYS`` days) are the source every
replica reads, in two grouped queries per scrape.
"""

import logging

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .runs import IntegrationRun, last_run_by_integration
from .state import app_state

log = logging.getLogger(__name__)


class IntegrationRunCollector:
  """Prometheus collector of the recorded integration runs."""

  def __init__(self, registry):
    self.registry = registry

  def describe(self):
    # Described without reading the database (prometheus_client calls this when registering).
    return []

  def collect(self):
    runs = GaugeMetricFamily(
      "prodmanager_integration_runs",
      "Integration runs recorded in the retention window, by integration and outcome",
      labels=["integration", "outcome"],
    )
    started = GaugeMetricFamily(
      "prodmanager_integration_last_run_start_timestamp_seconds",
      "Start of the last run of each integration (Unix time)",
      labels=["integration"],
    )
    duration = GaugeMetricFamily(
      "prodmanager_integration_last_run_duration_seconds",
      "Duration of the last completed run of each integration",
      labels=["integration"],
    )
    monitors = GaugeMetricFamily(
      "prodmanager_integration_last_run_monitors",
      "Monitors of the last run of each integration: seen, changed, failed, skipped",
      labels=["integration", "result"],
    )
    session = app_state(self.registry).db_session_factory()
    try:
      counts = session.execute(
        select(IntegrationRun.integration, IntegrationRun.outcome, func.count()).group_by(
          IntegrationRun.integration, IntegrationRun.outcome
        )
      ).all()
      last = last_run_by_integration(session)
    except SQLAlchemyError as error:
      log.warning("/metrics: integration runs unreadable: %s", error)
      return
    finally:
      session.close()
    for integration, outcome, count in counts:
      runs.add_metric([integration, outcome], count)
    for name, run in sorted(last.items()):
      started.add_metric([name], run.started_at.timestamp())
      if run.seconds is not None:
        duration.add_metric([name], run.seconds)
      for result in ("seen", "changed", "failed", "skipped"):
        monitors.add_metric([name, result], getattr(run, result))
    yield from (runs, started, duration, monitors)
