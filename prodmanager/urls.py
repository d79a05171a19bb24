"""The absolute URLs of the JSON API, for the ``links`` of its objects and the ``Location`` headers.

They are built from the request's application URL, which ``PM_PUBLIC_URL`` fixes when it is set
(see :mod:`prodmanager.site`), so that a forged ``Host`` header never reaches a link.
"""

from urllib.parse import urlencode

# Where a request keeps its API base URL (api_url).
API_BASE_KEY = "_prodmanager_api_base"


def api_url(request, *parts, **query) -> str:
  """``api_url(request, "incident", 12)`` is ``https://status.example.com/api/incident/12``;
  keyword arguments become the query string (``api_url(request, "monitor", scope=3)``)."""
  # Made once per request: a list of 50 incidents has 150 links, and webob builds the application
  # URL from the environ each time it is asked (its scheme, host and script name are set before
  # any view runs: prodmanager.site, prodmanager.tweens.proxy_fix).
  base = request.__dict__.get(API_BASE_KEY)
  if base is None:
    base = request.__dict__[API_BASE_KEY] = f"{request.application_url}/api"
  url = "/".join([base, *[str(part) for part in parts]])
  return f"{url}?{urlencode(query)}" if query else url
