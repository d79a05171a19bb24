"""Markdown rendering for descriptions and comments, always sanitised.

Operators write Markdown; visitors read the HTML. Markdown lets raw HTML through, so the output
goes through nh3 (an allow-list sanitiser) before it reaches a page, a feed or a mail: this is the
fix for 0.22's stored XSS.
"""

import hashlib
import sys
import threading

import markdown as markdown_lib
import nh3
from cachetools import LRUCache, cached
from markupsafe import Markup

# The rendered HTML of recent texts is bounded by the memory its entries take, not by their number:
# 2,048 entries keyed by the full text held 200 MB of 60 KiB descriptions.
CACHE_BYTES = 8 * 1024 * 1024

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


def text_digest(text: str | None) -> bytes:
  """The cache key: a digest, so that the cache does not keep the texts themselves."""
  return hashlib.blake2b((text or "").encode("utf-8", "surrogatepass"), digest_size=20).digest()


def cached_renderer(render, cache_bytes: int = CACHE_BYTES):
  """``render`` memoised in an LRU cache whose entries take at most ``cache_bytes`` in all.

  An entry bigger than a sixteenth of the cache is not kept, so one huge text cannot evict the rest.
  The cache is shared by the server's threads, hence the lock.
  """
  max_entry = cache_bytes // 16

  def entry_size(html: str) -> int:
    size = sys.getsizeof(html)
    return size if size <= max_entry else cache_bytes + 1  # cachetools then leaves it out

  cache = LRUCache(maxsize=cache_bytes, getsizeof=entry_size)
  return cached(cache, key=text_digest, lock=threading.Lock())(render)


def render_markdown_uncached(text: str | None) -> Markup:
  """Render Markdown to sanitised HTML."""
  if not text:
    return Markup("")
  html = markdown_lib.markdown(text, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
  return Markup(sanitise(html))


# Cached: the same text always gives the same HTML. ``render_markdown.cache`` is the cache.
render_markdown = cached_renderer(render_markdown_uncached)
