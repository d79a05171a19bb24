"""The extra template values of a resource type's standard HTML pages.

The domain service validates, writes and reads rows for every path (HTML and JSON); what only the
pages show (durations in words, milestones, a monitor's history, the panels of a scope...) is
computed here instead, by a :class:`PageValues` subclass handed to
``config.add_html_crud(name, page_values=...)``. The list template receives
:meth:`PageValues.list_values` as ``list_context`` (and :meth:`PageValues.row_key` of each row as
``row_keys``), the detail template :meth:`PageValues.detail_values` as ``detail_context``.
"""


class PageValues:
  """Extra values of the list and detail pages of one type; by default none.

  ``request`` is the current request and ``service`` the type's domain service for it. Both methods
  must read what they need in a constant number of queries, whatever the number of rows.
  """

  def __init__(self, request, service):
    self.request = request
    self.service = service

  def list_values(self, rows: list) -> dict:
    """Values for the rows of one page of the list (``list_context`` in the template)."""
    return {}

  def detail_values(self, row) -> dict:
    """Values for one row's detail page (``detail_context`` in the template)."""
    return {}

  def row_key(self, row, extra, list_context: dict):
    """What the list's ``<tr>`` of ``row`` shows, to keep it by (``{% fragment %}``,
    :mod:`prodmanager.fragments`): the row (it stands for its values and loaded parents) and the
    values of ``extra`` and ``list_context`` that the row's cells read; ``None`` (the default)
    renders every row every time."""
    return None
