"""Push hooks: Alertmanager and Grafana alert notifications set the status of monitors."""

plugin_info = {"id": "alerthooks", "requires": ["monitor"]}


def label_name(value: str) -> None:
  # Prometheus' label name rule, which Grafana's labels follow too.
  if (
    not value
    or not (value[0].isalpha() or value[0] == "_")
    or not all(c.isalnum() or c == "_" for c in value)
  ):
    raise ValueError("expected a label name (letters, digits and _, not starting with a digit)")


def includeme(config):
  # Imported once the plugin is enabled: its views import the monitor plugin's models.
  from . import views

  config.add_setting(
    "prodmanager.alerthooks.monitor_label",
    env="PM_ALERTHOOKS_MONITOR_LABEL",
    default="prodmanager_monitor",
    validate=label_name,
    description="alert label whose value is the external_reference of the monitor an alert sets",
  )
  config.add_setting(
    "prodmanager.alerthooks.severity_label",
    env="PM_ALERTHOOKS_SEVERITY_LABEL",
    default="severity",
    validate=label_name,
    description="alert label saying whether a firing alert is an alert (critical, error) or a warning",
  )
  config.add_openapi_fragment("prodmanager_alerthooks:openapi.yaml")
  config.add_api_view(views.alertmanager_view, "/api/hooks/alertmanager", "POST")
  config.add_api_view(views.grafana_view, "/api/hooks/grafana", "POST")
