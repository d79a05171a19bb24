"""The footer's language switcher and auto-reload toggle (cookies), the site logo, plurals."""

import pytest

pytestmark = pytest.mark.one_backend


def test_the_language_switcher_is_remembered_in_a_cookie(webapp):
  page = webapp.get("/about")
  links = {link["lang"]: link["href"] for link in page.html.select(".language-switcher a")}
  assert links == {"en": "/preferences?lang=en&next=/about", "fr": "/preferences?lang=fr&next=/about"}
  assert page.html.select_one(".language-switcher a[aria-current]")["lang"] == "en"
  response = webapp.get(links["fr"], status=303)
  assert response.headers["Location"].endswith("/about")
  assert (
    "pm_lang=fr" in response.headers["Set-Cookie"] and "Max-Age=31536000" in response.headers["Set-Cookie"]
  )
  french = webapp.get("/about", headers={"Accept-Language": "en"})
  assert french.html.select_one("html")["lang"] == "fr"
  assert french.html.select_one(".language-switcher a[aria-current]")["lang"] == "fr"
  webapp.get("/preferences?lang=en&next=/", status=303)
  assert webapp.get("/about").html.select_one("html")["lang"] == "en"


def test_auto_reload_toggle(webapp):
  page = webapp.get("/")
  toggle = page.html.select_one(".auto-reload-toggle")
  assert toggle["aria-checked"] == "false" and toggle["href"] == "/preferences?auto_reload=on&next=/"
  assert page.html.select_one("body").get("data-auto-reload") is None
  webapp.get(toggle["href"], status=303)
  page = webapp.get("/")
  assert page.html.select_one("body")["data-auto-reload"] == "60"
  assert page.html.select_one('script[src*="auto-reload.js"]')
  assert page.html.select_one("noscript meta[http-equiv=refresh]")["content"] == "60"
  assert page.html.select_one(".auto-reload-toggle")["aria-checked"] == "true"
  # Forms are never reloaded.
  assert webapp.get("/login").html.select_one("body").get("data-auto-reload") is None
  webapp.get("/preferences?auto_reload=off&next=/", status=303)
  assert webapp.get("/").html.select_one("body").get("data-auto-reload") is None


@pytest.mark.parametrize("query", ["", "lang=de", "auto_reload=maybe", "lang=fr&auto_reload=2"])
def test_a_wrong_preference_is_a_400(webapp, query):
  page = webapp.get(f"/preferences?{query}", status=400)
  assert "Set-Cookie" not in page.headers or "pm_" not in page.headers["Set-Cookie"]


def test_the_return_address_stays_on_the_site(webapp):
  assert webapp.get("/preferences?lang=fr&next=//evil.example", status=303).headers["Location"].endswith("/")
  assert (
    "evil"
    not in webapp.get("/preferences?lang=fr&next=https://evil.example/", status=303).headers["Location"]
  )


def test_site_logo_from_a_url_or_a_file(build_app, tmp_path):
  client = build_app(site_logo="https://cdn.example.com/logo.svg", site_name="Acme status")
  page = client.get("/about")
  assert page.html.select_one(".brand img")["src"] == "https://cdn.example.com/logo.svg"
  assert page.html.select_one(".brand").get_text(strip=True) == "Acme status"
  logo = tmp_path / "logo.png"
  logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
  client = build_app(site_logo=str(logo))
  assert client.get("/about").html.select_one(".brand img")["src"] == "/site-logo"
  served = client.get("/site-logo")
  assert served.content_type == "image/png" and served.body == logo.read_bytes()


def test_without_a_logo_the_product_icon_and_no_logo_route(webapp):
  page = webapp.get("/about")
  assert page.html.select_one(".brand img") is None and page.html.select_one(".brand svg")
  webapp.get("/site-logo", status=404)


@pytest.mark.parametrize("value", ["logo.png", "ftp://example.com/logo.png"])
def test_a_wrong_logo_setting_is_refused(value):
  from prodmanager.settings import parse_logo

  with pytest.raises(ValueError, match="http"):
    parse_logo(value)


def test_a_logo_file_must_be_an_image(tmp_path):
  from prodmanager.settings import parse_logo

  text = tmp_path / "notes.txt"
  text.write_text("x")
  with pytest.raises(ValueError, match="image file"):
    parse_logo(str(text))


@pytest.mark.parametrize(
  ("lang", "count", "expected"),
  [
    ("en", 1, "(1 item)"),
    ("en", 2, "(2 items)"),
    ("en", 0, "(0 items)"),
    ("fr", 1, "(1 élément)"),
    ("fr", 0, "(0 élément)"),
    ("fr", 2, "(2 éléments)"),
  ],
)
def test_plurals(registry, lang, count, expected):
  from prodmanager.state import app_state

  text = app_state(registry).catalogues.translate(lang, "pagination.page_of", page=1, pages=1, total=count)
  assert text.endswith(expected)


def test_footer_follow_links(webapp):
  links = [link["href"] for link in webapp.get("/about").html.select(".footer-follow a")]
  # The notification plugin is not enabled in the core's suite: no subscribe link to a missing page.
  assert links == ["/history.atom", "/history.rss", "/maintenance.ics"]


def test_not_found_page_says_it_once(webapp):
  page = webapp.get("/no/such/page", status=404)
  main = page.html.select_one("main").get_text(" ", strip=True)
  assert main.count("Page not found") == 1
  assert "does not exist" in main
