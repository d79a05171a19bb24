"""Jinja2 rendering: the environment, and the globals every template can use.

Globals: ``_`` (translate), ``lang``, ``site_name``, ``nav_entries``, ``is_logged_in``, ``csrf_token()``,
``custom_css``, ``app_version``, ``format_datetime(dt)``, ``markdown(text)``, ``flash_messages``,
``site_logo``, ``preferences`` (``auto_reload``, ``return_to``), ``calendar_url``.
"""

import datetime as dt
import functools
import hashlib
import json
import re
import threading
import zoneinfo
from pathlib import Path

from jinja2 import pass_environment
from markupsafe import Markup, escape
from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender
from pyramid.path import AssetResolver
from pyramid.renderers import JSON
from pyramid.static import QueryStringCacheBuster

from .markdown import render_markdown
from .settings import stylesheet_url
from .state import app_state
from .version import __version__


def format_datetime_html(request, value: dt.datetime | None) -> Markup:
  """A ``<time>`` element: machine-readable UTC, shown in the instance time zone (``PM_TIMEZONE``)."""
  if value is None:
    return Markup("")
  return time_element(value, request.registry.settings["prodmanager.timezone"], request.lang == "fr")


@functools.lru_cache(maxsize=4096)
def time_element(value: dt.datetime, zone_name: str, day_first: bool) -> Markup:
  """The ``<time>`` element of :func:`format_datetime_html`, kept per moment: a page shows dozens
  of dates, and the next render after a write shows the same ones again."""
  local = value.astimezone(zoneinfo.ZoneInfo(zone_name))
  shown = local.strftime("%d/%m/%Y %H:%M" if day_first else "%Y-%m-%d %H:%M")
  machine = value.astimezone(dt.UTC).isoformat(timespec="minutes")
  # Digits and separators only, but for the zone's abbreviation.
  return Markup(f'<time datetime="{machine}">{shown} {escape(local.tzname() or "")}</time>')


AUTO_RELOAD_COOKIE = "pm_auto_reload"


def add_globals(event: BeforeRender) -> None:
  request = event.get("request")
  if request is None:
    return
  settings = request.registry.settings
  event.setdefault("_", request._)
  event.setdefault("lang", request.lang)
  event.setdefault("site_name", request.site_name)
  event.setdefault("nav_entries", app_state(request.registry).navigation)
  event.setdefault("footer_links", app_state(request.registry).footer_links)
  event.setdefault("is_logged_in", request.is_operator)
  event.setdefault("csrf_token", lambda: get_csrf_token(request))
  event.setdefault("custom_css", stylesheet_url(settings["prodmanager.custom_css_sheet"]))
  event.setdefault("app_version", __version__)
  event.setdefault("format_datetime", lambda value: format_datetime_html(request, value))
  event.setdefault("markdown", render_markdown)
  event.setdefault("site_logo", request.site_logo)
  event.setdefault(
    "preferences",
    {"auto_reload": request.cookies.get(AUTO_RELOAD_COOKIE) == "on", "return_to": request.path_qs},
  )
  # The follow links of the footer: the maintenance calendar with the maintenance plugin (the
  # notification plugin adds its own Subscribe link, add_footer_link).
  types = app_state(request.registry).resource_types
  event.setdefault("calendar_url", "/maintenance.ics" if types.get("maintenance") is not None else "")
  if "flash_messages" not in event:
    # Popped once per request: a page may render fragments first (dashboard panels), which must not
    # take the messages away from the page itself. Pop only when there is something to pop: popping
    # marks the session changed, which would send a session cookie with every response (and then
    # subject cookie-keeping API clients to CSRF checks).
    if "_prodmanager_flash" not in request.__dict__:
      messages = request.session.pop_flash() if request.session.peek_flash() else []
      request.__dict__["_prodmanager_flash"] = [
        m if isinstance(m, tuple | list) else ("info", m) for m in messages
      ]
    event["flash_messages"] = request.__dict__["_prodmanager_flash"]


def from_json(text: str | None):
  """Jinja2 filter: the data of a JSON text (timeline diffs), or {} when it is not JSON."""
  try:
    return json.loads(text) if text else {}
  except ValueError:
    return {}


ICONS_TEMPLATE = "prodmanager:templates/icons.jinja2"
ICON_USE = re.compile(r'<use href="#icon-([\w-]+)"')
ICON_SYMBOL = re.compile(r'<symbol id="icon-([\w-]+)".*?</symbol>', re.S)
SPRITE_OPENING = re.compile(r"<svg\b[^>]*>")


@pass_environment
def icon_sprite(environment, html: str) -> Markup:
  """Jinja2 filter of the layout's body: the page preceded by a sprite of the icons it uses.

  icons.jinja2 holds every symbol (11 KB); a page uses a few of them. The symbols are read from it
  once per template version (a development server reloads it), and a page whose fragments use an
  icon (dashboard panels rendered apart) gets it too: the finished body is what is looked at.
  """
  template = environment.get_template(ICONS_TEMPLATE)
  icons = getattr(environment, "prodmanager_icons", None)
  if icons is None or icons[0] is not template:
    source = template.render()
    symbols = {match.group(1): match.group(0) for match in ICON_SYMBOL.finditer(source)}
    icons = environment.prodmanager_icons = (template, SPRITE_OPENING.search(source).group(0), symbols)
  _template, opening, symbols = icons
  used = [symbols[name] for name in dict.fromkeys(ICON_USE.findall(html)) if name in symbols]
  if not used:
    return Markup(html)
  return Markup(f"{opening}<defs>{''.join(used)}</defs></svg>") + Markup(html)


# The query parameter of fingerprinted static URLs; a URL that has it is cached for a year.
FINGERPRINT_PARAM = "v"


class ContentFingerprint(QueryStringCacheBuster):
  """``/static/css/app.css?v=<hash of the file>``: a changed file gets a new URL, so browsers may keep
  each one for ever (``Cache-Control: immutable``, set by prodmanager.cache) and never see a stale one."""

  def __init__(self, asset_spec: str):
    super().__init__(FINGERPRINT_PARAM)
    self.root = Path(AssetResolver().resolve(asset_spec).abspath())
    self.tokens: dict[str, str] = {}
    self.lock = threading.Lock()

  def tokenize(self, request, subpath, kw):
    token = self.tokens.get(subpath)
    if token is None:
      try:
        token = hashlib.blake2b((self.root / subpath).read_bytes(), digest_size=6).hexdigest()
      except OSError:
        token = __version__  # a missing file answers 404 anyway
      with self.lock:
        self.tokens[subpath] = token
    return token


def includeme(config):
  config.include("pyramid_jinja2")
  config.get_settings().setdefault(
    "jinja2.filters",
    "fromjson = prodmanager.rendering:from_json\nicon_sprite = prodmanager.rendering:icon_sprite",
  )
  # {% fragment key %}: pieces of a page kept by their content (prodmanager.fragments).
  config.get_settings().setdefault("jinja2.extensions", "prodmanager.fragments.FragmentExtension")
  config.add_jinja2_renderer(".jinja2")
  # JSON without the blanks after "," and ":" (Python's default): 7 % of the bytes of every API
  # answer (the Statuspage summary of 1,000 components: 523 KB -> 486 KB), to send and to parse.
  config.add_renderer("json", JSON(separators=(",", ":")))
  config.add_jinja2_search_path("prodmanager:templates", name=".jinja2")
  config.add_subscriber(add_globals, BeforeRender)
  config.add_static_view("static", "prodmanager:static", cache_max_age=3600)
  config.add_cache_buster("prodmanager:static/", ContentFingerprint("prodmanager:static/"))
