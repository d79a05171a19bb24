"""The operator's journey in a browser (docs/user-guide.md#the-timeline): log in, create an incident,
post updates in one step through to resolved, comment internally, edit a comment, read the page as a
visitor, see every error of a form at once in French, delete with confirmation, and a refused delete.

Every page passes the page-wide checks (no console error, no raw translation key, no horizontal
overflow at phone width, no axe-core violation).
"""

import re

import pytest

from prodmanager.testing import TEST_SECRET

from .checks import BrowserPage, english_words
from .conftest import LOCALES, VIEWPORTS


@pytest.fixture
def operator_page(browser, site, axe_source):
  """``operator_page(viewport, lang)``: a logged-in page of its own browser context (closed after the
  test, so that no other test's page is logged in or out by this one)."""
  contexts = []

  def open_page(viewport="desktop", lang="en", scheme="light") -> BrowserPage:
    context = browser.new_context(
      base_url=site, viewport=VIEWPORTS[viewport], color_scheme=scheme, locale=LOCALES[lang], bypass_csp=True
    )
    context.set_default_timeout(15_000)
    contexts.append(context)
    page = BrowserPage(context.new_page(), lang=lang, viewport=viewport, axe_source=axe_source)
    page.goto("/login")
    page.page.fill("#login-form [name=secret]", TEST_SECRET)
    page.page.click("#login-form button[type=submit]")
    page.page.wait_for_load_state("load")
    assert page.page.locator("form.logout-form").count() == 1
    return page

  yield open_page
  for context in contexts:
    context.close()


# What these journeys check is the operators' content: the header's navigation (a row that scrolls
# sideways on phones until the compact menu replaces it) is the visitor pages' tests' business.
HEADER = (".site-nav",)


def check(page) -> None:
  page.check(overflow_allowed=HEADER)


def updates(page) -> list[tuple[str, str]]:
  """(status, message) of each public timeline entry, newest first."""
  items = page.page.locator("#timeline ol.timeline-updates > li")
  found = []
  for index in range(items.count()):
    item = items.nth(index)
    status = item.locator(".timeline-status")
    message = item.locator(".timeline-body .markdown")
    found.append(
      (
        status.inner_text().strip() if status.count() else "",
        message.inner_text().strip() if message.count() else "",
      )
    )
  return found


def post_update(page, status: str, message: str, internal: bool = False) -> None:
  form = page.page.locator("#comment-form")
  form.locator("#field-status").select_option(status)
  form.locator("#field-comment").fill(message)
  if internal:
    form.locator("#field-internal").check()
  form.locator("button[type=submit]").click()
  page.page.wait_for_load_state("load")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_operator_handles_an_incident_from_creation_to_deletion(
  operator_page, browser_page, screenshot, viewport
):
  operator = operator_page(viewport, "en")
  page = operator.page
  name = f"Browser journey {viewport}"

  # The create form starts active, the start of impact empty meaning "now".
  operator.goto("/incident/create")
  assert page.locator("#field-status").input_value() == "active"
  assert page.locator("#field-start_impact_date-help").inner_text().startswith("Empty: now")
  check(operator)
  page.fill("#field-name", name)
  page.select_option("#field-severity", "high")
  page.locator("#field-scope").select_option(index=1)
  page.locator("#field-service").select_option(index=1)
  page.locator("form.form button[type=submit]").click()
  page.wait_for_load_state("load")
  assert re.search(r"/incident/\d+$", page.url), page.url
  incident_path = page.url.split(page.url.split("/incident/")[0], 1)[1]
  assert f"“{name}” was created." in page.locator(".flashes").inner_text()
  check(operator)

  # Updates in one step, through to resolved, and an internal comment.
  post_update(operator, "investigating", "We are looking at the storage controllers.")
  assert "Your update was posted." in page.locator(".flashes").inner_text()
  post_update(operator, "investigating", "Vendor ticket 4242", internal=True)
  post_update(operator, "stable", "A workaround is in place.")
  post_update(operator, "resolved", "Fixed for good.")
  assert updates(operator)[:4] == [
    ("Resolved", "Fixed for good."),
    ("Stable", "A workaround is in place."),
    ("", "Vendor ticket 4242"),
    ("Investigating", "We are looking at the storage controllers."),
  ]
  internal = page.locator("#timeline li.is-internal .timeline-internal-label")
  assert internal.inner_text().strip().lower() == "internal comment — visible to operators only"
  page.locator("details.timeline-technical > summary").click()
  check(operator)
  if viewport == "desktop":
    screenshot(operator, "operator-incident")

  # Edit the last message.
  page.locator("#timeline ol.timeline-updates > li").first.locator(".timeline-actions a").first.click()
  page.wait_for_load_state("load")
  check(operator)
  page.fill("#field-comment", "Fixed for good: the controller firmware was upgraded.")
  page.locator("form.form button[type=submit]").click()
  page.wait_for_load_state("load")
  assert "The comment was updated." in page.locator(".flashes").inner_text()
  assert updates(operator)[0] == ("Resolved", "Fixed for good: the controller firmware was upgraded.")

  # The visitor reads the public updates, never the internal comment or the technical events.
  visitor = browser_page(viewport, "dark", "en")
  visitor.goto(incident_path)
  seen = updates(visitor)
  assert ("Resolved", "Fixed for good: the controller firmware was upgraded.") in seen
  assert all("4242" not in message for _, message in seen)
  assert visitor.page.locator(".timeline-technical, #comment-form").count() == 0
  check(visitor)

  # Delete, after the confirmation page.
  operator.goto(incident_path)
  page.locator(".page-header a.button-danger").click()
  page.wait_for_load_state("load")
  check(operator)
  page.locator("form.confirm-delete button[type=submit]").click()
  page.wait_for_load_state("load")
  assert f"“{name}” was deleted." in page.locator(".flashes").inner_text()
  operator.goto(incident_path, status=404)


def test_form_errors_come_back_at_once_in_french(operator_page):
  operator = operator_page("desktop", "fr")
  page = operator.page
  operator.goto("/maintenance/create")
  page.fill("#field-name", "abc")
  page.fill("#field-scheduled_start_date", "2030-05-02T10:00")
  page.fill("#field-scheduled_end_date", "2030-05-01T10:00")
  operator.expected_status = 400  # the browser logs the answer's status
  page.locator("form.form button[type=submit]").click()
  page.wait_for_load_state("load")
  errors = {
    field: page.locator(f"#field-{field}-errors").inner_text().strip()
    for field in ("name", "service_status", "scope", "service", "scheduled_end_date")
  }
  assert errors["scheduled_end_date"] == "ne doit pas précéder « Début prévu »", errors
  assert errors["name"] == "doit comporter au moins 4 caractères"
  alert = page.locator(".alert-error").inner_text()
  for text in [alert, *errors.values()]:
    assert english_words(text) == [], text
  check(operator)


def test_a_refused_delete_lists_what_blocks_it(operator_page):
  operator = operator_page("phone", "en")
  page = operator.page
  operator.goto("/scope/1/delete")
  operator.expected_status = 403  # the browser logs the answer's status
  page.locator("form.confirm-delete button[type=submit]").click()
  page.wait_for_load_state("load")
  assert page.locator("form.confirm-delete").count() == 0
  links = page.locator(".delete-blockers li a")
  assert links.count() >= 1
  check(operator)
  links.first.click()
  page.wait_for_load_state("load")
  assert "scope=1" in page.url
