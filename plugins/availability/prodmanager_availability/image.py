"""The 90-day bar of a (scope, service) pair as an SVG image, for the component lists.

A list of 1,000 components cannot carry 90 elements with their texts per component (13 MB for the
dashboard of the benchmark's medium data): each component shows one ``<img>`` of
``/availability/<scope id>/<service id>/bars.svg`` with its summary as ``alt``, and the browser
fetches the images it shows (``loading="lazy"``; the dashboard's scopes are folded). The image is a
public read like the pages: cached under the content version, revalidated with its ETag, expiring
at the next UTC midnight (the days move on; :func:`figures.bars` declares it).

The image has one ``<rect>`` per day with a ``<title>`` (its date and percentage: tooltips when the
image is opened on its own), the colours of the inline bars (the ``day`` badge tones, the tones'
``dot`` shades of app.css) and their dark shades under ``prefers-color-scheme: dark``, which an
image follows like the page. ``preserveAspectRatio="none"``: the bars stretch to the width the
page gives them, a phone's included, at the height the stylesheet sets.
"""

from markupsafe import Markup, escape

from prodmanager.state import app_state
from prodmanager.text import xml_text

# One day: a bar DAY_WIDTH wide and a gap of 1, in the image's own units.
DAY_WIDTH = 3
HEIGHT = 24
# The tones' `dot` shades of static/css/app.css (light, dark); a day without a tone is grey (`bd`).
SHADES = {
  "green": ("#1e8e4a", "#3ecf74"),
  "red": ("#d93025", "#ff6b5e"),
  "orange": ("#e8710a", "#ff9a3c"),
  "yellow": ("#c99a00", "#f2cc2e"),
  "blue": ("#1a66d6", "#5b9cff"),
  "purple": ("#8e3fd0", "#b77cf0"),
  "grey": ("#c3c9cf", "#4a525b"),
}
DAY_STATUSES = ("ok", "warning", "alert", "maintenance", "none")


def image_width(days: int) -> int:
  return days * (DAY_WIDTH + 1) - 1


def day_styles(request) -> str:
  tones = app_state(request.registry).badge_tones.get("day", {})
  light, dark = [], []
  for status in DAY_STATUSES:
    shade_light, shade_dark = SHADES.get(tones.get(status, "grey"), SHADES["grey"])
    light.append(f".d-{status}{{fill:{shade_light}}}")
    dark.append(f".d-{status}{{fill:{shade_dark}}}")
  return f"{''.join(light)}@media (prefers-color-scheme:dark){{{''.join(dark)}}}"


def render_bars_svg(request, entries, label: str) -> str:
  """The SVG of a bar: ``entries`` are the ``(status, text)`` of its days, oldest first."""
  width = image_width(len(entries))
  title = escape(xml_text(label))
  rects = "".join(
    f'<rect class="d-{status}" x="{index * (DAY_WIDTH + 1)}" width="{DAY_WIDTH}" height="{HEIGHT}">'
    f"<title>{escape(text)}</title></rect>"
    for index, (status, text) in enumerate(entries)
  )
  return (
    f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {HEIGHT}" width="{width}" '
    f'height="{HEIGHT}" preserveAspectRatio="none" role="img" aria-label="{title}">'
    f"<title>{title}</title><style>{day_styles(request)}</style>{rects}</svg>"
  )


def bar_image(base: str, pair: tuple[int, int], alt: str, uptime: str, days: int) -> Markup:
  """A component's bar in a list: the image, its summary as ``alt``, the 90-day uptime as text."""
  # Plain formatting (a list holds 1,000 of these): the ids are integers, the texts are escaped.
  return Markup(
    f'<img class="day-bars-image" src="{escape(base)}/availability/{int(pair[0])}/{int(pair[1])}/bars.svg" '
    f'loading="lazy" width="{image_width(days)}" height="{HEIGHT}" alt="{escape(alt)}">'
    f'<p class="day-bars-uptime muted">{escape(uptime)}</p>'
  )
