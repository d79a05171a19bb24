"""Draft incidents from alerts (docs/integrations.md, "From alert to incident (drafts)").

A monitor turning ``alert`` opens a draft incident on its (scope, service) pair, when
``PM_ALERT_DRAFTS`` covers it; an operator publishes it in one click (the incident and its
notifications exist from then on) or dismisses it. Its monitors' return to ``ok`` closes a draft
nobody published, or proposes resolving the published incident.
"""

plugin_info = {
  "id": "alertdrafts",
  "requires": ["monitor", "incident"],
  "migrations": "prodmanager_alertdrafts:migrations",
}


def includeme(config):
  from sqlalchemy import event

  from prodmanager.state import app_state

  from . import api, proposals, settings, views

  config.add_translations("prodmanager_alertdrafts:translations")
  config.add_badge_tones("draft_state", {"open": "orange", "published": "blue", "closed": "green"})
  settings.declare(config)
  registry = config.registry
  # Drafts are written just before the outermost commit of every session of the application
  # (requests, integration runs, commands), in the transaction of the status change that caused them.
  factory = app_state(registry).db_session_factory
  event.listen(factory, "before_commit", lambda session: proposals.write_pending(registry, session))
  views.includeme(config)
  api.includeme(config)
