"""The daily roll-ups computed from the status history: seconds per status per UTC day, maintenance
windows of the monitor's (scope, service) left out, days without data left out; the same figures
whatever the order in which the changes arrived, and whether one arrived twice. On SQLite and
PostgreSQL."""

import datetime as dt
import random

from sqlalchemy import select

from prodmanager.commands import CommandContext
from prodmanager_availability.figures import bars, percent, uptimes
from prodmanager_availability.job import refresh
from prodmanager_availability.models import AvailabilityDay
from prodmanager_availability.rollup import compute_days, day_start, recompute
from prodmanager_monitor.models import MonitorStatus

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def stored(dbsession, monitor) -> dict:
  """``{day: (ok, warning, alert, maintenance, worst)}`` of a monitor, as stored."""
  rows = dbsession.scalars(
    select(AvailabilityDay).where(AvailabilityDay.monitor_id == monitor.id).order_by(AvailabilityDay.day)
  )
  return {
    row.day: (row.ok_seconds, row.warning_seconds, row.alert_seconds, row.maintenance_seconds, row.worst)
    for row in rows
  }


def story(today: dt.date):
  """Three past days: created at D-3 00:00 (ok); on D-2 an outage from 06:00 to 12:00 with a
  maintenance from 09:00 to 11:00; on D-1 a warning from 10:00 to 14:00."""
  d3, d2, d1 = (day_start(today - dt.timedelta(days=n)) for n in (3, 2, 1))
  changes = [
    (d3, "ok"),
    (d2 + 6 * HOUR, "alert"),
    (d2 + 12 * HOUR, "ok"),
    (d1 + 10 * HOUR, "warning"),
    (d1 + 14 * HOUR, "ok"),
  ]
  window = (d2 + 9 * HOUR, d2 + 11 * HOUR)
  return changes, window


def test_daily_seconds_and_percentages_leave_maintenance_out(make, dbsession, history, today):
  monitor = make.monitor(name="Disk usage")
  changes, (start, end) = story(today)
  history(monitor, changes)
  make.maintenance(status="succeed", start=start - HOUR, start_date=start, end_date=end)
  # A maintenance of another pair, and one never started, exclude nothing.
  other = make.service(name="Storage")
  make.maintenance(status="succeed", service=other, start=start, start_date=start - 5 * HOUR, end_date=end)
  make.maintenance(status="canceled", start=start - 5 * HOUR)

  assert recompute(dbsession, monitor.id, today - dt.timedelta(days=10)) == 4
  days = stored(dbsession, monitor)
  d3, d2, d1 = (today - dt.timedelta(days=n) for n in (3, 2, 1))
  assert today - dt.timedelta(days=4) not in days  # before the monitor: no data
  assert days[d3] == (86_400, 0, 0, 0, 0)
  # 6 h of outage, 2 of them under maintenance: 18 h ok, 4 h alert measured, 2 h left out.
  assert days[d2] == (18 * 3600, 0, 4 * 3600, 2 * 3600, 2)
  assert days[d1] == (20 * 3600, 4 * 3600, 0, 0, 1)
  assert days[today][1:] == (0, 0, 0, 0)

  shown = {day.date: day for day in bars(dbsession, "monitor", [monitor.id])[monitor.id]}
  assert len(shown) == 90
  assert (
    shown[today - dt.timedelta(days=4)].status == "none"
    and shown[today - dt.timedelta(days=4)].uptime is None
  )
  assert (shown[d3].status, shown[d3].uptime) == ("ok", 100.0)
  assert (shown[d2].status, shown[d2].uptime) == ("alert", 81.81)  # 18 / 22, rounded down
  assert (shown[d1].status, shown[d1].uptime) == ("warning", 100.0)  # a warning counts as up
  figures = uptimes(dbsession, "monitor", [monitor.id])[monitor.id]
  measured = 3 * 86_400 - 2 * 3600 + days[today][0]
  assert figures["7d"] == figures["30d"] == figures["90d"] == percent(measured - 4 * 3600, measured)
  assert figures["24h"] == 100.0 or figures["24h"] > 99  # yesterday's share was all up


def test_a_whole_day_of_maintenance_is_neither_up_nor_down(make, dbsession, history, today):
  monitor = make.monitor()
  d2 = day_start(today - 2 * DAY)
  history(monitor, [(d2 - DAY, "ok"), (d2 + HOUR, "alert"), (d2 + 2 * HOUR, "ok")])
  make.maintenance(status="failed", start=d2, start_date=d2 - HOUR, end_date=d2 + DAY + HOUR)
  recompute(dbsession, monitor.id, today - 5 * DAY)
  assert stored(dbsession, monitor)[today - 2 * DAY] == (0, 0, 0, 86_400, None)
  shown = {day.date: day for day in bars(dbsession, "monitor", [monitor.id])[monitor.id]}
  assert (shown[today - 2 * DAY].status, shown[today - 2 * DAY].uptime) == ("maintenance", None)


def test_out_of_order_and_duplicate_changes_give_the_same_rollups(make, dbsession, history, today):
  changes, _ = story(today)
  in_order = make.monitor(name="In order")
  history(in_order, changes)
  shuffled = make.monitor(name="Shuffled")
  scrambled = changes + [changes[1], changes[3], (changes[1][0] + HOUR, "alert")]
  random.Random(3).shuffle(scrambled)
  history(shuffled, scrambled)
  # The late arrivals are noted one by one, as a recomputation per change would do.
  for when, _status in scrambled:
    recompute(dbsession, shuffled.id, when.date())
  recompute(dbsession, in_order.id, today - 5 * DAY)
  assert stored(dbsession, shuffled) == stored(dbsession, in_order)


