"""The outbox in ``/metrics``: deliveries by status, the age of the oldest waiting one, and the
latency (commit of the change to the send) of the deliveries sent in the last hour.

They are read from the database when Prometheus scrapes (indexed counts), so every web replica
reports the same figures whichever process delivered.
"""

import datetime as dt
import logging

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from prodmanager.db import utcnow
from prodmanager.state import app_state

from .models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)
LATENCY_BUCKETS = (1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
LATENCY_WINDOW = dt.timedelta(hours=1)
LATENCY_ROWS = 10_000


def aware(value: dt.datetime | None) -> dt.datetime | None:
  # Aggregates bypass the column type on SQLite: naive UTC.
  if value is not None and value.tzinfo is None:
    return value.replace(tzinfo=dt.UTC)
  return value


class OutboxCollector:
  def __init__(self, registry):
    self.registry = registry

  def families(self):
    return (
      GaugeMetricFamily(
        "prodmanager_notification_deliveries",
        "Notification deliveries in the outbox, by status (pending, sent, failed, cancelled)",
        labels=["status"],
      ),
      GaugeMetricFamily(
        "prodmanager_notification_oldest_pending_seconds",
        "Age of the oldest notification delivery still to do (0 when none)",
      ),
    )

  def describe(self):
    # Registering must not query the database (it may not be migrated yet).
    deliveries, oldest = self.families()
    latency = HistogramMetricFamily(
      "prodmanager_notification_delivery_latency_seconds",
      "From the change to its notification's send, for the deliveries sent in the last hour",
    )
    return [deliveries, oldest, latency]

  def collect(self):
    deliveries, oldest = self.families()
    session = app_state(self.registry).db_session_factory()
    try:
      now = utcnow()
      found = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
      first = aware(
        session.scalar(select(func.min(Delivery.created_at)).where(Delivery.status == DeliveryStatus.PENDING))
      )
      rows = session.execute(
        select(Delivery.created_at, Delivery.sent_at)
        .where(Delivery.status == DeliveryStatus.SENT, Delivery.sent_at >= now - LATENCY_WINDOW)
        .limit(LATENCY_ROWS)
      ).all()
    except SQLAlchemyError as error:
      log.warning("notification metrics unavailable: %s", error)
      return
    finally:
      session.close()
    for status in DeliveryStatus:
      deliveries.add_metric([status.value], found.get(status, 0))
    oldest.add_metric([], max(0.0, (now - first).total_seconds()) if first else 0.0)
    latencies = [max(0.0, (aware(sent) - aware(created)).total_seconds()) for created, sent in rows]
    buckets = [(str(bound), sum(1 for value in latencies if value <= bound)) for bound in LATENCY_BUCKETS]
    buckets.append(("+Inf", len(latencies)))
    latency = HistogramMetricFamily(
      "prodmanager_notification_delivery_latency_seconds",
      "From the change to its notification's send, for the deliveries sent in the last hour",
      buckets=buckets,
      sum_value=sum(latencies),
    )
    yield deliveries
    yield oldest
    yield latency


def includeme(config):
  app_state(config.registry).metrics.registry.register(OutboxCollector(config.registry))
