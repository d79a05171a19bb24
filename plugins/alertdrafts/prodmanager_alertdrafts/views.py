"""The operators' pages of drafts: ``/drafts`` (publish, dismiss, resolve in one click each), the
dashboard's banner and the "monitors recovered — resolve?" prompt on incident pages.

Everything here is for logged-in operators: the routes need ``edit`` (the administrator's session),
and the panels render nothing for anyone else, so that the pages visitors get (the cached ones)
never mention a draft.
"""

from markupsafe import Markup
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render, render_to_response

from prodmanager.errors import ValidationFailed, localize
from prodmanager_incident.models import IncidentSeverity

from .services import PUBLISH_FIELDS, DraftService, parse_ident

TEMPLATES = "prodmanager_alertdrafts:templates/"
RETURN_TO = {"incident", "drafts"}


def drafts_page(request):
  service = DraftService(request)
  return {
    "waiting": service.waiting(),
    "resolutions": service.proposed_resolutions(),
    "recent": service.recent(),
    "severities": [severity.value for severity in IncidentSeverity],
    "enabled": request.registry.settings["prodmanager.alertdrafts.sources"].enabled,
    "failed": None,
  }


def publish(request):
  data = {name: request.POST.get(name, "") for name in PUBLISH_FIELDS}
  try:
    draft, incident = DraftService(request).publish(request.matchdict["id"], data)
  except ValidationFailed as error:
    # The page again, with every error next to its field of that draft and what was typed kept.
    values = drafts_page(request)
    values["failed"] = {
      "id": parse_ident(request.matchdict["id"]),
      "message": localize(request._, error.message),
      "reasons": localize(request._, error.reasons),
      "form": data,
    }
    response = render_to_response(TEMPLATES + "list.jinja2", values, request=request)
    response.status = 400
    return response
  request.session.flash(("success", request._("alertdrafts.published", name=incident.name)))
  return HTTPSeeOther(f"/incident/{incident.id}")


def dismiss(request):
  draft = DraftService(request).dismiss(request.matchdict["id"])
  request.session.flash(("success", request._("alertdrafts.dismissed", name=draft.name)))
  return HTTPSeeOther("/drafts")


def resolve(request):
  draft = DraftService(request).resolve(request.matchdict["id"])
  request.session.flash(("success", request._("alertdrafts.resolved", name=draft.incident.name)))
  if request.POST.get("return_to") == "incident":
    return HTTPSeeOther(f"/incident/{draft.incident_id}")
  return HTTPSeeOther("/drafts")


def set_monitor_choice(request):
  service = DraftService(request)
  monitor = service.monitor(request.matchdict["id"])
  choice = service.set_choice(monitor, request.POST.get("choice", ""))
  request.session.flash(
    (
      "success",
      request._("alertdrafts.choice_saved_yes" if choice["opens_drafts"] else "alertdrafts.choice_saved_no"),
    )
  )
  return HTTPSeeOther(f"/monitor/{monitor.id}")


def monitor_panel(request, row):
  """On a monitor's page, for operators only: whether its alerts open drafts, and its own choice."""
  if not request.is_operator:
    return ""
  choice = DraftService(request).choice(row)
  return Markup(
    render(
      TEMPLATES + "monitor_panel.jinja2",
      {"target": row, "choice": choice["choice"], "opens_drafts": choice["opens_drafts"]},
      request=request,
    )
  )


def dashboard_banner(request, **groups):
  """On the dashboard, for operators only: how many drafts wait and how many incidents may be resolved."""
  if groups or not request.is_operator:
    return ""
  waiting, proposed = DraftService(request).counts()
  if not waiting and not proposed:
    return ""
  return Markup(
    render(TEMPLATES + "banner.jinja2", {"waiting": waiting, "proposed": proposed}, request=request)
  )


def incident_prompt(request, row):
  """On an incident's page, for operators only: its draft, and the one-click Resolve once its
  monitors recovered."""
  if not request.is_operator:
    return ""
  draft = DraftService(request).for_incident(row.id)
  if draft is None:
    return ""
  return Markup(
    render(TEMPLATES + "incident_panel.jinja2", {"draft": draft, "incident": row}, request=request)
  )


def includeme(config):
  config.add_route("alertdrafts.list", "/drafts")
  config.add_route("alertdrafts.publish", "/drafts/{id}/publish")
  config.add_route("alertdrafts.dismiss", "/drafts/{id}/dismiss")
  config.add_route("alertdrafts.resolve", "/drafts/{id}/resolve")
  config.add_route("alertdrafts.monitor", "/drafts/monitor/{id}")
  # Operators only: "edit" on the root is the administrator's (the session); tokens never reach pages.
  operator = {"permission": "edit"}
  config.add_view(
    drafts_page,
    route_name="alertdrafts.list",
    request_method="GET",
    renderer=TEMPLATES + "list.jinja2",
    **operator,
  )
  config.add_view(publish, route_name="alertdrafts.publish", request_method="POST", **operator)
  config.add_view(dismiss, route_name="alertdrafts.dismiss", request_method="POST", **operator)
  config.add_view(resolve, route_name="alertdrafts.resolve", request_method="POST", **operator)
  config.add_view(set_monitor_choice, route_name="alertdrafts.monitor", request_method="POST", **operator)
  config.add_navigation("alertdrafts", "nav.alertdrafts", "/drafts", icon="bell", order=210, operator=True)
  # Right under the status banner (order 0), above the components.
  config.add_dashboard_panel("alertdrafts", dashboard_banner, order=1)
  config.add_detail_panel("incident", "alertdrafts", incident_prompt, order=10)
  config.add_detail_panel("monitor", "alertdrafts", monitor_panel, order=50)
