"""Helpers for dashboard panels: a titled list capped at 10 rows with an "N more" link.

The dashboard and the scope/service pages render the same panels (``add_dashboard_panel``); a
panel restricted to a scope or a service receives it as ``scope=`` or ``service=``. Panels with
nothing to show render nothing, so empty sections are hidden.
"""

from urllib.parse import urlencode

from pyramid.renderers import render
from sqlalchemy import func, select

PANEL_LIMIT = 10


def restrict(statement, model, scope=None, service=None):
  """Restrict a statement on ``model`` to a scope and/or a service (their ``scope_id``/``service_id``)."""
  if scope is not None:
    statement = statement.where(model.scope_id == scope.id)
  if service is not None:
    statement = statement.where(model.service_id == service.id)
  return statement


def list_panel(
  request,
  *,
  name: str,
  title: str,
  statement,
  model,
  row_template: str,
  list_path: str,
  params: dict | None = None,
  scope=None,
  service=None,
  extra: dict | None = None,
) -> str:
  """Render the first rows of ``statement`` (already ordered) and a link to the full filtered list.

  Two queries (count and rows) whatever the number of rows; '' when there is no row.
  """
  statement = restrict(statement, model, scope, service)
  total = request.dbsession.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
  if not total:
    return ""
  rows = list(request.dbsession.scalars(statement.limit(PANEL_LIMIT)))
  query = dict(params or {})
  if scope is not None:
    query["scope"] = scope.id
  if service is not None:
    query["service"] = service.id
  more_url = f"{list_path}?{urlencode(query, doseq=True)}" if query else list_path
  return render(
    "prodmanager:templates/panels/list.jinja2",
    {
      "name": name,
      "title": title,
      "rows": rows,
      "total": total,
      "more": total - len(rows),
      "more_url": more_url,
      "row_template": row_template,
      **(extra or {}),
    },
    request=request,
  )
