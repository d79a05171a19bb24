"""The pagination headers of a list response."""

from urllib.parse import urlencode

from ..services import Page
from ..state import app_state

REF_PREFIX = "#/components/parameters/"


def query_parameter_names(request) -> frozenset[str]:
  """The query parameters the API document gives the request's operation (computed once per
  operation): the only ones a ``Link`` carries over, whatever else the client sent."""
  route = getattr(request, "matched_route", None)
  if route is None:
    return frozenset()
  state = app_state(request.registry)
  known = getattr(state, "query_parameters", None)
  if known is None:
    known = state.query_parameters = {}
  key = (route.pattern, request.method.lower())
  if key not in known:
    document = app_state(request.registry).openapi.document.document
    item = document.get("paths", {}).get(route.pattern, {})
    declared = [*item.get("parameters", []), *item.get(key[1], {}).get("parameters", [])]
    components = document.get("components", {}).get("parameters", {})
    names = set()
    for parameter in declared:
      ref = parameter.get("$ref", "")
      if ref.startswith(REF_PREFIX):
        parameter = components.get(ref[len(REF_PREFIX) :], {})
      if parameter.get("in") == "query":
        names.add(parameter["name"])
    known[key] = frozenset(names)
  return known[key]


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
  # Read once, in one pass (repeated filters keep every value); only the documented parameters.
  known = query_parameter_names(request)
  kept = sorted((name, value) for name, value in request.GET.items() if name in known and name != "page")
  base = request.path_url
  links = []
  for rel, number in (
    ("first", 1 if page.pages else None),
    ("prev", page.prev_page),
    ("next", page.next_page),
    ("last", page.pages or None),
  ):
    if number is not None:
      # Percent-encoded: a header is Latin-1, and query values may be anything.
      params = sorted([*kept, ("page", str(number))])
      links.append(f'<{base}?{urlencode(params)}>; rel="{rel}"')
  if links:
    headers["Link"] = ", ".join(links)
