"""What the incident pages show besides the fields: durations in words and the milestones."""

from prodmanager.views.pages import PageValues

from .services import MILESTONES, RANK, format_duration


class IncidentPages(PageValues):
  def list_values(self, rows: list) -> dict:
    return {
      "durations": {row.id: format_duration(self.request, row.duration) for row in rows if row.duration}
    }

  def row_key(self, row, extra, list_context: dict):
    # The cells: the row, its scope and service, and its duration in words (list.jinja2).
    return (row, list_context["durations"].get(row.id, ""))

  def detail_values(self, row) -> dict:
    _ = self.request._
    # A milestone is reached when the incident got there with a date (skipped statuses have none).
    milestones = [
      (
        _(f"fields.{name}"),
        getattr(row, name),
        RANK[row.status] >= RANK[status] and getattr(row, name) is not None,
      )
      for status, name in MILESTONES
    ]
    return {
      "milestones": milestones,
      "duration": format_duration(self.request, row.duration) if row.duration is not None else None,
    }
