"""What the monitor pages show besides the fields: a monitor's status history, and whether its
integration still gets data for it."""

from prodmanager.runs import freshness
from prodmanager.views.pages import PageValues


class MonitorPages(PageValues):
  def detail_values(self, row) -> dict:
    return {
      "history": self.service.history(row),
      "freshness": freshness(self.service.db, self.request.registry.settings, row.id, row.integration),
    }
