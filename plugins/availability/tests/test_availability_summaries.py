"""The components' bars read the summaries stored per pair (prodmanager_availability.summaries): their
words (uptime, outage and degraded days) are those of the stored days after the job's run, after a
status change, a monitor moved or deleted, and after a day change before the job ran again."""

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from prodmanager.commands import CommandContext
from prodmanager_availability.figures import percent
from prodmanager_availability.job import refresh
from prodmanager_availability.models import AvailabilityDay, AvailabilityPairSummary
from prodmanager_availability.rollup import day_start, first_kept_day
from prodmanager_monitor.models import Monitor

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
ALT = re.compile(
  r": (?:([\d.]+) % uptime over 90 days, (\d+) days? with an outage, (\d+) days? degraded|no data)"
)


@pytest.fixture
def pairs(make, history, today, world):
  """Three monitors over two pairs, with alerts and warnings on some days."""
  d3 = day_start(today - 3 * DAY)
  checkout = make.monitor(name="Checkout", scope=world.paris, service=world.compute)
  history(checkout, [(d3 - DAY, "ok"), (d3 + 6 * HOUR, "alert"), (d3 + 8 * HOUR, "ok")])
  api = make.monitor(name="API", scope=world.paris, service=world.compute)
  history(api, [(d3 - DAY, "ok"), (d3 + DAY + HOUR, "warning"), (d3 + DAY + 2 * HOUR, "ok")])
  ping = make.monitor(name="Ping", scope=world.lyon, service=world.network)
  history(ping, [(d3, "ok"), (d3 + 2 * DAY, "alert"), (d3 + 2 * DAY + HOUR, "ok")])
  return {"checkout": checkout, "api": api, "ping": ping}


def run_job(registry) -> None:
  refresh(CommandContext(registry))


def expected(dbsession, today) -> dict:
  """What the day rows of each pair say: ``{(scope, service): (uptime, outage days, degraded days)}``."""
  found: dict = {}
  for scope_id, service_id, day, ok, warning, alert, worst in dbsession.execute(
    select(
      Monitor.scope_id,
      Monitor.service_id,
      AvailabilityDay.day,
      AvailabilityDay.ok_seconds,
      AvailabilityDay.warning_seconds,
      AvailabilityDay.alert_seconds,
      AvailabilityDay.worst,
    )
    .join(Monitor, Monitor.id == AvailabilityDay.monitor_id)
    .where(AvailabilityDay.day >= first_kept_day(today))
  ):
    pair = found.setdefault(
      (scope_id, service_id), {"up": 0, "measured": 0, "outage": set(), "flagged": set()}
    )
    pair["up"] += ok + warning
    pair["measured"] += ok + warning + alert
    if worst == 2:
      pair["outage"].add(day)
    if worst is not None and worst >= 1:
      pair["flagged"].add(day)
  return {
    pair: (f"{percent(v['up'], v['measured']):.2f}", len(v["outage"]), len(v["flagged"] - v["outage"]))
    for pair, v in found.items()
  }


def shown(webapp, path: str) -> dict:
  """``{(scope id, service id): (uptime, outage days, degraded days) or None}`` of a page's bars."""
  result = {}
  for image in webapp.get(path).html.select(".component-bar img"):
    scope_id, service_id = (int(part) for part in image["src"].split("/")[2:4])
    match = ALT.search(image["alt"])
    assert match, image["alt"]
    result[(scope_id, service_id)] = (
      None
      if match.group(1) is None
      else (
        match.group(1),
        int(match.group(2)),
        int(match.group(3)),
      )
    )
  return result


def stored(dbsession) -> dict:
  table = AvailabilityPairSummary
  return {
    (row.scope_id, row.service_id): row
    for row in dbsession.scalars(select(table).execution_options(populate_existing=True))
  }


