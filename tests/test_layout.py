"""The page layout: navigation, language, viewport, stylesheet, icon sprite, and no inline script (CSP)."""

import re
from pathlib import Path

import pytest

from prodmanager.state import app_state

# The layout does not depend on the database.
pytestmark = pytest.mark.one_backend

PAGES = ["/", "/scope", "/service", "/monitor", "/login", "/about", "/no/such/page"]


def get(webapp, path):
  return webapp.get(path, status=404 if path == "/no/such/page" else 200)


@pytest.mark.parametrize("path", PAGES)
def test_layout_elements(webapp, registry, path):
  page = get(webapp, path)
  text = page.text
  assert text.lstrip().startswith("<!DOCTYPE html>")
  assert re.search(r'<html lang="en">', text)
  assert '<meta charset="utf-8">' in text
  assert re.search(r'<meta name="viewport" content="width=device-width, initial-scale=1">', text)
  stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+app\.css(?:\?[^"]*)?)">', text)
  assert stylesheet
  assert webapp.get(stylesheet.group(1).replace("http://localhost", "")).content_type == "text/css"
  assert re.search(r"<title>[^<]+</title>", text)
  assert '<main id="main"' in text
  assert 'href="#main"' in text  # skip link
  nav = re.search(r'<nav class="site-nav"[^>]*>(.*?)</nav>', text, re.S).group(1)
  english = app_state(registry).catalogues.messages["en"]
  for name in ("scope", "service", "monitor"):
    assert f'href="/{name}"' in nav
    assert english[f"nav.{name}"] in nav
  assert nav.index('href="/scope"') < nav.index('href="/service"') < nav.index('href="/monitor"')
  assert 'href="/about"' in text and 'href="/api"' in text  # footer


@pytest.mark.parametrize("path", PAGES)
def test_the_sprite_holds_exactly_the_icons_the_page_uses(webapp, path):
  text = get(webapp, path).text
  used = set(re.findall(r'<use href="#([^"]+)"', text))
  defined = re.findall(r'<symbol id="([^"]+)"', text)
  assert used, "the page uses no icon"
  assert used <= set(defined), f"missing symbols: {sorted(used - set(defined))}"
  assert sorted(defined) == sorted(used), "each used icon once, and no other"
  assert text.count('class="icon-sprite"') == 1
  # Right after <body>, hidden: it draws nothing itself.
  assert re.search(
    r'<body[^>]*>\s*<svg xmlns="http://www.w3.org/2000/svg" class="icon-sprite"[^>]*aria-hidden="true"', text
  )


def test_the_sprite_follows_the_icons_of_the_page(webapp):
  """Two pages using different icons get different sprites, and every icon a template names
  literally is one the sprite source holds (a page the tests do not visit cannot miss one)."""
  from prodmanager.rendering import ICON_SYMBOL

  symbols = {
    name: re.findall(r'<symbol id="icon-([^"]+)"', get(webapp, name).text) for name in ("/", "/about")
  }
  assert symbols["/"] != symbols["/about"]
  root = Path(__file__).parents[1]
  source = (root / "prodmanager" / "templates" / "icons.jinja2").read_text()
  defined = set(ICON_SYMBOL.findall(source))
  assert len(defined) == source.count("<symbol ")
  named = {
    name
    for folder in (root / "prodmanager", root / "plugins")
    for template in folder.rglob("*.jinja2")
    for name in re.findall(r"""icon\(['"]([\w-]+)['"]""", template.read_text())
  }
  assert named and named <= defined, sorted(named - defined)


def test_current_navigation_entry_is_marked(webapp):
  nav = re.search(r'<nav class="site-nav".*?</nav>', webapp.get("/scope").text, re.S).group(0)
  assert re.search(r'<a href="/scope" aria-current="page">', nav)
  assert not re.search(r'<a href="/service" aria-current', nav)


def test_operator_navigation_entries_are_shown_to_operators_only(webapp, new_client, operator):
  nav = re.search(r'<nav class="site-nav".*?</nav>', webapp.get("/scope").text, re.S).group(0)
  assert re.search(r'<li class="nav-operator">\s*<a href="/integrations">', nav)
  assert nav.index('href="/scope"') < nav.index('href="/integrations"')  # after the public entries
  visitor = new_client().get("/scope").text
  assert 'href="/integrations"' not in visitor and "nav-operator" not in visitor


def test_login_link_for_visitors_logout_form_for_operators(webapp, operator):
  text = webapp.get("/scope").text
  assert 'action="/logout"' in text
  assert 'name="csrf_token"' in text


def test_custom_stylesheet_is_linked(build_app):
  text = build_app(custom_css_sheet="https://cdn.example.com/theme.css").get("/about").text
  assert '<link rel="stylesheet" href="https://cdn.example.com/theme.css">' in text


@pytest.mark.parametrize(
  "path", ["/", "/scope", "/service", "/monitor", "/login", "/about", "/api", "/no/such/page"]
)
def test_no_inline_script(webapp, path):
  text = webapp.get(path, status="*").text
  scripts = re.findall(r"<script\b([^>]*)>(.*?)</script\s*>", text, re.S | re.I)
  for attributes, body in scripts:
    assert re.search(r"\bsrc=", attributes), f"inline script on {path}"
    assert not body.strip()
  assert not re.search(r"<script\b(?![^>]*\bsrc=)", text, re.I)
  # No inline event handlers or javascript: URLs either.
  assert not re.search(r"\son[a-z]+\s*=", re.sub(r"<symbol.*?</symbol>", "", text, flags=re.S), re.I)
  assert "javascript:" not in text.lower()


def test_operator_pages_have_no_inline_script(webapp, operator, token_headers):
  scope = webapp.post("/api/scope/create", {"name": "Layout scope"}, headers=token_headers).json
  for path in (
    "/",
    "/scope",
    "/scope/create",
    f"/scope/{scope['id']}",
    f"/scope/{scope['id']}/update",
    f"/scope/{scope['id']}/delete",
  ):
    text = webapp.get(path).text
    assert not re.search(r"<script\b(?![^>]*\bsrc=)", text, re.I), path
    assert not re.search(r"\son[a-z]+\s*=", text, re.I), path
