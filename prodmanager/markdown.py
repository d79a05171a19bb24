"""Markdown rendering for descriptions and comments, always sanitised.

Operators write Markdown; visitors read the HTML. Markdown lets raw HTML through, so the output
goes through nh3 (an allow-list sanitiser) before it reaches a page, a feed or a mail: this is the
fix for 0.22's stored XSS.
"""

import functools

import markdown as markdown_lib
import nh3
from markupsafe import Markup

EXTENSIONS = ["tables", "sane_lists", "nl2br", "fenced_code", "codehilite"]
EXTENSION_CONFIGS = {"codehilite": {"css_class": "codehilite", "guess_lang": False, "use_pygments": True}}

ALLOWED_TAGS = {
  "a",
  "abbr",
  "b",
  "blockquote",
  "br",
  "code",
  "del",
  "div",
  "em",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
  "i",
  "li",
  "ol",
  "p",
  "pre",
  "s",
  "span",
  "strong",
  "sub",
  "sup",
  "table",
  "tbody",
  "td",
  "th",
  "thead",
  "tr",
  "ul",
}
ALLOWED_ATTRIBUTES = {
  "a": {"href", "title"},
  "abbr": {"title"},
  "div": {"class"},
  "span": {"class"},
  "code": {"class"},
  "pre": {"class"},
  "td": {"align"},
  "th": {"align"},
  "ol": {"start"},
}
URL_SCHEMES = {"http", "https"}


def sanitise(html: str) -> str:
  """Keep only allow-listed tags and attributes; links get ``rel="noopener noreferrer nofollow"``."""
  return nh3.clean(
    html,
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer nofollow",
  )


@functools.lru_cache(maxsize=2048)
def render_markdown(text: str | None) -> Markup:
  """Render Markdown to sanitised HTML (cached: the same text always gives the same HTML)."""
  if not text:
    return Markup("")
  html = markdown_lib.markdown(text, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
  return Markup(sanitise(html))