def test_a_change_recomputes_its_days_in_the_same_transaction(webapp, token_headers, make, dbsession, today):
  monitor = make.monitor(name="Checkout", since=day_start(today - 2 * DAY))
  webapp.patch_json(f"/api/monitor/{monitor.id}", {"status": "alert"}, headers=token_headers)
  days = stored(dbsession, monitor)
  # The change's day is recomputed, and the days of the history before it that had none stored.
  assert list(days) == [today - 2 * DAY, today - DAY, today]
  assert days[today - DAY] == (86_400, 0, 0, 0, 0)
  assert days[today][4] == 2  # an alert that has just begun colours today


def test_a_maintenance_change_recomputes_the_days_of_its_window(
  webapp, token_headers, make, dbsession, history, today, world
):
  monitor = make.monitor(name="Checkout", scope=world.paris, service=world.compute)
  d2 = day_start(today - 2 * DAY)
  history(monitor, [(d2 - DAY, "ok"), (d2 + HOUR, "alert"), (d2 + 3 * HOUR, "ok")])
  recompute(dbsession, monitor.id, today - 5 * DAY)
  assert stored(dbsession, monitor)[today - 2 * DAY][2] == 7200
  maintenance = make.maintenance(scope=world.paris, service=world.compute, status="succeed", start=d2)
  webapp.patch_json(
    f"/api/maintenance/{maintenance.id}",
    {
      "start_date": (d2 + HOUR).strftime("%Y-%m-%dT%H:%M"),
      "end_date": (d2 + 2 * HOUR).strftime("%Y-%m-%dT%H:%M"),
    },
    headers=token_headers,
  )
  assert stored(dbsession, monitor)[today - 2 * DAY][2:4] == (3600, 3600)
  webapp.delete(f"/api/maintenance/{maintenance.id}", headers=token_headers)
  assert stored(dbsession, monitor)[today - 2 * DAY][2:4] == (7200, 0)


def test_the_job_fills_the_days_without_changes(registry, make, dbsession, history, today):
  quiet = make.monitor(name="Quiet")
  history(quiet, [(day_start(today - 5 * DAY) + 12 * HOUR, "warning")])
  never = make.monitor(name="No history")
  old = make.monitor(name="Old")
  history(old, [(day_start(today - 400 * DAY), "ok")])
  assert refresh(CommandContext(registry)) == 2
  days = stored(dbsession, quiet)
  assert sorted(days) == [today - n * DAY for n in range(5, -1, -1)]
  assert days[today - 5 * DAY] == (0, 43_200, 0, 0, 1)
  assert all(days[today - n * DAY] == (0, 86_400, 0, 0, 1) for n in (4, 3, 2, 1))
  assert stored(dbsession, never) == {}
  # Older history: only the shown 90 days are computed.
  assert len(stored(dbsession, old)) == 90
  # A second run recomputes yesterday and today (from the latest stored day before today).
  assert refresh(CommandContext(registry)) == 2
  assert len(stored(dbsession, quiet)) == 6


def test_a_change_after_a_gap_fills_the_days_in_between(make, dbsession, history, today):
  monitor = make.monitor()
  history(monitor, [(day_start(today - 6 * DAY), "ok")])
  recompute(dbsession, monitor.id, today - 6 * DAY, today - 4 * DAY)
  assert sorted(stored(dbsession, monitor)) == [today - n * DAY for n in (6, 5, 4)]
  # A worker stopped for days, then a change today: the days since D-4 are computed with it.
  history(monitor, [(day_start(today) + dt.timedelta(seconds=1), "alert")], previous="ok")
  recompute(dbsession, monitor.id, today)
  days = stored(dbsession, monitor)
  assert sorted(days) == [today - n * DAY for n in range(6, -1, -1)]
  assert days[today - 2 * DAY] == (86_400, 0, 0, 0, 0) and days[today][4] == 2


def test_compute_days_ignores_a_change_repeated_at_the_same_instant():
  start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
  once = [(start + HOUR, MonitorStatus.ALERT), (start + 2 * HOUR, MonitorStatus.OK)]
  twice = [once[0], once[0], once[1], once[1]]
  now = start + 3 * DAY
  first, last = start.date(), (start + DAY).date()
  assert compute_days(MonitorStatus.OK, once, [], first, last, now) == compute_days(
    MonitorStatus.OK, twice, [], first, last, now
  )


def test_the_job_runs_a_fixed_number_of_queries_per_batch(registry, make, history, today, count_queries):
  counts, monitors = [], []
  for total in (1, 20):
    while len(monitors) < total:
      monitors.append(make.monitor(name=f"Monitor {len(monitors):02d}"))
      history(monitors[-1], [(day_start(today - 3 * DAY), "ok"), (day_start(today - DAY) + HOUR, "alert")])
    refresh(CommandContext(registry))  # the first run computes every shown day
    with count_queries() as queries:
      assert refresh(CommandContext(registry)) == total
    counts.append(len(queries))
  assert counts[0] == counts[1], f"{counts[0]} queries for 1 monitor, {counts[1]} for 20"
