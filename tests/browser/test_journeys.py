"""The journeys of the user guide, in a real browser, with every page checked on the way.

Visitor: dashboard → a scope → one of its incidents → the feed link. Operator: log in, create an
incident, post updates through to resolved, comment internally, check what an anonymous visitor
sees, delete with confirmation. At desktop (1366×900) and phone (390×844) widths, light and dark,
English and French.
"""

import pytest

from .checks import english_words

COMBINATIONS = [
  ("desktop", "light", "en"),
  ("desktop", "dark", "fr"),
  ("phone", "light", "fr"),
  ("phone", "dark", "en"),
]


def open_menu_if_folded(page):
  """On a phone the navigation is folded behind the Menu button (a checkbox label, no JavaScript)."""
  label = page.page.locator(".nav-toggle-label")
  if label.is_visible():
    label.click()
    assert page.page.locator("#site-nav").is_visible()


@pytest.mark.parametrize(("viewport", "scheme", "lang"), COMBINATIONS)
def test_visitor_journey(browser_page, viewport, scheme, lang):
  page = browser_page(viewport, scheme, lang)
  page.goto("/")
  page.check()
  # A component group opens without JavaScript and lists its services.
  group = page.page.locator("details.component-group").first
  group.locator("summary").click()
  assert group.locator(".component").count() > 0
  # Into the scope of the first ongoing incident (through the Scopes list), then the incident itself.
  first = page.page.locator(".panel-incidents-ongoing li").first
  incident_name = first.locator("a").inner_text().strip()
  scope_name = first.locator(".panel-meta").inner_text().split(" · ")[0].strip()
  open_menu_if_folded(page)
  page.page.locator("#site-nav a[href='/scope']").click()
  page.page.wait_for_load_state("load")
  page.check()
  page.page.locator("main table a", has_text=scope_name).first.click()
  page.page.wait_for_load_state("load")
  page.check()
  assert page.page.locator("h1").inner_text().strip() == scope_name
  assert page.page.locator(".banner").is_visible()
  page.page.locator(".panel-incidents-ongoing li a", has_text=incident_name).click()
  page.page.wait_for_load_state("load")
  page.check()
  assert page.page.locator("h1").inner_text().strip() == incident_name
  assert page.page.locator("ol.milestones").is_visible()
  # The feed link of the footer answers an Atom document that names the incident.
  feed = page.page.locator(".footer-follow a[href='/history.atom']")
  assert feed.is_visible()
  response = page.page.request.get(feed.get_attribute("href"))
  assert response.status == 200 and "atom" in response.headers["content-type"]
  assert incident_name in response.text()


@pytest.mark.parametrize(("viewport", "scheme", "lang"), [COMBINATIONS[0], COMBINATIONS[2]])
def test_operator_journey(browser_page, _pages, viewport, scheme, lang):
  page = browser_page(viewport, scheme, lang, operator=True)
  name = f"Journey {viewport} {lang}: API latency"
  page.goto("/incident/create")
  page.check()
  form = page.page.locator("main form")
  # Submitting the empty form answers 400 with the errors next to the fields, in the page's language.
  page.expected_status = 400
  form.locator("button[type=submit]").click()
  page.page.wait_for_load_state("load")
  errors = page.page.locator(".field-error, .form-errors").all_inner_texts()
  assert errors, "the empty form was accepted"
  if lang == "fr":
    assert not english_words(" ".join(errors)), f"untranslated English in French errors: {errors}"
  page.check()
  page.expected_status = 200
  form = page.page.locator("main form")
  form.locator("[name=name]").fill(name)
  form.locator("[name=severity]").select_option("high")
  form.locator("[name=scope]").select_option(index=1)
  form.locator("[name=service]").select_option(index=1)
  form.locator("[name=description]").fill("Requests to the **API** take seconds.")
  form.locator("button[type=submit]").click()
  page.page.wait_for_load_state("load")
  assert page.page.locator("h1").inner_text().strip() == name
  detail_url = page.page.url
  page.check()
  for status in ("investigating", "stable", "resolved"):
    page.page.locator(".page-header a[href$='/update']").click()
    page.page.wait_for_load_state("load")
    page.page.locator("main form [name=status]").select_option(status)
    page.page.locator("main form button[type=submit]").click()
    page.page.wait_for_load_state("load")
    assert page.page.url == detail_url
    assert page.page.locator(f"dl.properties .badge-incident_status-{status}").count() == 1
  page.check()
  # An internal comment, seen by operators only.
  comment = page.page.locator("#comment-form")
  comment.locator("[name=comment]").fill("Root cause: a saturated connection pool.")
  comment.locator("[name=internal]").check()
  comment.locator("button[type=submit]").click()
  page.page.wait_for_load_state("load")
  assert page.page.get_by_text("Root cause: a saturated connection pool.").is_visible()
  page.check()
  # An anonymous visitor sees the incident, resolved, without the internal comment or the forms.
  anonymous = browser_page(viewport, scheme, lang)
  anonymous.goto(detail_url.replace(page.page.url.split("/incident")[0], ""))
  anonymous.check()
  assert anonymous.page.locator("h1").inner_text().strip() == name
  assert anonymous.page.locator("dl.properties .badge-incident_status-resolved").count() == 1
  assert anonymous.page.get_by_text("saturated connection pool").count() == 0
  assert anonymous.page.locator("#comment-form, .page-header a[href$='/delete']").count() == 0
  # Delete, confirmed on its own page.
  page.page.locator(".page-header a[href$='/delete']").click()
  page.page.wait_for_load_state("load")
  page.check()
  page.page.locator("main form button[type=submit]").click()
  page.page.wait_for_load_state("load")
  assert not page.page.url.startswith(detail_url)
  assert page.page.request.get(detail_url).status == 404


def test_screenshots_of_the_main_pages(browser_page, screenshot):
  """The screenshots of docs/user-guide.md (written there by ``make screenshots``)."""
  desktop = browser_page("desktop", "light", "en")
  for path, name in [
    ("/", "dashboard"),
    ("/scope/3", "scope"),
    ("/incident/1", "incident"),
    ("/maintenance/1", "maintenance"),
  ]:
    desktop.goto(path)
    assert screenshot(desktop, name).stat().st_size > 10_000
  phone = browser_page("phone", "light", "en")
  phone.goto("/incident")
  assert screenshot(phone, "incident-list-phone").stat().st_size > 10_000
  dark = browser_page("phone", "dark", "fr")
  dark.goto("/")
  assert screenshot(dark, "dashboard-phone-dark-fr", full_page=False).stat().st_size > 10_000
  operator = browser_page("desktop", "light", "en", operator=True)
  operator.goto("/incident/2")
  assert screenshot(operator, "incident-operator").stat().st_size > 10_000
