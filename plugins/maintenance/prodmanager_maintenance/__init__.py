"""The maintenance resource type: planned work on a (scope, service) pair, with its timeline and
calendars (docs/user-guide.md#maintenances, docs/user-guide.md#the-timeline, docs/api.md#calendars)."""

plugin_info = {
  "id": "maintenance",
  "requires": ["scope", "service"],
  "migrations": "prodmanager_maintenance:migrations",
}


def includeme(config):
  from . import demo, views
  from .models import Maintenance
  from .pages import MaintenancePages
  from .services import MaintenanceService

  config.add_translations("prodmanager_maintenance:translations")
  # A canceled maintenance stays grey.
  config.add_badge_tones(
    "maintenance_status", {"scheduled": "blue", "in-progress": "yellow", "succeed": "green", "failed": "red"}
  )
  config.add_badge_tones("service_status", {"up": "green", "degraded": "orange", "down": "red"})
  config.add_badge_tones("overdue", {"": "orange"})
  resource_type = config.add_resource_type(
    "maintenance",
    MaintenanceService,
    icon="wrench",
    templates={
      "list": "prodmanager_maintenance:templates/list.jinja2",
      "detail": "prodmanager_maintenance:templates/detail.jinja2",
    },
  )
  config.add_openapi_fragment("prodmanager_maintenance:openapi.yaml")
  config.add_crud_api("maintenance")
  config.add_timeline_api("maintenance")
  config.add_html_crud("maintenance", page_values=MaintenancePages)
  config.add_timeline_html("maintenance")
  config.add_navigation("maintenance", "nav.maintenance", "/maintenance", icon="wrench", order=50)
  views.add_views(config, resource_type)
  config.add_demo_data(demo.load, model=Maintenance, label="maintenances", order=50)
