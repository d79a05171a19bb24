"""The browser suite's own checks find what they are meant to find, and the site passes them."""

from .checks import english_words


def test_overflow_check_names_the_box_that_cuts_its_content(browser_page):
  page = browser_page("phone")
  page.goto("/about")
  page.page.evaluate(
    "document.querySelector('main').insertAdjacentHTML('beforeend',"
    ' \'<div id="cut" style="overflow-x:auto"><table><tr><td style="min-width:900px">x</td></tr></table></div>'
    '<p id="wide" style="width:800px">wide</p>\')'
  )
  found = page.overflow()
  assert any(line.startswith("div#cut holds") for line in found), found
  assert any(line.startswith("p#wide ends at") for line in found), found
  # The cell inside the reported box is not reported again.
  assert not any(line.startswith("td") for line in found), found


def test_raw_key_and_axe_checks_find_problems(browser_page):
  page = browser_page()
  page.goto("/about")
  page.page.evaluate(
    "document.querySelector('main').insertAdjacentHTML('beforeend',"
    ' \'<p>nav.skip</p><img src="/favicon.ico"><p style="color:#eee">faint</p>\')'
  )
  assert page.raw_keys() == ["nav.skip"]
  ids = {violation["id"] for violation in page.axe_violations()}
  assert {"image-alt", "color-contrast"} <= ids


def test_console_errors_are_recorded(browser_page):
  page = browser_page()
  page.goto("/about")
  page.page.evaluate("console.error('broken')")
  assert any("broken" in line for line in page.console_errors)
  page.console_errors.clear()


def test_english_words_in_a_french_message():
  assert english_words("Ce champ est obligatoire.") == []
  assert english_words("Le champ Nom must not be empty") == ["be", "must", "not"]


def test_favicon_and_site_pages_pass_at_desktop(browser_page):
  page = browser_page()
  for path in ("/", "/about", "/login"):
    page.goto(path)
    page.check()
  response = page.page.request.get("/favicon.ico")
  assert response.status == 200
  assert response.headers["content-type"] == "image/x-icon"
  assert response.body()[:4] == b"\x00\x00\x01\x00"
