"""Availability: daily roll-ups of the monitors' status history (seconds per status per UTC day,
maintenance windows left out), the uptime percentages and 90-day bars they give monitors, scopes,
services and the dashboard's components (docs/availability.md)."""

plugin_info = {
  "id": "availability",
  "requires": ["monitor", "maintenance"],
  "migrations": "prodmanager_availability:migrations",
}


def includeme(config):
  from sqlalchemy import event

  from prodmanager.state import app_state

  from . import demo, job, tracking, views
  from .models import AvailabilityDay

  config.add_translations("prodmanager_availability:translations")
  # The colour of a day of the bars (a day without data stays grey).
  config.add_badge_tones("day", {"ok": "green", "warning": "orange", "alert": "red", "maintenance": "blue"})
  # The roll-ups follow the history in the transaction that changes it, whatever made the change
  # (web, API, integrations, commands): hooks on every session of the application.
  factory = app_state(config.registry).db_session_factory
  event.listen(factory, "after_flush", tracking.after_flush)
  event.listen(factory, "before_commit", tracking.before_commit)
  event.listen(factory, "after_rollback", tracking.after_rollback)
  views.includeme(config)
  config.add_job(
    "availability-rollups",
    job.refresh,
    every=job.INTERVAL_SECONDS,
    description="extend the monitors' daily availability roll-ups up to now",
  )
  config.add_demo_data(demo.load, model=AvailabilityDay, label="availability days", order=60)
