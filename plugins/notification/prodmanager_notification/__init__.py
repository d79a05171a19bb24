"""Notifications: e-mail subscriptions with double opt-in, webhooks and chat, delivered through a
transactional outbox by the worker (docs/notifications.md)."""

plugin_info = {
  "id": "notification",
  "requires": ["scope", "service", "incident"],
  "migrations": "prodmanager_notification:migrations",
}


def includeme(config):
  from . import settings

  config.add_translations("prodmanager_notification:translations")
  settings.declare(config)
