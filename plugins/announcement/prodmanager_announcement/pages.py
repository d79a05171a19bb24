"""What the announcement pages show besides the fields: whether each one is ongoing."""

from prodmanager.db import utcnow
from prodmanager.views.pages import PageValues


class AnnouncementPages(PageValues):
  def list_values(self, rows: list) -> dict:
    return {"now": utcnow()}

  def detail_values(self, row) -> dict:
    return {"state": row.state(utcnow())}
