"""The ``datadog`` integration: a monitor whose ``integration`` is ``datadog`` (or
``datadog_<suffix>``) takes the overall state of the Datadog monitor whose id is its
``external_reference`` (OK: ok, Warn: warning, Alert: alert; No Data, Unknown, Skipped, Ignored:
unchanged), and its ``external_link`` becomes that monitor's page. Settings: ``DD_API_KEY``,
``DD_APPLICATION_KEY``, ``DD_SITE``, ``DD_MONITOR_HOSTNAME`` (0.22's), ``DD_API_URL``,
``DD_PROXY_HTTPS``, ``DD_TIMEOUT`` (docs/integrations.md)."""

plugin_info = {"id": "datadog", "requires": ["monitor"]}


def includeme(config):
  from . import checks, settings

  settings.declare_settings(config)
  config.add_translations("prodmanager_datadog:translations")
  config.add_integration(
    "datadog",
    check_all=checks.check_all,
    prepare=checks.open_client,
    close=checks.close_client,
    interval=60,
    description="overall state of the Datadog monitor whose id is each monitor's external reference",
    settings=settings.SETTINGS,
  )
