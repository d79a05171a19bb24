"""What ProdManager 0.22's users link to, call or set, and that has moved or gone.

* URLs: ``/logged`` (``True``/``False``, as 0.22 answered), ``GET /logout`` (0.22 logged out on a
  GET; a link must not log anyone out, so it answers a page with the logout button), the web
  manifest (``/site.webmanifest``), and the ``/static/…`` paths of 0.22 that people link to,
  redirected (301) to their equivalents here (``/static/img/favicon.ico`` and
  ``/static/img/apple-touch-icon.png`` are served by the static view itself, at 0.22's paths).
* ``PM_CUSTOM_CSS_SHEET`` in 0.22's form, a path under its static folder (``css/custom.css``): the
  file is served from the ``static`` folder of the instance, at the URL 0.22 gave it
  (``/static/css/custom.css``).
* 0.22's variables that mean nothing here are declared (``add_setting``) so that their values are
  parsed and reported like every setting, and each one that is set is named at startup with what
  became of it: never silently ignored.

Registered before :mod:`prodmanager.rendering`: the redirects and the custom sheet are routes under
``/static/``, which must come before the static view that serves the rest of that prefix.
"""

import json
import logging
import os
from pathlib import Path

from pyramid.httpexceptions import HTTPMovedPermanently, HTTPNotFound, HTTPSeeOther
from pyramid.response import FileResponse, Response
from pyramid.security import NO_PERMISSION_REQUIRED

from .resources import Root
from .settings import CUSTOM_STATIC_FOLDER, is_relative_stylesheet

log = logging.getLogger(__name__)

# 0.22's static files that pages, bookmarks, monitoring and scripts point at, and where they are now.
STATIC_REDIRECTS = {
  "/static/meta/openapi.yaml": "/api/openapi.yaml",
  "/static/robots.txt": "/robots.txt",
  "/static/site.webmanifest": "/site.webmanifest",
  # 0.22's icon sizes that have no twin here: the nearest icon we have.
  "/static/img/favicon-16x16.png": "/favicon.ico",
  "/static/img/favicon-32x32.png": "/favicon.ico",
  "/static/img/android-chrome-192x192.png": "/static/img/apple-touch-icon.png",
  "/static/img/android-chrome-512x512.png": "/static/img/apple-touch-icon.png",
}

OPENID_PREFIX = "PM_OPENID_"


# -- 0.22's variables ------------------------------------------------------------------------------


# (INI key, variable, what became of it: shown at startup when the variable is set). Read as text:
# 0.22 took any value (a boolean was true only if it said so), and a value nothing reads must not
# stop the start of an instance that moves over.
RETIRED_SETTINGS = (
  (
    "prodmanager.compat.stats_enabled",
    "PM_STATS_ENABLED",
    "no longer used: 0.22's page view counters are gone; request counts are in /metrics (Prometheus)",
  ),
  (
    "prodmanager.compat.sqlalchemy_echo",
    "PM_SQLALCHEMY_ECHO",
    "no longer used: to see the SQL statements, set the log level of the sqlalchemy.engine logger "
    "to INFO in the INI file's logging sections",
  ),
  (
    "prodmanager.compat.debug",
    "PM_DEBUG",
    "no longer used: set PM_MODE=development for a development instance, and the log levels in the INI file",
  ),
  (
    "prodmanager.compat.profiling",
    "PM_PROFILING",
    "no longer used: request timings are in /metrics (prodmanager_http_request_duration_seconds)",
  ),
  (
    "prodmanager.compat.disable_version_check",
    "PM_DISABLE_VERSION_CHECK",
    "no longer needed: ProdManager never checks for new versions on its own (/health/version answers "
    "latest: null), so there is nothing to disable",
  ),
  (
    "prodmanager.compat.disable_hello",
    "PM_DISABLE_HELLO",
    "no longer needed: ProdManager sends no usage report (0.22's Hello) anywhere, so there is nothing to disable",
  ),
  (
    "prodmanager.compat.hello_endpoint",
    "PM_HELLO_ENDPOINT",
    "no longer used: ProdManager sends no usage report (0.22's Hello) anywhere",
  ),
)


