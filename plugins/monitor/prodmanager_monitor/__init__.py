"""The monitor resource type: a passive status light for one (scope, service) pair."""

plugin_info = {
  "id": "monitor",
  "requires": ["scope", "service"],
  "migrations": "prodmanager_monitor:migrations",
}


def not_negative(value: int) -> None:
  if value < 0:
    raise ValueError("expected 0 or more components")


def includeme(config):
  from . import demo, views
  from .integration import MonitorTarget
  from .models import Monitor
  from .pages import MonitorPages
  from .services import MonitorService

  config.add_translations("prodmanager_monitor:translations")
  config.add_setting(
    "prodmanager.monitor.dashboard_services_max",
    env="PM_MONITOR_DASHBOARD_SERVICES_MAX",
    type=int,
    default="200",
    validate=not_negative,
    description=(
      "the dashboard lists every service of every scope up to this many components in all; beyond, "
      "each scope lists only its services that are not operational (its page lists them all)"
    ),
  )
  config.add_badge_tones("monitor_status", {"ok": "green", "warning": "orange", "alert": "red"})
  config.add_badge_tones(
    "component", {"ok": "green", "maintenance": "blue", "warning": "orange", "partial": "red", "alert": "red"}
  )
  config.add_resource_type(
    "monitor",
    MonitorService,
    icon="pulse",
    templates={
      "list": "prodmanager_monitor:templates/list.jinja2",
      "detail": "prodmanager_monitor:templates/detail.jinja2",
    },
  )
  config.add_openapi_fragment("prodmanager_monitor:openapi.yaml")
  config.add_crud_api("monitor")
  config.add_html_crud("monitor", page_values=MonitorPages)
  config.add_navigation("monitor", "nav.monitor", "/monitor", icon="pulse", order=30)
  views.includeme(config)
  config.add_demo_data(demo.load, model=Monitor, label="monitors", order=30)
  # The pull integrations (add_integration) read and set the monitors through it.
  config.add_integration_target(MonitorTarget())
