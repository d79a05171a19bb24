"""The scope resource type: a grouping axis of monitors, incidents and maintenances."""

plugin_info = {
  "id": "scope",
  "requires": [],
  "migrations": "prodmanager_scope:migrations",
}


def includeme(config):
  from prodmanager.groups import register_group

  from .services import ScopeService

  config.add_translations("prodmanager_scope:translations")
  register_group(config, "scope", ScopeService, order=10)
