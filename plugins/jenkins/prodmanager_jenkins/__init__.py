"""The ``jenkins`` integration: a monitor whose ``integration`` is ``jenkins`` (or ``jenkins_<suffix>``)
takes the result of the last completed build of the Jenkins job its ``external_reference`` names
(``folder/sub/job``): SUCCESS is ``ok``, UNSTABLE ``warning``, FAILURE ``alert``; any other result,
or no completed build, keeps its status. Settings: ``JENKINS_URL``, ``JENKINS_USERNAME``,
``JENKINS_TOKEN``, ``JENKINS_TIMEOUT``, ``JENKINS_VERIFY_CERT`` (docs/integrations.md)."""

plugin_info = {"id": "jenkins", "requires": ["monitor"]}


def includeme(config):
  from . import checks, settings

  settings.declare_settings(config)
  config.add_translations("prodmanager_jenkins:translations")
  config.add_integration(
    "jenkins",
    check=checks.check,
    prepare=checks.open_client,
    close=checks.close_client,
    interval=60,
    description="last completed build of each monitor's Jenkins job: SUCCESS ok, UNSTABLE warning, FAILURE alert",
    settings=settings.SETTINGS,
  )
