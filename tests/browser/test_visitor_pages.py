"""Every public page, as a visitor sees it: desktop and phone, light and dark, English and French.

Each page passes the page-wide checks (no console error, no raw translation key, no horizontal
overflow at phone width, no axe-core violation); the header holds one line at 1024 px and wider.
"""

import pytest

PAGES = [
  "/",
  "/scope",
  "/scope/1",
  "/service",
  "/service/1",
  "/monitor",
  "/monitor/1",
  "/incident",
  "/incident/1",
  "/maintenance",
  "/maintenance/1",
  "/announcement",
  "/announcement/1",
  "/about",
  "/login",
]
# Swagger UI's widget is not ours (nested controls, its colours): axe checks the page around it.
API_EXCLUDED = ("#swagger-ui",)

# axe-core is the slow check: every page in the first combination, these in the others (the colours
# of dark mode, the phone layout).
AXE_EVERYWHERE = {"/", "/scope/1", "/incident", "/incident/1", "/maintenance/1", "/monitor/1"}

COMBINATIONS = [
  ("desktop", "light", "en"),
  ("desktop", "dark", "fr"),
  ("phone", "light", "fr"),
  ("phone", "dark", "en"),
]


@pytest.mark.parametrize(("viewport", "scheme", "lang"), COMBINATIONS)
def test_public_pages_pass_every_check(browser_page, viewport, scheme, lang):
  page = browser_page(viewport, scheme, lang)
  failures = []
  every = (viewport, scheme, lang) == COMBINATIONS[0]
  for path in PAGES:
    page.goto(path)
    try:
      page.check(axe=every or path in AXE_EVERYWHERE)
    except AssertionError as error:
      failures.append(str(error))
  page.goto("/api")
  page.page.wait_for_selector("#swagger-ui .opblock", timeout=30_000)
  try:
    page.check(axe_exclude=API_EXCLUDED, overflow_allowed=(".swagger-card",))
  except AssertionError as error:
    failures.append(str(error))
  page.goto("/no/such/page", status=404)
  try:
    page.check()
  except AssertionError as error:
    failures.append(str(error))
  assert not failures, "\n".join(failures)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("width", [1024, 1280, 1440])
def test_the_header_holds_one_line_from_1024_px(browser_page, lang, width):
  page = browser_page("desktop", "light", lang)
  page.page.set_viewport_size({"width": width, "height": 900})
  try:
    page.goto("/")
    tops = page.page.evaluate(
      "[...document.querySelectorAll('.site-header .brand, .site-nav li, .site-user')]"
      ".map((el) => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))"
    )
    assert max(tops) - min(tops) <= 4, f"header items on several lines at {width} px ({lang}): {tops}"
  finally:
    page.page.set_viewport_size({"width": 1366, "height": 900})


def test_language_switcher_and_auto_reload_in_the_browser(browser, site, axe_source):
  """The footer's preferences are plain links (no JavaScript); their cookies change the pages, cached
  or not, and auto-reload keeps the scroll position."""
  from .checks import BrowserPage

  context = browser.new_context(
    base_url=site, viewport={"width": 1366, "height": 700}, locale="en-GB", bypass_csp=True
  )
  try:
    page = BrowserPage(context.new_page(), lang="en", viewport="desktop", axe_source=axe_source)
    page.goto("/")
    page.goto("/")  # now from the cache
    page.page.locator(".language-switcher a[lang=fr]").click()
    page.page.wait_for_load_state("load")
    assert page.page.locator("html").get_attribute("lang") == "fr"
    page.goto("/incident")
    assert page.page.locator("html").get_attribute("lang") == "fr"
    page.page.locator(".language-switcher a[lang=en]").click()
    page.page.wait_for_load_state("load")
    assert page.page.locator("html").get_attribute("lang") == "en"
    page.goto("/")
    assert page.page.locator("body").get_attribute("data-auto-reload") is None
    page.page.locator(".auto-reload-toggle").click()
    page.page.wait_for_load_state("load")
    assert page.page.locator("body").get_attribute("data-auto-reload") == "60"
    # The reload puts the page back where it was (the timer is not waited for: it is the same code).
    page.page.evaluate("window.scrollTo(0, 600)")
    page.page.evaluate(
      "sessionStorage.setItem('pm-scroll:' + location.pathname + location.search, String(window.scrollY))"
    )
    page.page.reload(wait_until="load")
    assert page.page.evaluate("Math.round(window.scrollY)") == 600
    page.check()
    page.page.locator(".auto-reload-toggle").click()
    page.page.wait_for_load_state("load")
    assert page.page.locator("body").get_attribute("data-auto-reload") is None
  finally:
    context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_lists_fit_at_1024_px(browser_page, lang):
  page = browser_page("desktop", "light", lang)
  page.page.set_viewport_size({"width": 1024, "height": 800})
  try:
    for path in ("/incident", "/maintenance", "/monitor", "/announcement", "/scope"):
      page.goto(path)
      cut = page.overflow()
      assert not cut, f"{path} at 1024 px ({lang}): {cut}"
      # The last column (the incidents' duration) is inside the card.
      assert page.page.locator("table th").last.is_visible()
  finally:
    page.page.set_viewport_size({"width": 1366, "height": 900})
