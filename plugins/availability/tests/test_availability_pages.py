"""The 90-day bars and uptime figures on the monitor, scope and service pages and in the dashboard's
component lists (an image per component, with its summary as text alternative): one bar per day
with its text alternative and tooltip, no script needed; and the
pages and lists run the same number of queries whatever the number of monitors and pairs."""

import datetime as dt
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from prodmanager_availability.rollup import day_start, recompute
from prodmanager_monitor.models import Monitor, MonitorStatus, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

SVG = "{http://www.w3.org/2000/svg}"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def monitored(make, dbsession, history, today, world):
  d2 = day_start(today - 2 * DAY)
  monitor = make.monitor(name="Checkout", scope=world.paris, service=world.compute)
  history(monitor, [(d2 - DAY, "ok"), (d2 + 6 * HOUR, "alert"), (d2 + 12 * HOUR, "ok")])
  recompute(dbsession, monitor.id, today - 5 * DAY)
  return monitor


def bar_items(page, selector=".day-bars"):
  bars = page.html.select(selector)
  assert bars, "no bar on the page"
  return bars


def test_the_monitor_page_shows_uptime_and_bars(webapp, monitored, today):
  page = webapp.get(f"/monitor/{monitored.id}")
  (bar,) = bar_items(page, ".panel-availability .day-bars")
  assert bar.name == "ol" and "Checkout" in bar["aria-label"] and "90" in bar["aria-label"]
  days = bar.select("li")
  assert len(days) == 90
  bad = days[-3]  # the day before yesterday
  text = f"{(today - 2 * DAY).isoformat()}: 75.00 % uptime"
  assert bad["class"] == ["badge-day-alert"] and bad["title"] == text
  assert bad.select_one(".visually-hidden").get_text() == text
  assert days[-1]["class"] == ["badge-day-ok"]
  assert days[-5]["class"] == ["badge-day-none"] and days[-5]["title"].endswith("no data")
  figures = page.html.select_one(".uptime-figures")
  assert [dt_.get_text() for dt_ in figures.select("dt")] == ["24 hours", "7 days", "30 days", "90 days"]
  assert figures.select("dd")[0].get_text() == "100.00 %"
  assert page.html.select_one(".badge-day-alert") is not None
  assert "badge-day-alert" in webapp.get("/tones.css").text


def test_the_bars_are_translated(build_app, app_settings, monitored, today, enabled_plugins):
  client = build_app(plugins=enabled_plugins, **{"prodmanager.lang": "fr"})
  page = client.get(f"/monitor/{monitored.id}")
  days = page.html.select(".panel-availability .day-bars li")
  assert days[-3]["title"] == f"{(today - 2 * DAY).strftime('%d/%m/%Y')} : 75,00 % de disponibilité"


def test_scope_and_service_pages_show_their_bars(webapp, monitored, world, today):
  for path in (f"/scope/{world.paris.id}", f"/service/{world.compute.id}"):
    page = webapp.get(path)
    # The page's own bar inline, and its component's (Paris DC · Compute) as an image.
    (own,) = bar_items(page, ".panel-availability .day-bars")
    assert len(own.select("li")) == 90
    assert own.select("li")[-3]["class"] == ["badge-day-alert"]
    (image,) = page.html.select(".component-bar img")
    assert image["src"] == f"/availability/{world.paris.id}/{world.compute.id}/bars.svg"
    assert image["alt"].startswith("Paris DC · Compute: ")
    assert not page.html.select(".component-bar .day-bars")
    assert page.html.select_one(".panel-availability .uptime-figures")
  # A scope without monitors has no availability panel.
  assert not webapp.get(f"/scope/{world.lyon.id}").html.select(".panel-availability")
  # The lists of scopes and services show the 30-day uptime.
  cells = [cell.get_text().strip() for cell in webapp.get("/scope").html.select(".cell-uptime")]
  assert cells[0] == "No data" and cells[1].endswith(" %")  # Lyon DC, Paris DC


def test_the_dashboard_components_carry_bar_images(webapp, monitored, make, world):
  make.monitor(name="Ping", scope=world.lyon, service=world.network)
  page = webapp.get("/")
  components = {
    item.select_one(".component-name").get_text(): item for item in page.html.select(".component")
  }
  checkout, ping = components["Compute"], components["Network"]
  (image,) = checkout.select(".component-bar img")
  assert image["src"] == f"/availability/{world.paris.id}/{world.compute.id}/bars.svg"
  assert image["loading"] == "lazy" and image["width"] and image["height"]
  # The text alternative carries the figures the colours show.
  assert image["alt"] == (
    f"Paris DC · Compute: {checkout.select_one('.day-bars-uptime').get_text()}, "
    "1 day with an outage, 0 days degraded"
  )
  assert checkout.select_one(".day-bars-uptime").get_text().endswith("% uptime over 90 days")
  (image,) = ping.select(".component-bar img")
  assert image["alt"] == "Lyon DC · Network: no data over 90 days"
  assert ping.select_one(".day-bars-uptime").get_text() == "No data"
  # One element per component, no day list: a list of 1,000 components stays small.
  assert not page.html.select(".component-bar .day-bars, .component-bar li")
  assert len(str(checkout.select_one(".component-bar")).encode()) < 400
  assert not page.html.select("script:not([src])")


def svg_days(response):
  document = ElementTree.fromstring(response.body)
  return document, document.findall(f"{SVG}rect")


