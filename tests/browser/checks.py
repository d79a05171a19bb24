"""What every page of a browser journey is checked for, and the page wrapper that checks it.

``BrowserPage.check()`` asserts, on the page as it is now: no console error or uncaught exception,
no raw translation key in the visible text or the accessible names, no horizontal overflow at phone
width (neither the page nor a box inside it scrolling or cutting its content sideways), and no axe-core
violation. ``english_words(text)`` finds untranslated English in a French message.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Words of English messages that are not French words: one of them in a French message means an
# untranslated string (a form error, a flash message).
ENGLISH_WORDS = set(
  """the must should is are not required failed invalid this that value please before after cannot
  could field missing error characters long short which with from be was has have delete deleted
  creation update updated unknown choose enter least most only one of when""".split()
)

OVERFLOW_SCRIPT = """
(allowed) => {
  const doc = document.documentElement;
  const found = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  if (doc.scrollWidth > doc.clientWidth + 1) {
    found.push(`the page is ${doc.scrollWidth} px wide in a ${doc.clientWidth} px viewport`);
  }
  const reported = [];
  for (const el of document.body.querySelectorAll('*')) {
    // One line per culprit: what is inside a box already reported overflows with it.
    if (reported.some((box) => box.contains(el))) continue;
    if (allowed.some((selector) => el.closest(selector))) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.clientWidth <= 1) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width > 0 && rect.right > doc.clientWidth + 1 && style.position !== 'fixed') {
      found.push(`${describe(el)} ends at ${Math.round(rect.right)} px, past the ${doc.clientWidth} px viewport`);
      reported.push(el);
    } else if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)
               && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${describe(el)} holds ${el.scrollWidth} px of content in ${el.clientWidth} px`);
      reported.push(el);
    }
  }
  return found.slice(0, 10);
}
"""

TEXTS_SCRIPT = """
() => {
  const texts = [document.body.innerText, document.title];
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  return texts.join('\\n');
}
"""

AXE_SCRIPT = """
async (exclude) => {
  const context = exclude.length ? {exclude: exclude.map((selector) => [selector])} : document;
  const results = await axe.run(context, {resultTypes: ['violations']});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + n.failureSummary.split('\\n').slice(1, 3).join(' ')),
  }));
}
"""


def _flatten(mapping: dict, prefix: str = "") -> set[str]:
  keys = set()
  for key, value in (mapping or {}).items():
    if isinstance(value, dict):
      keys |= _flatten(value, f"{prefix}{key}.")
    else:
      keys.add(f"{prefix}{key}")
  return keys


def translation_keys() -> set[str]:
  """Every dotted key of the core's and the first-party plugins' catalogues."""
  keys = set()
  for path in [
    *ROOT.glob("prodmanager/translations/*.yaml"),
    *ROOT.glob("plugins/*/prodmanager_*/translations/*.yaml"),
  ]:
    keys |= {key for key in _flatten(yaml.safe_load(path.read_text(encoding="utf-8"))) if "." in key}
  return keys


TRANSLATION_KEYS = translation_keys()
KEY_PATTERN = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\b")


def english_words(text: str) -> list[str]:
  """The English words of ``ENGLISH_WORDS`` found in ``text`` (empty for a good French message)."""
  return sorted({word for word in re.findall(r"[A-Za-z]+", text) if word.lower() in ENGLISH_WORDS})


class BrowserPage:
  """A Playwright page that records its console errors and checks what every page must satisfy."""

  def __init__(self, page, lang: str, viewport: str, axe_source: str):
    self.page = page
    self.lang = lang
    self.viewport = viewport
    self.axe_source = axe_source
    self.console_errors: list[str] = []
    self.expected_status = 200
    page.on("console", self._on_console)
    page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))

  def _on_console(self, message):
    if message.type != "error":
      return
    text = message.text
    # The browser logs the document's own error status (a 404 page the test asked for).
    if self.expected_status >= 400 and f"status of {self.expected_status}" in text:
      return
    self.console_errors.append(f"{text} ({message.location.get('url', '')})")

  def goto(self, path: str, status: int = 200):
    """Open ``path`` (relative to the site) and assert the document's status."""
    self.expected_status = status
    response = self.page.goto(path, wait_until="load")
    assert response is not None and response.status == status, (
      f"{path}: {response.status if response else 'no response'}, expected {status}"
    )
    return response

  def log_in(self, secret: str) -> None:
    self.goto("/login")
    self.page.fill("#login-form [name=secret]", secret)
    self.page.click("#login-form button[type=submit]")
    self.page.wait_for_load_state("load")
    assert self.page.locator("form.logout-form").count() == 1, "logging in did not show the logout button"

  def texts(self) -> str:
    return self.page.evaluate(TEXTS_SCRIPT)

  def raw_keys(self) -> list[str]:
    return sorted({key for key in KEY_PATTERN.findall(self.texts()) if key in TRANSLATION_KEYS})

  def overflow(self, allowed: tuple[str, ...] = ()) -> list[str]:
    return self.page.evaluate(OVERFLOW_SCRIPT, list(allowed))

  def axe_violations(self, disabled: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's violations on the page (``exclude``: selectors of parts that are not ours)."""
    if not self.page.evaluate("typeof window.axe !== 'undefined'"):
      self.page.add_script_tag(content=self.axe_source)
    violations = self.page.evaluate(AXE_SCRIPT, list(exclude))
    return [violation for violation in violations if violation["id"] not in disabled]

  def check(
    self,
    axe: bool = True,
    overflow_allowed: tuple[str, ...] = (),
    axe_disabled: tuple[str, ...] = (),
    axe_exclude: tuple[str, ...] = (),
  ):
    """Assert every page-wide property; the message names the page and what is wrong."""
    where = f"{self.page.url} ({self.viewport}, {self.lang})"
    problems = []
    if self.console_errors:
      problems.append(f"console errors: {self.console_errors}")
    keys = self.raw_keys()
    if keys:
      problems.append(f"raw translation keys shown: {keys}")
    if self.viewport == "phone":
      cut = self.overflow(overflow_allowed)
      if cut:
        problems.append("horizontal overflow: " + "; ".join(cut))
    if axe:
      violations = self.axe_violations(axe_disabled, axe_exclude)
      if violations:
        problems.append(
          "axe violations: "
          + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} {v['nodes']}" for v in violations)
        )
    assert not problems, f"{where}:\n  " + "\n  ".join(problems)
