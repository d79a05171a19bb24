"""What the maintenance pages show besides the fields: the milestones of its window."""

from prodmanager.cache import changes_at
from prodmanager.db import utcnow
from prodmanager.views.pages import PageValues


class MaintenancePages(PageValues):
  def detail_values(self, row) -> dict:
    """The horizontal milestones: the scheduled and actual dates in time order (a maintenance that
    started early shows its actual start first); those not reached yet come last, in their usual
    order (start before end)."""
    _ = self.request._
    moment = utcnow()
    for when in (row.scheduled_start_date, row.scheduled_end_date):
      changes_at(when, self.request)  # a milestone reached changes the page
    milestones = [
      (_("fields.scheduled_start_date"), row.scheduled_start_date, row.scheduled_start_date <= moment),
      (_("maintenance.actual_start"), row.start_date, row.start_date is not None),
      (_("fields.scheduled_end_date"), row.scheduled_end_date, row.scheduled_end_date <= moment),
      (_("maintenance.actual_end"), row.end_date, row.end_date is not None),
    ]
    # sorted() is stable: equal dates and missing ones keep the order above.
    return {
      "milestones": sorted(milestones, key=lambda milestone: (milestone[1] is None, milestone[1] or moment))
    }
