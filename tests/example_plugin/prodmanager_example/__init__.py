"""Example plugin: operations runbooks, each attached to a service.

It is the plugin of the plugin author guide (docs/plugins.md) and uses only the public directives.
"""

plugin_info = {
  "id": "example",
  "requires": ["service"],
  "migrations": "prodmanager_example:migrations",
  # Opt-in: `prodmanager.plugins = *` leaves it out, so that installing the test dependencies does
  # not add runbooks to a development instance. List it to enable it.
  "enabled_by_default": False,
}


PANEL_LIMIT = "prodmanager.example.panel_limit"


def panel_limit(value: int) -> None:
  """Refuse a panel size the dashboard cannot show: at least one row, at most 100."""
  if not 1 <= value <= 100:
    raise ValueError("expected a number of runbooks between 1 and 100")


def includeme(config):
  from . import demo
  from .models import Runbook
  from .services import RunbookService, runbooks_counter
  from .views import copy_view, runbooks_panel

  # Read with the core's settings: PM_EXAMPLE_PANEL_LIMIT wins over the INI key; a bad value stops
  # startup naming it. The panel reads registry.settings[PANEL_LIMIT].
  config.add_setting(
    PANEL_LIMIT,
    env="PM_EXAMPLE_PANEL_LIMIT",
    type=int,
    default="5",
    validate=panel_limit,
    description="runbooks listed in the dashboard panel before its 'N more' link",
  )

  config.add_translations("prodmanager_example:translations")
  config.add_resource_type(
    "runbook",
    RunbookService,
    icon="link",
    templates={
      "list": "prodmanager_example:templates/list.jinja2",
      "detail": "prodmanager_example:templates/detail.jinja2",
    },
  )
  config.add_openapi_fragment("prodmanager_example:openapi.yaml")
  config.add_crud_api("runbook")
  # A hand-written endpoint: the path is in openapi.yaml; writing needs the type's `edit` permission.
  config.add_api_view(copy_view, "/api/runbook/{id}/copy", "POST", permission="edit")
  config.add_html_crud("runbook")
  config.add_navigation("runbook", "nav.runbook", "/runbook", icon="link", order=90)
  # On the dashboard and on service pages (after the first-party panels).
  config.add_dashboard_panel("runbooks", runbooks_panel, order=90)
  # A service that still has runbooks cannot be deleted (403 on the API, an error on the page).
  config.add_dependent("service", "runbooks", runbooks_counter)
  # `prodmanager demo` fills the table too; order 90 runs after the service loader (20).
  config.add_demo_data(demo.load, model=Runbook, label="runbooks", order=90)
