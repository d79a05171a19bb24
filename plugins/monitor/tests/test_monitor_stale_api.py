"""``stale`` and ``stale_since`` in the monitor JSON (docs/api.md, docs/integrations.md#what-a-run-does):
the same source as the monitor page's "no data since …" (the integration's check records of
prodmanager.runs), at a constant number of queries in lists."""

import datetime as dt

import pytest

from prodmanager.runs import IntegrationCheck

SINCE = dt.datetime(2026, 11, 30, 8, 15, 42, tzinfo=dt.UTC)


def check(make, monitor, failures, last_data_at=SINCE, integration=None):
  return make.add(
    IntegrationCheck,
    monitor_id=monitor.id,
    integration=integration or monitor.integration,
    failures=failures,
    last_data_at=last_data_at,
    checked_at=SINCE + dt.timedelta(minutes=5),
    last_error="ConnectError: connection refused by 10.0.0.7",
  )


def stale_fields(body) -> tuple:
  return body["stale"], body["stale_since"]


def test_a_monitor_failing_past_the_threshold_is_stale_since_its_last_data(webapp, make):
  # PM_INTEGRATION_STALE_AFTER is 3 by default.
  failing = make.monitor(name="Failing", integration="http")
  check(make, failing, failures=3)
  body = webapp.get(f"/api/monitor/{failing.id}").json
  assert stale_fields(body) == (True, "2026-11-30T08:15")
  assert "10.0.0.7" not in webapp.get(f"/api/monitor/{failing.id}").text  # the error stays internal
  # The page says the same, from the same record.
  page = webapp.get(f"/monitor/{failing.id}")
  assert page.html.select_one(".monitor-stale time")["datetime"] == "2026-11-30T08:15+00:00"


def test_fresh_unchecked_and_never_answered_monitors(webapp, make):
  fresh = make.monitor(name="Fresh", integration="http")
  check(make, fresh, failures=2)  # below the threshold: still current
  manual = make.monitor(name="Manual")
  never = make.monitor(name="Never answered", integration="dns")
  check(make, never, failures=5, last_data_at=None)
  moved = make.monitor(name="Moved", integration="jenkins")
  check(make, moved, failures=9, integration="http")  # the record of its former integration
  assert stale_fields(webapp.get(f"/api/monitor/{fresh.id}").json) == (False, None)
  assert stale_fields(webapp.get(f"/api/monitor/{manual.id}").json) == (False, None)
  assert stale_fields(webapp.get(f"/api/monitor/{never.id}").json) == (True, None)
  assert stale_fields(webapp.get(f"/api/monitor/{moved.id}").json) == (False, None)
  listed = {item["name"]: stale_fields(item) for item in webapp.get("/api/monitor").json["items"]}
  assert listed == {
    "Fresh": (False, None),
    "Manual": (False, None),
    "Never answered": (True, None),
    "Moved": (False, None),
  }


def test_the_threshold_follows_the_setting(build_app, make):
  row = make.monitor(name="Flaky", integration="http")
  check(make, row, failures=1)
  strict = build_app(**{"prodmanager.integration_stale_after": "1"})
  assert stale_fields(strict.get(f"/api/monitor/{row.id}").json) == (True, "2026-11-30T08:15")


@pytest.mark.parametrize("path", ["/api/monitor", "/monitor"])
def test_lists_with_freshness_records_run_a_constant_number_of_queries(webapp, make, count_queries, path):
  counts = []
  for total in (1, 30):
    while len(make._made.get("monitor", [])) < total:
      number = len(make._made.get("monitor", []))
      row = make.monitor(name=f"Monitor {number:02d}", integration="http")
      check(make, row, failures=number % 5)
    webapp.get(path, {"per_page": "50"})  # warm-up
    with count_queries() as queries:
      response = webapp.get(path, {"per_page": "50"})
    if path.startswith("/api"):
      items = response.json["items"]
      assert len(items) == total
      assert sum(item["stale"] for item in items) == sum(1 for n in range(total) if n % 5 >= 3)
    counts.append(len(queries))
  assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 1 monitor, {counts[1]} for 30"
