"""The ``http`` integration: a monitor whose ``integration`` is ``http`` (or ``http_<suffix>``) is
``ok`` when a GET of its ``external_link`` answers 2xx or 3xx (or the expected status, and contains
the expected keyword), ``alert`` otherwise: another status, a timeout, a TLS or connection error.
Settings: ``HTTP_TIMEOUT``, ``HTTP_VERIFY_CERT``, ``HTTP_ALLOW_REDIRECT``, ``HTTP_PROXY``,
``HTTPS_PROXY`` (docs/integrations.md)."""

plugin_info = {"id": "http", "requires": ["monitor"]}


def includeme(config):
  from . import checks

  checks.declare_settings(config)
  config.add_translations("prodmanager_http:translations")
  config.add_integration(
    "http",
    check=checks.check,
    prepare=checks.open_client,
    close=checks.close_client,
    interval=60,
    description="GET of each monitor's external link: 2xx/3xx (or the expected status and keyword) is ok",
    settings=checks.SETTINGS,
  )
