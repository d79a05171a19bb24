"""The service resource type: a grouping axis of monitors, incidents and maintenances."""

plugin_info = {
  "id": "service",
  "requires": [],
  "migrations": "prodmanager_service:migrations",
}


def includeme(config):
  from prodmanager.groups import register_group

  from . import demo
  from .models import Service
  from .services import ServiceService

  config.add_translations("prodmanager_service:translations")
  register_group(config, "service", ServiceService, order=20)
  config.add_demo_data(demo.load, model=Service, label="services", order=20)
