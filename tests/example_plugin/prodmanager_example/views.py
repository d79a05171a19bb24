"""The example's hand-written endpoint and its dashboard panel."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from prodmanager.api.request_body import request_data
from prodmanager.panels import list_panel

from . import PANEL_LIMIT
from .models import Runbook


def copy_view(context, request):
  """``POST /api/runbook/{id}/copy``: a new runbook for the same service and link, named by the body.

  The route traverses ``/runbook/{id}``: ``context`` is that runbook's item resource (``context.row``,
  ``context.service`` the domain service), and the view needs the ``edit`` permission. The service
  validates the name (400 naming the field, 409 when it is taken) before anything is written.
  """
  service = context.service
  source = context.row
  copy = service.create(
    {
      "name": request_data(request).get("name"),
      "description": source.description,
      "url": source.url,
      "service": source.service_id,
    }
  )
  body = service.serialize(copy, service.aggregates([copy])[copy.id])
  request.response.status = 201
  request.response.headers["Location"] = body["links"]["self"]
  return body


def runbooks_panel(request, scope=None, service=None) -> str:
  """The runbooks of a service on its page, and the first runbooks on the dashboard, as many as
  the ``prodmanager.example.panel_limit`` setting says; a runbook belongs to no scope, so scope
  pages show nothing."""
  if scope is not None:
    return ""
  statement = select(Runbook).options(joinedload(Runbook.service)).order_by(Runbook.name, Runbook.id)
  # list_panel restricts the statement to the service and adds ?service= to the "N more" link.
  return list_panel(
    request,
    name="runbooks",
    title=request._("nav.runbook"),
    statement=statement,
    model=Runbook,
    row_template="prodmanager_example:templates/panel_row.jinja2",
    list_path="/runbook",
    service=service,
    # The plugin's setting (add_setting in includeme), parsed and validated at startup.
    limit=request.registry.settings[PANEL_LIMIT],
  )
