"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

One browser and one server per test session (per xdist worker); pages are reused per
(viewport, colour scheme, language) so that a journey costs page loads, not browser starts.
Chromium is ``/usr/bin/chromium`` (the Debian package, installed by ``make test``; never a browser
downloaded by Playwright), axe-core is the npm package the Makefile installs in ``.cache/npm``.
When either is missing the tests skip loudly, and fail in CI (``missing_service``).

Fixtures for journeys:

- ``site``: the live server's base URL (demo data loaded, administrator secret ``TEST_SECRET``);
- ``browser_page(viewport="desktop"|"phone", scheme="light"|"dark", lang="en"|"fr", operator=False)``:
  a :class:`BrowserPage` (``.page`` is the Playwright page, ``.goto(path)``, ``.check(...)``);
- ``screenshot(page, name)``: writes ``name.png`` (into docs/images with ``PM_TEST_SCREENSHOTS=1``,
  which ``make screenshots`` sets; into the test's temporary folder otherwise).
"""

import os
from pathlib import Path

import pytest

from prodmanager.testing import TEST_SECRET, missing_service, running_server

from .checks import BrowserPage

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("PM_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
DOCS_IMAGES = ROOT / "docs" / "images"
# Debian's Chromium in a container run as root: no sandbox, no GPU, and nothing that calls home.
CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-GB", "fr": "fr-FR"}


def pytest_collection_modifyitems(config, items):
  for item in items:
    if "tests/browser/" in item.nodeid.replace("\\", "/"):
      item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(playwright_instance):
  """Debian's Chromium, headless, one per session (``playwright_instance``: prodmanager.testing)."""
  if not CHROMIUM.exists():
    missing_service(
      f"Chromium is not installed at {CHROMIUM} (make test installs the Debian package as root)"
    )
  browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
  yield browser
  browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
  if not AXE.exists():
    missing_service(f"axe-core is not installed at {AXE} (make install-test installs it with npm)")
  return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def site(tmp_path_factory, enabled_plugins):
  """A live server with the demo data on a fresh SQLite database: its base URL."""
  folder = tmp_path_factory.mktemp("browser-site")
  env = {
    "PM_INSTANCE_PATH": str(folder / "instance"),
    "PM_SECRET_KEY": TEST_SECRET,
    "PM_DEMO": "true",
    "PM_STANDALONE": "true",
    "PM_PLUGINS": " ".join(enabled_plugins),
    "PM_TIMEZONE": "Europe/Paris",
  }
  with running_server(folder, env) as url:
    yield url


@pytest.fixture(scope="session")
def _pages(browser, site, axe_source):
  opened: dict[tuple, BrowserPage] = {}

  def open_page(viewport="desktop", scheme="light", lang="en", operator=False) -> BrowserPage:
    key = (viewport, scheme, lang, operator)
    if key not in opened:
      context = browser.new_context(
        base_url=site,
        viewport=VIEWPORTS[viewport],
        color_scheme=scheme,
        locale=LOCALES[lang],
        # axe is injected as an inline script, which the site's CSP (rightly) refuses.
        bypass_csp=True,
      )
      context.set_default_timeout(15_000)
      page = BrowserPage(context.new_page(), lang=lang, viewport=viewport, axe_source=axe_source)
      if operator:
        page.log_in(TEST_SECRET)
      opened[key] = page
    return opened[key]

  yield open_page
  for browser_page in opened.values():
    browser_page.page.context.close()


@pytest.fixture
def browser_page(_pages):
  """``browser_page(viewport, scheme, lang, operator)``: a reused page, its console log cleared."""

  def get(viewport="desktop", scheme="light", lang="en", operator=False) -> BrowserPage:
    page = _pages(viewport, scheme, lang, operator)
    page.console_errors.clear()
    return page

  return get


@pytest.fixture
def screenshot(tmp_path):
  """``screenshot(browser_page, name)``: a full-page PNG of the page as it is now; its path."""
  folder = DOCS_IMAGES if os.environ.get("PM_TEST_SCREENSHOTS") else tmp_path

  def take(browser_page: BrowserPage, name: str, full_page: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    browser_page.page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path

  return take