def test_the_bars_say_what_the_days_say_after_the_job(webapp, registry, dbsession, pairs, world, today):
  run_job(registry)
  figures = expected(dbsession, today)
  paris, lyon = (world.paris.id, world.compute.id), (world.lyon.id, world.network.id)
  assert figures[paris][1:] == (1, 1) and figures[lyon][1:] == (1, 0)
  assert shown(webapp, "/") == figures
  assert shown(webapp, f"/scope/{world.paris.id}") == {paris: figures[paris]}
  assert shown(webapp, f"/service/{world.network.id}") == {lyon: figures[lyon]}
  rows = stored(dbsession)
  assert set(rows) == {paris, lyon} and {row.day for row in rows.values()} == {today}
  # The bars read the stored rows: a stored figure is what the page says.
  dbsession.execute(
    update(AvailabilityPairSummary)
    .where(AvailabilityPairSummary.scope_id == world.lyon.id)
    .values(outage_days=7)
  )
  dbsession.flush()
  assert shown(webapp, "/")[lyon] == (figures[lyon][0], 7, 0)
  # The next run rewrites them from the days.
  run_job(registry)
  assert shown(webapp, "/") == figures


def test_a_status_change_rewrites_its_pairs_summary(
  webapp, registry, dbsession, token_headers, pairs, world, today
):
  run_job(registry)
  lyon = (world.lyon.id, world.network.id)
  webapp.patch_json(f"/api/monitor/{pairs['ping'].id}", {"status": "warning"}, headers=token_headers)
  figures = expected(dbsession, today)
  assert figures[lyon][1:] == (1, 1)  # today is degraded now
  assert stored(dbsession)[lyon].degraded_days == 1
  assert shown(webapp, "/") == figures


def test_a_moved_or_deleted_monitor_changes_both_pairs_at_once(
  webapp, registry, dbsession, token_headers, pairs, world, today
):
  run_job(registry)
  paris, lyon = (world.paris.id, world.compute.id), (world.lyon.id, world.network.id)
  before = expected(dbsession, today)
  # Checkout (the outage of Paris DC · Compute) joins Lyon DC · Network: no job run in between.
  webapp.post_json(
    f"/api/monitor/{pairs['checkout'].id}/update",
    {"scope": world.lyon.id, "service": world.network.id},
    headers=token_headers,
  )
  figures = expected(dbsession, today)
  assert figures[paris][1:] == (0, 1) and figures[lyon][1] == 2 and figures != before
  assert shown(webapp, "/") == figures
  assert stored(dbsession)[paris].outage_days == 0
  # API deleted: Paris DC · Compute has no monitor left, and no bar.
  webapp.post(f"/api/monitor/{pairs['api'].id}/delete", headers=token_headers)
  assert shown(webapp, "/") == expected(dbsession, today) == {lyon: figures[lyon]}
  assert set(stored(dbsession)) == {lyon}
  # A monitor of a new pair, without days: the page sums the days (no stored row yet).
  make_pair = world.paris.id, world.network.id
  dbsession.add(Monitor(name="New", scope_id=world.paris.id, service_id=world.network.id, description=""))
  dbsession.flush()
  assert shown(webapp, "/") == {lyon: figures[lyon], make_pair: None}


def test_a_new_day_before_the_job_sums_the_days(webapp, registry, dbsession, pairs, world, today):
  run_job(registry)
  figures = expected(dbsession, today)
  lyon = (world.lyon.id, world.network.id)
  # The rows as the job left them yesterday, with figures the days no longer say.
  dbsession.execute(update(AvailabilityPairSummary).values(day=today - DAY, outage_days=9))
  dbsession.flush()
  assert shown(webapp, "/") == figures
  assert shown(webapp, f"/scope/{world.lyon.id}") == {lyon: figures[lyon]}
  # The job's first run of the day rewrites them.
  run_job(registry)
  assert {row.day for row in stored(dbsession).values()} == {today}
  assert shown(webapp, "/") == figures


def test_without_stored_summaries_the_bars_sum_the_days(webapp, dbsession, pairs, world, today):
  from prodmanager_availability.rollup import recompute

  for monitor in pairs.values():
    recompute(dbsession, monitor.id, today - 10 * DAY)
  assert stored(dbsession) == {}
  assert shown(webapp, "/") == expected(dbsession, today)


def test_many_shown_pairs_read_the_rows_of_the_restriction(
  webapp, registry, dbsession, pairs, monkeypatch, today
):
  from prodmanager_availability import figures

  run_job(registry)
  dbsession.execute(update(AvailabilityPairSummary).values(degraded_days=5))
  dbsession.flush()
  monkeypatch.setattr(figures, "SHOWN_PAIRS_MAX", 1)
  # Still the stored rows (all of the dashboard's) when more pairs are shown than are read by name.
  assert {value[2] for value in shown(webapp, "/").values()} == {5}
