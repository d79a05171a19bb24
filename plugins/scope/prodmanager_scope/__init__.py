"""The scope resource type: a grouping axis of monitors, incidents and maintenances."""

plugin_info = {
  "id": "scope",
  "requires": [],
  "migrations": "prodmanager_scope:migrations",
}


def includeme(config):
  from prodmanager.groups import register_group

  from . import demo
  from .models import Scope
  from .services import ScopeService

  config.add_translations("prodmanager_scope:translations")
  register_group(config, "scope", ScopeService, order=10)
  config.add_demo_data(demo.load, model=Scope, label="scopes", order=10)
