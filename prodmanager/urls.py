"""The absolute URLs of the JSON API, for the ``links`` of its objects and the ``Location`` headers.

They are built from the request's application URL, which ``PM_PUBLIC_URL`` fixes when it is set
(see :mod:`prodmanager.site`), so that a forged ``Host`` header never reaches a link.
"""

from urllib.parse import urlencode


def api_url(request, *parts, **query) -> str:
  """``api_url(request, "incident", 12)`` is ``https://status.example.com/api/incident/12``;
  keyword arguments become the query string (``api_url(request, "monitor", scope=3)``)."""
  url = "/".join([request.application_url, "api", *[str(part) for part in parts]])
  return f"{url}?{urlencode(query)}" if query else url
