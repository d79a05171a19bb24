"""Notifications: e-mail subscriptions with double opt-in, webhooks and chat, delivered through a
transactional outbox by the worker (docs/notifications.md)."""

plugin_info = {
  "id": "notification",
  "requires": ["scope", "service", "incident"],
  "migrations": "prodmanager_notification:migrations",
}


def includeme(config):
  from sqlalchemy import event

  from prodmanager.state import app_state

  from . import admin, api, delivery, metrics, outbox, settings, views

  config.add_translations("prodmanager_notification:translations")
  settings.declare(config)
  registry = config.registry

  # The outbox is written just before the outermost commit of every session of the application:
  # requests, commands, jobs (outbox.write_pending).
  factory = app_state(registry).db_session_factory
  event.listen(factory, "before_commit", lambda session: outbox.write_pending(registry, session))
  views.includeme(config)
  api.includeme(config)
  admin.includeme(config)
  metrics.includeme(config)
  config.add_job(
    "notification-delivery",
    delivery.delivery_job,
    every=5,
    description="send the pending notifications of the outbox (mail, webhooks, chat)",
  )
