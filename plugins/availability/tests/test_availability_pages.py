"""The 90-day bars and uptime figures on the monitor, scope and service pages and in the dashboard's
component list: one bar per day with its text alternative and tooltip, no script needed; and the
pages and lists run the same number of queries whatever the number of monitors and pairs."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from prodmanager_availability.rollup import day_start, recompute
from prodmanager_monitor.models import Monitor, MonitorStatus, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

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
    # The page's own bar, and the bar of its component (Paris DC · Compute).
    (own,) = bar_items(page, ".panel-availability .day-bars")
    (component,) = bar_items(page, ".component-bar .day-bars")
    assert len(own.select("li")) == len(component.select("li")) == 90
    assert own.select("li")[-3]["class"] == ["badge-day-alert"]
    assert "Paris DC · Compute" in component["aria-label"]
    assert page.html.select_one(".panel-availability .uptime-figures")
  # A scope without monitors has no availability panel.
  assert not webapp.get(f"/scope/{world.lyon.id}").html.select(".panel-availability")
  # The lists of scopes and services show the 30-day uptime.
  cells = [cell.get_text().strip() for cell in webapp.get("/scope").html.select(".cell-uptime")]
  assert cells[0] == "No data" and cells[1].endswith(" %")  # Lyon DC, Paris DC


def test_the_dashboard_components_carry_bars(webapp, monitored, make, world):
  make.monitor(name="Ping", scope=world.lyon, service=world.network)
  page = webapp.get("/")
  bars = page.html.select(".component-bar .day-bars")
  labels = sorted(bar["aria-label"].split(" over")[0] for bar in bars)
  assert labels == ["Availability of Lyon DC · Network", "Availability of Paris DC · Compute"]
  uptimes = [text.get_text() for text in page.html.select(".component-bar .day-bars-uptime")]
  assert "No data" in uptimes and any("uptime over 90 days" in text for text in uptimes)
  assert not page.html.select("script:not([src])")


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
    measured = []
    for path in (
      "/",
      f"/scope/{first_scope}",
      f"/monitor/{first_monitor}",
      f"/api/monitor/{first_monitor}/availability",
    ):
      webapp.get(path)
      with count_queries() as queries:
        response = webapp.get(path)
      if path == "/":
        assert len(response.html.select(".component-bar .day-bars")) == total
      measured.append(len(queries))
    counts.append(measured)
  assert counts[0] == counts[1], f"queries for 1 pair and monitor, then 30: {counts}"
