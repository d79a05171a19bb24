"""The pages with bars in Debian's Chromium (Playwright), on a live server with the demo data and
this plugin: no axe-core violation, nothing cut sideways on a phone, a phone keeps the last 30
days of each inline bar while a desktop shows 90, and the components' bar images load and take the
component's width. Skipped (failed in CI) without Chromium or axe-core, as
the browser tests of tests/browser are."""

import os
from pathlib import Path

import pytest

from prodmanager.testing import TEST_SECRET, missing_service, running_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("PM_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
AXE_SCRIPT = """
async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
}
"""
# Elements wider than the viewport (a phone must not scroll sideways).
OVERFLOW_SCRIPT = """
() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map((el) => el.tagName + '.' + el.className)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, enabled_plugins):
  folder = tmp_path_factory.mktemp("availability-site")
  env = {
    "PM_INSTANCE_PATH": str(folder / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_DEMO": "true",
    "PM_PLUGINS": " ".join(enabled_plugins),
  }
  with running_server(folder, env) as url:
    yield url


@pytest.fixture(scope="module")
def browser(playwright_instance):
  # The process's one Playwright (prodmanager.testing), shared with tests/browser.
  if not CHROMIUM.exists():
    missing_service(f"Chromium is not installed at {CHROMIUM}")
  if not AXE.exists():
    missing_service(f"axe-core is not installed at {AXE} (make install-test installs it with npm)")
  browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
  yield browser
  browser.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_with_bars(browser, site, viewport, scheme):
  context = browser.new_context(
    base_url=site, viewport=VIEWPORTS[viewport], color_scheme=scheme, bypass_csp=True
  )
  page = context.new_page()
  try:
    for path in ("/", "/scope/1", "/service/1", "/monitor/1"):
      page.goto(path)
      if path == "/":
        # The components are folded: open them all, as a visitor would.
        page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
      if path == "/":
        # The components' bars are images, loaded, stretched to the component's width.
        images = page.locator(".component-bar img")
        assert images.count() > 0
        images.first.scroll_into_view_if_needed()
        page.wait_for_function(
          "(img) => img.complete && img.naturalWidth > 0", arg=images.first.element_handle()
        )
        box, bar = images.first.bounding_box(), page.locator(".component-bar").first.bounding_box()
        assert abs(box["width"] - bar["width"]) < 1 and box["height"] > 10, (viewport, box, bar)
      else:
        bars = page.locator(".day-bars")
        assert bars.count() > 0, path
        visible = bars.first.locator("li:visible").count()
        assert visible == (30 if viewport == "phone" else 90), (path, viewport, visible)
      page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
      assert page.evaluate(AXE_SCRIPT) == [], (path, viewport, scheme)
      if viewport == "phone":
        assert page.evaluate(OVERFLOW_SCRIPT) == [], path
  finally:
    context.close()
