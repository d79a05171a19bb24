"""Helpers for dashboard panels: a titled list capped at :data:`PANEL_LIMIT` rows (or the
panel's own ``limit``) with an "N more" link.

The dashboard and the pages of the grouping axes render the same panels (``add_dashboard_panel``);
a panel shown on a grouping axis's page receives that row as a keyword argument named after the
axis (``scope=row``). Panels with nothing to show render nothing, so empty sections are hidden.
The restrictions rely on the ``<axis>_id`` columns of :class:`prodmanager.membership.Membership`.
"""

from urllib.parse import urlencode

from pyramid.renderers import render
from sqlalchemy import func, select

# The number of rows a panel lists before its "N more" link.
PANEL_LIMIT = 10


def restrict(statement, model, **groups):
  """Restrict a statement on ``model`` to the given parent rows (``scope=row`` keeps the rows whose
  ``scope_id`` is ``row.id``); ``None`` values restrict nothing."""
  for axis, parent in groups.items():
    if parent is not None:
      statement = statement.where(getattr(model, f"{axis}_id") == parent.id)
  return statement


def group_params(**groups) -> dict:
  """The list filters of the same restriction (``{"scope": 3}``), for "see all" links."""
  return {axis: parent.id for axis, parent in groups.items() if parent is not None}


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
  extra: dict | None = None,
  limit: int = PANEL_LIMIT,
  keep_rows: bool = False,
  **groups,
) -> str:
  """Render the first ``limit`` rows of ``statement`` (already ordered) and a link to the full
  filtered list.

  With ``keep_rows``, each row's HTML is kept by the row's values (:mod:`prodmanager.fragments`):
  only for a ``row_template`` that shows nothing but the row, its loaded parents and the process's
  settings (no ``extra``, no property that time changes).

  ``groups`` are the panel's restriction (``scope=row``...), applied to the rows and to the link.
  Two queries (count and rows) whatever the number of rows; '' when there is no row.
  """
  statement = restrict(statement, model, **groups)
  total = request.dbsession.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
  if not total:
    return ""
  rows = list(request.dbsession.scalars(statement.limit(limit)))
  query = {**(params or {}), **group_params(**groups)}
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
      "keep_rows": keep_rows,
      **(extra or {}),
    },
    request=request,
  )
