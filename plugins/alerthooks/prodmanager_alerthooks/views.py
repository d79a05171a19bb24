"""POST /api/hooks/alertmanager and /api/hooks/grafana: alert notifications set monitors' statuses.

Statuses are written through the monitor service, the path of an operator's edit, so that a change
gets its status-history row and its ``monitor.status_changed`` event (notifications) and a status
already held writes nothing: the same notification twice changes nothing.
"""

from sqlalchemy import select

from prodmanager.errors import NotAllowed, Unauthorized
from prodmanager.security import ADMIN, token_permission_principal
from prodmanager_monitor.models import Monitor
from prodmanager_monitor.services import MonitorService

from .mapping import wanted_statuses

PERMISSION = "monitor_api"


def require_permission(request) -> None:
  """An operator's session, or a token carrying monitor_api (the permission to write monitors)."""
  identity = request.identity
  if identity is None:
    raise Unauthorized("Authentication required", {"token": [f"a token with the {PERMISSION} permission"]})
  principals = identity.principals
  if ADMIN not in principals and token_permission_principal(PERMISSION) not in principals:
    raise NotAllowed("Permission denied", {"token": [f"this token lacks the {PERMISSION} permission"]})


def apply_notification(request) -> dict:
  require_permission(request)
  settings = request.registry.settings
  body = request.json_body  # validated against the document's schema before the view runs
  wanted = wanted_statuses(
    body["alerts"],
    settings["prodmanager.alerthooks.monitor_label"],
    settings["prodmanager.alerthooks.severity_label"],
  )
  answer = {"updated": [], "unchanged": [], "unknown": [], "unlabelled": wanted.unlabelled}
  if not wanted.statuses:
    return answer
  service = MonitorService(request)
  statement = (
    select(Monitor)
    .where(Monitor.external_reference.in_(sorted(wanted.statuses)))
    .order_by(Monitor.id)
    # Two notifications about one monitor at once: the second sees the first's status.
    .with_for_update()
  )
  found = set()
  for row in request.dbsession.scalars(statement):
    found.add(row.external_reference)
    new = wanted.statuses[row.external_reference]
    old = row.status
    entry = {"id": row.id, "name": row.name, "external_reference": row.external_reference}
    if old == new:
      answer["unchanged"].append({**entry, "status": new.value})
    else:
      service.update(row, {"status": new.value})
      answer["updated"].append({**entry, "old": old.value, "new": new.value})
  answer["unknown"] = sorted(set(wanted.statuses) - found)
  return answer


def alertmanager_view(context, request):
  return apply_notification(request)


def grafana_view(context, request):
  return apply_notification(request)
