"""What the maintenance pages show besides the fields: the milestones of its window."""

from prodmanager.cache import changes_at
from prodmanager.db import utcnow
from prodmanager.views.pages import PageValues


class MaintenancePages(PageValues):
  def detail_values(self, row) -> dict:
    """The horizontal milestones: scheduled window, then the actual start and end."""
    _ = self.request._
    moment = utcnow()
    for when in (row.scheduled_start_date, row.scheduled_end_date):
      changes_at(when, self.request)  # a milestone reached changes the page
    return {
      "milestones": [
        (_("fields.scheduled_start_date"), row.scheduled_start_date, row.scheduled_start_date <= moment),
        (_("fields.scheduled_end_date"), row.scheduled_end_date, row.scheduled_end_date <= moment),
        (_("maintenance.actual_start"), row.start_date, row.start_date is not None),
        (_("maintenance.actual_end"), row.end_date, row.end_date is not None),
      ],
    }
