"""Atlassian Statuspage-compatible public JSON (docs/api.md#statuspage-compatible-json): the eight ``/api/v2/*.json``
endpoints that status-page consumers (dashboards, widgets, exporters) already know how to read.

No table of its own: the payloads are read from the scopes, services, monitors, incidents and
maintenances (see :mod:`prodmanager_statuspage.payload` and :mod:`prodmanager_statuspage.mapping`).
"""

plugin_info = {
  "id": "statuspage",
  "requires": ["scope", "service", "monitor", "incident", "maintenance"],
}


def includeme(config):
  from . import views

  config.add_openapi_fragment("prodmanager_statuspage:openapi.yaml")
  views.includeme(config)
