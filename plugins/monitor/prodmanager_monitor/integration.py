"""The monitors as the pull integrations see them (``config.add_integration_target``): listed by
their ``integration`` value, their status set with its history row only when it changes, their
external link when a check gives another one."""

from sqlalchemy import select

from prodmanager.integrations import Watched

from .models import Monitor, MonitorStatus
from .services import record_status_change


class MonitorTarget:
  """prodmanager.integrations.IntegrationTarget for the monitor table."""

  def watched(self, session, integration: str) -> list[Watched]:
    statement = select(Monitor).where(Monitor.integration == integration).order_by(Monitor.id)
    return [
      Watched(
        id=row.id,
        name=row.name,
        integration=row.integration,
        status=row.status.value,
        external_reference=row.external_reference or "",
        external_link=row.external_link or "",
      )
      for row in session.scalars(statement)
    ]

  def set_status(self, session, ident: int, status: str, *, source: str) -> bool:
    # Locked (on PostgreSQL) so that an operator's edit in between cannot make two history rows
    # for one change; an operator who gave the monitor to another integration meanwhile wins.
    row = session.get(Monitor, ident, with_for_update=True, populate_existing=True)
    if row is None or row.integration != source:
      raise LookupError(ident)
    new = MonitorStatus(status)
    if row.status == new:
      return False
    old, row.status = row.status, new
    session.flush()
    record_status_change(session, row, old, new, source=source)
    return True

  def set_link(self, session, ident: int, link: str, *, source: str) -> bool:
    row = session.get(Monitor, ident)
    if row is None or row.integration != source:
      raise LookupError(ident)
    if row.external_link == link:
      return False
    row.external_link = link
    session.flush()
    return True

  def describe(self, session, ident: int) -> str:
    row = session.get(Monitor, ident)
    return row.name if row is not None else f"#{ident}"
