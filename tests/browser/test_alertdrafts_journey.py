"""The alert-to-incident journey in a browser (docs/integrations.md#from-alert-to-incident-drafts): a
monitor alerts, the operator sees the dashboard banner, publishes the draft from /drafts, the monitor
recovers and the incident's page offers Resolve; at phone and desktop widths, in English and French.

The core's site leaves the alertdrafts plugin out (the suite's pinned plugins), so this journey runs
a server of its own with it. Every page passes the page-wide checks (console, raw keys, overflow at
phone width, axe-core).
"""

import json
import urllib.parse
import urllib.request

import pytest

from prodmanager.testing import TEST_SECRET, running_server

from .checks import BrowserPage
from .conftest import LOCALES, VIEWPORTS

# The header's navigation is the visitor pages' tests' business; a suggested name longer than a
# phone's text field scrolls inside the field, as any text field does.
HEADER = (".site-nav",)
FIELDS = (*HEADER, "input[type=text]")


@pytest.fixture(scope="module")
def drafts_site(tmp_path_factory, enabled_plugins):
  folder = tmp_path_factory.mktemp("drafts-site")
  env = {
    "PM_INSTANCE_PATH": str(folder / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_DEMO": "true",
    "PM_STANDALONE": "true",
    "PM_PLUGINS": " ".join(sorted({*enabled_plugins, "alertdrafts"})),
    "PM_ALERT_DRAFTS": "all",
  }
  with running_server(folder, env) as url:
    yield url


def call(site, method, path, body=None, token=None, form=False):
  headers = {"Authorization": f"Bearer {token}"} if token else {}
  data = None
  if body is not None:
    if form:
      data = urllib.parse.urlencode(body, doseq=True).encode()
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
      data = json.dumps(body).encode()
      headers["Content-Type"] = "application/json"
  request = urllib.request.Request(f"{site}{path}", data=data, headers=headers, method=method)
  with urllib.request.urlopen(request, timeout=10) as response:
    return json.loads(response.read())


def set_status(site, token, ident, status):
  call(site, "PATCH", f"/api/monitor/{ident}", {"status": status}, token)


@pytest.fixture
def operator_page(browser, drafts_site, axe_source):
  contexts = []

  def open_page(viewport="desktop", lang="en", operator=True) -> BrowserPage:
    context = browser.new_context(
      base_url=drafts_site, viewport=VIEWPORTS[viewport], locale=LOCALES[lang], bypass_csp=True
    )
    context.set_default_timeout(15_000)
    contexts.append(context)
    page = BrowserPage(context.new_page(), lang=lang, viewport=viewport, axe_source=axe_source)
    if operator:
      page.log_in(TEST_SECRET)
    return page

  yield open_page
  for context in contexts:
    context.close()


@pytest.mark.parametrize(("viewport", "lang"), [("desktop", "en"), ("phone", "fr")])
def test_alert_draft_publish_and_resolve(drafts_site, operator_page, viewport, lang):
  token = call(
    drafts_site,
    "POST",
    "/api/token/create",
    {
      "secret": TEST_SECRET,
      "name": f"browser{viewport}",
      "description": "the drafts journey",
      "permissions": ["monitor_api"],
    },
    form=True,
  )
  # Each run ends with its incident resolved: the next one may take the same monitor.
  monitor = call(drafts_site, "GET", "/api/monitor?status=ok&per_page=1")["items"][0]
  set_status(drafts_site, token, monitor["id"], "alert")

  page = operator_page(viewport, lang)
  page.goto(f"/monitor/{monitor['id']}")  # its Draft incidents box
  assert page.page.locator("#alertdrafts-choice").count() == 1
  page.check(overflow_allowed=HEADER)
  page.goto("/")
  banner = page.page.locator(".alertdrafts-banner")
  assert banner.count() == 1
  page.check(overflow_allowed=HEADER)
  banner.locator("a[href='/drafts']").click()
  page.page.wait_for_load_state("load")
  assert page.page.url.endswith("/drafts")
  draft = page.page.locator("article.draft", has=page.page.locator(f"a[href='/monitor/{monitor['id']}']"))
  assert draft.count() == 1
  page.page.locator("details summary").first.click()  # the fields to change the suggestion, opened
  page.check(overflow_allowed=FIELDS)
  draft.locator("form.draft-publish button[type=submit]").click()
  page.page.wait_for_load_state("load")
  assert "/incident/" in page.page.url
  page.check(overflow_allowed=HEADER)
  incident_path = urllib.parse.urlsplit(page.page.url).path

  # Visitors see the incident now, and nothing of where it came from.
  visitor = operator_page(viewport, lang, operator=False)
  visitor.goto(incident_path)
  assert visitor.page.locator(".alertdrafts-incident").count() == 0

  set_status(drafts_site, token, monitor["id"], "ok")
  page.goto(incident_path)
  resolve = page.page.locator("#alertdrafts-resolve button[type=submit]")
  assert resolve.count() == 1
  page.check(overflow_allowed=HEADER)
  resolve.click()
  page.page.wait_for_load_state("load")
  assert page.page.locator("#alertdrafts-resolve").count() == 0
  assert call(drafts_site, "GET", f"/api{incident_path}")["status"] == "resolved"
