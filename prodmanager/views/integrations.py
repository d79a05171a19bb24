"""``/integrations``: the operators' page of the pull integrations and their recent runs."""

from ..runs import last_run_by_integration, latest_runs
from ..state import app_state

RECENT_RUNS = 50


def description(request, integration) -> str:
  """The integration's description in the page's language: the catalogue's
  ``integrations.description.<name>`` when its plugin translates it, else ``add_integration``'s."""
  key = f"integrations.description.{integration.name}"
  if key in app_state(request.registry).catalogues.messages["en"]:
    return request._(key)
  return integration.description


def integrations_page(request):
  settings = request.registry.settings
  last = last_run_by_integration(request.dbsession)
  integrations = [
    {
      "name": integration.name,
      "description": description(request, integration),
      "matched": integration.matched_name(settings),
      "interval": integration.interval(settings),
      "last": last.get(integration.name),
    }
    for integration in app_state(request.registry).integrations
  ]
  return {
    "integrations": integrations,
    "runs": latest_runs(request.dbsession, RECENT_RUNS),
    "suffix": settings["prodmanager.integration_suffix"],
    "stale_after": settings["prodmanager.integration_stale_after"],
  }


def includeme(config):
  # The resource tree is imported when the views are added, as the other view modules do.
  from ..resources import Root

  config.add_view(
    integrations_page,
    context=Root,
    name="integrations",
    request_method="GET",
    # Operators only: error lines may name internal hosts.
    permission="view_internal",
    renderer="prodmanager:templates/pages/integrations.jinja2",
  )
  # The outcome of a run, as a badge: running blue, ok green, partial orange, failed and timeout red.
  config.add_badge_tones(
    "run", {"running": "blue", "ok": "green", "partial": "orange", "failed": "red", "timeout": "red"}
  )
  # In the operator navigation: error lines and hosts are for operators only, like the page.
  config.add_navigation(
    "integrations", "nav.integrations", "/integrations", icon="chart", order=200, operator=True
  )
