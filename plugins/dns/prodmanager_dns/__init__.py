"""The ``dns`` integration: a monitor whose ``integration`` is ``dns`` (or ``dns_<suffix>``) is ``ok``
when its ``external_reference`` (a host name) resolves to an A or AAAA address, following a
bounded CNAME chain, and ``alert`` otherwise. Settings: ``DNS_NAMESERVERS``, ``DNS_PORT``,
``DNS_TIMEOUT`` (docs/integrations.md)."""

plugin_info = {"id": "dns", "requires": ["monitor"]}


def includeme(config):
  from . import checks

  checks.declare_settings(config)
  config.add_translations("prodmanager_dns:translations")
  config.add_integration(
    "dns",
    check=checks.check,
    prepare=checks.make_resolver,
    interval=60,
    description="A/AAAA lookup of each monitor's external reference (a host name): an address is ok",
    settings=checks.SETTINGS,
  )
