"""Markdown: the extensions of 0.22, and sanitising of everything a visitor could be attacked with."""

import gc
import re
import tracemalloc

import pytest
from markupsafe import Markup

from prodmanager.markdown import CACHE_BYTES, cached_renderer, render_markdown, render_markdown_uncached

# Rendering does not depend on the database.
pytestmark = pytest.mark.one_backend


def render(text: str) -> str:
  html = render_markdown(text)
  assert isinstance(html, Markup)  # safe to put in a template as is
  return str(html)


def test_empty_text():
  assert render("") == ""
  assert str(render_markdown(None)) == ""


def test_tables():
  html = render("| name | status |\n|:---|---:|\n| api | up |")
  assert "<table>" in html
  assert re.search(r"<th[^>]*>name</th>", html)
  assert re.search(r"<td[^>]*>api</td>", html)
  assert re.search(r"<td[^>]*>up</td>", html)


def test_sane_lists():
  html = render("1. first\n2. second\n\n* bullet\n* other")
  assert re.search(r"<ol>\s*<li>first</li>\s*<li>second</li>\s*</ol>", html)
  assert re.search(r"<ul>\s*<li>bullet</li>\s*<li>other</li>\s*</ul>", html)


def test_sane_lists_do_not_mix_list_types():
  # Without sane_lists, the bullet would become a second item of the ordered list.
  html = render("1. ordered\n\n* bullet")
  assert re.search(r"<ol>\s*<li>ordered</li>\s*</ol>", html)
  assert re.search(r"<ul>\s*<li>bullet</li>\s*</ul>", html)


def test_ordered_list_start_is_kept():
  assert '<ol start="3">' in render("3. third\n4. fourth")


def test_newline_becomes_br():
  assert re.search(r"<p>first line<br\s*/?>\s*second line</p>", render("first line\nsecond line"))


def test_fenced_code_is_highlighted_with_pygments_classes():
  html = render("```python\ndef check():\n    return 'ok'\n```")
  assert 'class="codehilite"' in html
  assert "<pre>" in html
  assert '<span class="k">def</span>' in html  # Pygments token classes
  assert '<span class="nf">check</span>' in html


def test_inline_formatting():
  html = render("**bold**, *italic* and `code`")
  assert "<strong>bold</strong>" in html
  assert "<em>italic</em>" in html
  assert "<code>code</code>" in html


def test_links_get_rel_noopener():
  html = render("[docs](https://example.com/docs) and <https://example.org>")
  links = re.findall(r"<a [^>]*>", html)
  assert len(links) == 2
  for link in links:
    assert 'rel="noopener noreferrer nofollow"' in link
  assert 'href="https://example.com/docs"' in html


@pytest.mark.parametrize(
  "payload",
  [
    "<script>alert(1)</script>",
    "before <script src=https://evil.example/x.js></script> after",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<span style="position:fixed;top:0">overlay</span>',
    '<div onclick="alert(1)">click</div>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example"><input name="secret"></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    "![img](javascript:alert(1))",
    '"><img src=x onerror=alert(1)>',
  ],
)
def test_xss_payloads_are_neutralised(payload):
  html = render(payload).lower()
  for forbidden in (
    "<script",
    "<iframe",
    "<svg",
    "<img",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<meta",
    "<link",
    "<style",
    "<math",
    "javascript:",
    "vbscript:",
    "data:",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "style=",
  ):
    assert forbidden not in html, f"{forbidden!r} survived in {html!r}"


def test_sanitising_keeps_the_safe_text():
  html = render("Hello <script>alert(1)</script>**world**")
  assert "Hello" in html
  assert "<strong>world</strong>" in html


def test_escaped_html_in_code_stays_text():
  html = render("`<script>alert(1)</script>`")
  assert "<script" not in html
  assert "&lt;script&gt;" in html


def test_rendered_description_on_a_page_is_sanitised(webapp, token_headers, dbsession):
  from prodmanager_scope.models import Scope

  description = (
    "**Main** site\n\n<script>alert('xss')</script><img src=x onerror=alert(1)>[x](javascript:alert(2))"
  )
  created = webapp.post_json(
    "/api/scope/create", {"name": "XSS check", "description": description}, headers=token_headers
  ).json
  assert dbsession.get(Scope, created["id"]).description == description  # stored as written
  page = webapp.get(f"/scope/{created['id']}")
  assert "<strong>Main</strong>" in page.text
  assert "alert('xss')" not in page.text
  assert "onerror" not in page.text
  assert "javascript:alert(2)" not in page.text


# -- the render cache --------------------------------------------------------------------------------


def retained_after(action) -> int:
  """Bytes still allocated after ``action()``, garbage collected (what a cache keeps)."""
  gc.collect()
  tracemalloc.start()
  try:
    before = tracemalloc.get_traced_memory()[0]
    action()
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before
  finally:
    tracemalloc.stop()


def test_render_cache_is_bounded_by_the_memory_of_its_entries():
  cache_bytes = 256 * 1024
  render = cached_renderer(render_markdown_uncached, cache_bytes)
  render("warm *up*: the first rendering loads extensions once for all")

  def render_distinct_texts():
    for number in range(300):
      render(f"description {number}: " + "word " * 1200)  # 6 KiB each: 1.8 MB of text in all

  retained = retained_after(render_distinct_texts)
  assert render.cache.currsize <= cache_bytes
  assert retained < 2 * cache_bytes, f"{retained} bytes kept by a cache of {cache_bytes}"
  # It is still a cache: the latest texts are served from it, without rendering again.
  latest = "description 299: " + "word " * 1200
  assert render(latest) is render(latest)


def test_render_cache_leaves_out_what_would_take_a_large_share_of_it():
  render = cached_renderer(render_markdown_uncached, 16 * 1024)
  small, huge = "a *small* text", "word " * 1000  # about 5 KiB of HTML: more than a sixteenth
  assert render(small) is render(small)
  assert render(huge) == render(huge) and render(huge) is not render(huge)
  assert len(render.cache) == 1


def test_the_application_cache_is_bounded_in_bytes():
  assert render_markdown.cache.maxsize == CACHE_BYTES
  assert render_markdown.cache.getsizeof(render_markdown("a *text*")) > 0
