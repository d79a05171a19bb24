"""The site's URL space: the one definition of what is an API path.

Security (tokens, CSRF), rate limits, body limits and error rendering all ask whether a request is
for the JSON API; they ask here, so that they never disagree on a path such as ``/api`` itself.
"""

API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
  """``/api`` (the API explorer) or anything under ``/api/``."""
  return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def is_json_path(path: str) -> bool:
  """Errors on these paths answer JSON: the API and the JSON documents outside it (``badge.json``)."""
  return is_api_path(path) or path.endswith(".json")