def test_the_bars_image_has_a_rect_and_a_title_per_day(webapp, monitored, world, today):
  response = webapp.get(f"/availability/{world.paris.id}/{world.compute.id}/bars.svg")
  assert response.content_type == "image/svg+xml"
  document, days = svg_days(response)
  assert document.get("preserveAspectRatio") == "none" and document.get("role") == "img"
  assert document.find(f"{SVG}title").text.startswith(
    "Availability of Paris DC · Compute over the last 90 days"
  )
  assert len(days) == 90
  assert days[-3].get("class") == "d-alert"
  assert days[-3].find(f"{SVG}title").text == f"{(today - 2 * DAY).isoformat()}: 75.00 % uptime"
  assert days[-1].get("class") == "d-ok" and days[-5].get("class") == "d-none"
  assert [float(day.get("x")) for day in days] == sorted(float(day.get("x")) for day in days)
  # The colours of the day tones, their dark shades under prefers-color-scheme.
  style = document.find(f"{SVG}style").text
  assert ".d-alert{fill:#d93025}" in style and "@media (prefers-color-scheme:dark){" in style
  assert ".d-alert{fill:#ff6b5e}" in style.split("prefers-color-scheme:dark")[1]


def test_the_bars_image_is_translated(build_app, monitored, world, today, enabled_plugins):
  client = build_app(plugins=enabled_plugins, **{"prodmanager.lang": "fr"})
  _document, days = svg_days(client.get(f"/availability/{world.paris.id}/{world.compute.id}/bars.svg"))
  assert (
    days[-3].find(f"{SVG}title").text
    == f"{(today - 2 * DAY).strftime('%d/%m/%Y')} : 75,00 % de disponibilité"
  )
  alt = client.get("/").html.select_one(".component-bar img")["alt"]
  assert alt.endswith("de disponibilité sur 90 jours, 1 jour avec une panne, 0 jour dégradé")


def test_the_bars_image_of_an_unknown_pair_is_not_found(webapp, monitored, world):
  for path in (
    f"/availability/{world.lyon.id}/{world.compute.id}/bars.svg",  # both exist, no monitor
    f"/availability/987654321/{world.compute.id}/bars.svg",
    f"/availability/{world.paris.id}/x/bars.svg",
    f"/availability/{'9' * 19}/{world.compute.id}/bars.svg",
    f"/availability/{'9' * 18}/{'9' * 18}/bars.svg",  # beyond PostgreSQL's integer: still a 404
    "/availability/%C2%B2/1/bars.svg",
  ):
    webapp.get(path, status=404)


# -- a constant number of queries -------------------------------------------------------------------


def fill(dbsession, total: int, today) -> None:
  """Grow to ``total`` scopes, services and monitors (monitor n on scope n and service n), each with
  a history and roll-ups over the last days."""
  start = dbsession.scalar(select(func.count()).select_from(Scope))
  for number in range(start, total):
    scope, service = Scope(name=f"Scope {number:02d}"), Service(name=f"Service {number:02d}")
    dbsession.add_all([scope, service])
    dbsession.flush()
    monitor = Monitor(name=f"Monitor {number:02d}", scope_id=scope.id, service_id=service.id, description="")
    dbsession.add(monitor)
    dbsession.flush()
    since = day_start(today - 3 * DAY)
    dbsession.add(MonitorStatusChange(monitor_id=monitor.id, new_status=MonitorStatus.OK, changed_at=since))
    dbsession.add(
      MonitorStatusChange(
        monitor_id=monitor.id,
        old_status=MonitorStatus.OK,
        new_status=MonitorStatus.ALERT,
        changed_at=since + DAY + number * dt.timedelta(minutes=1),
      )
    )
    dbsession.flush()
    recompute(dbsession, monitor.id, today - 5 * DAY)
  dbsession.flush()


def shown(response) -> int:
  if response.content_type == "application/json":
    return len(response.json["items"])
  return len(response.html.select("tbody tr"))


@pytest.mark.parametrize(
  "path", ["/scope", "/service", "/monitor", "/api/scope", "/api/service", "/api/monitor"]
)
def test_lists_run_a_constant_number_of_queries(webapp, dbsession, count_queries, path, today):
  counts = []
  for total in (1, 30):
    fill(dbsession, total, today)
    webapp.get(path, {"per_page": "50"})  # warm-up: anything done once per process is not counted
    with count_queries() as queries:
      response = webapp.get(path, {"per_page": "50"})
    assert shown(response) == total
    counts.append(len(queries))
  assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 1 row, {counts[1]} for 30"


def test_pages_with_bars_run_a_constant_number_of_queries(webapp, dbsession, count_queries, today):
  counts = []
  for total in (1, 30):
    fill(dbsession, total, today)
    first_scope = dbsession.scalar(select(Scope.id).order_by(Scope.id).limit(1))
    first_monitor = dbsession.scalar(select(Monitor.id).order_by(Monitor.id).limit(1))
    first_service = dbsession.scalar(select(Monitor.service_id).where(Monitor.id == first_monitor))
    measured = []
    for path in (
      "/",
      f"/scope/{first_scope}",
      f"/monitor/{first_monitor}",
      f"/api/monitor/{first_monitor}/availability",
      f"/availability/{first_scope}/{first_service}/bars.svg",
    ):
      webapp.get(path)
      with count_queries() as queries:
        response = webapp.get(path)
      if path == "/":
        assert len(response.html.select(".component-bar img")) == total
      measured.append(len(queries))
    counts.append(measured)
  assert counts[0] == counts[1], f"queries for 1 pair and monitor, then 30: {counts}"
