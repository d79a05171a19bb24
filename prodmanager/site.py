"""The site's public identity: its name (``PM_SITE_NAME``), logo (``PM_SITE_LOGO``) and address
(``PM_PUBLIC_URL``).

The ``Host`` header is chosen by the client. With ``PM_PUBLIC_URL`` set, every absolute URL the
application builds (API ``links``, ``Location`` headers, feeds, calendars, the Swagger spec URL,
``summary.json``) uses the configured address instead. WebOb and Pyramid build all of them from the
WSGI environ, so :func:`public_url_tween_factory` rewrites the environ's scheme and host once, before
anything reads them, rather than each URL being corrected where it is built.
"""

from pathlib import Path
from urllib.parse import urlsplit

SITE_LOGO_PATH = "/site-logo"


def site_name(request) -> str:
  """The name shown in page titles, feeds, calendars and ``summary.json``: ``PM_SITE_NAME``, or the
  product's name in the request's language."""
  return request.registry.settings["prodmanager.site_name"] or request._("app.name")


def logo_file(registry) -> Path | None:
  """The image file of ``PM_SITE_LOGO`` when it names one on this machine (served at /site-logo)."""
  value = registry.settings.get("prodmanager.site_logo") or ""
  if value.startswith("/") and Path(value).is_file():
    return Path(value)
  return None


def site_logo(request) -> str:
  """The address of the logo shown before the site name; empty for the product's icon."""
  value = request.registry.settings.get("prodmanager.site_logo") or ""
  if logo_file(request.registry) is not None:
    return SITE_LOGO_PATH
  return value


def public_url_tween_factory(handler, registry):
  """With ``PM_PUBLIC_URL``, the request's scheme and host are those of the public address."""
  public_url = registry.settings["prodmanager.public_url"]
  if not public_url:
    return handler
  parts = urlsplit(public_url)
  default_port = 443 if parts.scheme == "https" else 80
  replaced = {
    "wsgi.url_scheme": parts.scheme,
    "HTTP_HOST": parts.netloc,
    "SERVER_NAME": parts.hostname,
    "SERVER_PORT": str(parts.port or default_port),
  }

  def tween(request):
    request.environ.update(replaced)
    return handler(request)

  return tween


def includeme(config):
  config.add_request_method(site_name, "site_name", reify=True)
  config.add_request_method(site_logo, "site_logo", reify=True)