def retired_notices(environ) -> list[str]:
  """One line per 0.22 variable that is set and no longer used here, and for ``PM_OPENID_*``."""
  notices = [
    f"{variable}={environ[variable]!r} is {meaning}"
    for _key, variable, meaning in RETIRED_SETTINGS
    if variable in environ
  ]
  openid = sorted(name for name in environ if name.startswith(OPENID_PREFIX))
  if openid:
    notices.append(
      f"{', '.join(openid)} {'is' if len(openid) == 1 else 'are'} set, but OpenID Connect login is not "
      "available yet in this version: log in with the administrator secret (PM_SECRET_KEY) meanwhile"
    )
  return notices


def log_retired_notices(environ=None) -> None:
  """Name at startup each 0.22 variable that is set and what became of it (called by make_config)."""
  environ = os.environ if environ is None else environ
  for notice in retired_notices(environ):
    log.warning("0.22 setting: %s", notice)


# -- the custom stylesheet -------------------------------------------------------------------------


def custom_stylesheet_view(request):
  settings = request.registry.settings
  folder = Path(settings["prodmanager.instance_path"]) / CUSTOM_STATIC_FOLDER
  path = folder / settings["prodmanager.custom_css_sheet"]
  if not path.is_file():
    raise HTTPNotFound()
  return FileResponse(str(path), request=request, content_type="text/css", cache_max_age=3600)


# -- URLs ------------------------------------------------------------------------------------------


def logged_view(request):
  """``True`` or ``False``: whether the visitor is logged in (0.22's answer, read by scripts)."""
  return Response(str(bool(request.is_operator)), content_type="text/plain", charset="utf-8")


def logout_page(request):
  """0.22 logged out on ``GET /logout``; a link, a prefetch or a crawler must not log anyone out,
  so the page asks, with the button that posts the logout (CSRF-protected)."""
  if not request.is_operator:
    return HTTPSeeOther("/")
  return {}


def web_manifest(request):
  """The web app manifest 0.22 served (``/static/site.webmanifest``): the site's name and icons,
  for a status page pinned to a phone's home screen."""
  name = request.site_name
  body = {
    "name": name,
    "short_name": name,
    "start_url": "/",
    "display": "standalone",
    "theme_color": "#0b57d0",
    "background_color": "#ffffff",
    "icons": [
      {
        "src": request.static_url("prodmanager:static/img/apple-touch-icon.png"),
        "sizes": "180x180",
        "type": "image/png",
      },
      {
        "src": request.static_url("prodmanager:static/img/favicon.svg"),
        "sizes": "any",
        "type": "image/svg+xml",
      },
    ],
  }
  response = Response(json.dumps(body), content_type="application/manifest+json", charset="utf-8")
  response.cache_control.public = True
  response.cache_control.max_age = 3600
  return response


def static_redirect_view(request):
  return HTTPMovedPermanently(STATIC_REDIRECTS[request.matched_route.pattern])


def includeme(config):
  settings = config.get_settings()
  for key, variable, meaning in RETIRED_SETTINGS:
    config.add_setting(key, env=variable, description=f"0.22's {variable}: {meaning}")
  sheet = settings["prodmanager.custom_css_sheet"]
  if is_relative_stylesheet(sheet):
    # The sheet's own route, before the static view that serves the rest of /static/.
    config.add_route("compat.custom_css", f"/static/{sheet}")
    config.add_view(custom_stylesheet_view, route_name="compat.custom_css", permission=NO_PERMISSION_REQUIRED)
    path = Path(settings["prodmanager.instance_path"]) / CUSTOM_STATIC_FOLDER / sheet
    if not path.is_file():
      log.warning(
        "PM_CUSTOM_CSS_SHEET=%r: there is no file %s yet; pages link to it all the same", sheet, path
      )
  for old in STATIC_REDIRECTS:
    name = f"compat.static{old}"
    config.add_route(name, old)
    config.add_view(static_redirect_view, route_name=name, permission=NO_PERMISSION_REQUIRED)
  config.add_view(logged_view, context=Root, name="logged", permission=NO_PERMISSION_REQUIRED)
  config.add_view(web_manifest, context=Root, name="site.webmanifest", permission=NO_PERMISSION_REQUIRED)
  config.add_view(
    logout_page,
    context=Root,
    name="logout",
    request_method="GET",
    renderer="prodmanager:templates/pages/logout.jinja2",
    permission=NO_PERMISSION_REQUIRED,
  )
