"""What the monitor pages show besides the fields: a monitor's status history."""

from prodmanager.views.pages import PageValues


class MonitorPages(PageValues):
  def detail_values(self, row) -> dict:
    return {"history": self.service.history(row)}
