"""The operator's header and the integrations page in Chromium: an operator's navigation has more
links (Integrations, Notifications) than a visitor's, and in French it no longer fits one line at
desktop widths; its links must wrap rather than run under the log-out button."""

import pytest

OVERLAPS = """
() => {
  const user = document.querySelector('.site-user').getBoundingClientRect();
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('.site-nav li')].filter((item) => {
    const box = item.getBoundingClientRect();
    const under = box.right > user.left && box.left < user.right && box.bottom > user.top && box.top < user.bottom;
    return under || box.right > width;
  }).map((item) => item.innerText.trim());
}
"""


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("width", [900, 1024, 1366])
def test_the_operator_navigation_never_runs_under_the_log_out_button(browser_page, lang, width):
  page = browser_page("desktop", "light", lang, operator=True)
  page.page.set_viewport_size({"width": width, "height": 900})
  try:
    page.goto("/integrations")
    assert page.page.locator(".site-nav a[href='/integrations']").is_visible()
    assert page.page.evaluate(OVERLAPS) == [], (
      f"navigation links under the log-out button at {width} px ({lang})"
    )
  finally:
    page.page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.parametrize(
  ("viewport", "scheme", "lang"), [("phone", "dark", "fr"), ("desktop", "light", "en")]
)
def test_the_integrations_page_passes_every_check(browser_page, viewport, scheme, lang):
  page = browser_page(viewport, scheme, lang, operator=True)
  page.goto("/integrations")
  page.check()
  assert page.overflow() == []
