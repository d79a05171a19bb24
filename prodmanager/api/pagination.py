"""The pagination headers of a list response."""

from urllib.parse import urlencode

from ..services import Page


def set_pagination_headers(request, page: Page) -> None:
  """0.22's ``x-*`` headers (``None`` literally when absent, as its client expects) and a ``Link`` header."""

  def text(value):
    return "None" if value is None else str(value)

  headers = request.response.headers
  headers["x-total"] = str(page.total)
  headers["x-total-pages"] = str(page.pages)
  headers["x-page"] = str(page.page)
  headers["x-per-page"] = str(page.per_page)
  headers["x-prev-page"] = text(page.prev_page)
  headers["x-next-page"] = text(page.next_page)
  links = []
  for rel, number in (
    ("first", 1 if page.pages else None),
    ("prev", page.prev_page),
    ("next", page.next_page),
    ("last", page.pages or None),
  ):
    if number is not None:
      # Percent-encoded: a header is Latin-1, and query values may be anything.
      params = {**dict(request.GET), "page": str(number)}
      links.append(f'<{request.path_url}?{urlencode(sorted(params.items()))}>; rel="{rel}"')
  if links:
    headers["Link"] = ", ".join(links)
