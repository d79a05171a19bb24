"""The incident resource type: what went wrong, how bad, where, and its public timeline (docs/user-guide.md#incidents, docs/user-guide.md#the-timeline)."""

plugin_info = {
  "id": "incident",
  "requires": ["scope", "service"],
  "migrations": "prodmanager_incident:migrations",
}


def includeme(config):
  from . import demo, views
  from .models import Incident
  from .pages import IncidentPages
  from .services import IncidentService

  config.add_translations("prodmanager_incident:translations")
  config.add_badge_tones(
    "severity", {"critical": "purple", "high": "red", "moderate": "orange", "low": "yellow", "minor": "blue"}
  )
  config.add_badge_tones(
    "incident_status", {"active": "red", "investigating": "orange", "stable": "yellow", "resolved": "green"}
  )
  config.add_resource_type(
    "incident",
    IncidentService,
    icon="bolt",
    templates={
      "list": "prodmanager_incident:templates/list.jinja2",
      "detail": "prodmanager_incident:templates/detail.jinja2",
    },
  )
  config.add_openapi_fragment("prodmanager_incident:openapi.yaml")
  config.add_crud_api("incident")
  config.add_timeline_api("incident")
  config.add_html_crud("incident", page_values=IncidentPages)
  config.add_timeline_html("incident")
  config.add_navigation("incident", "nav.incident", "/incident", icon="bolt", order=40)
  views.includeme(config)
  config.add_demo_data(demo.load, model=Incident, label="incidents", order=40)
