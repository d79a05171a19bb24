"""*Ongoing* iff start ≤ now ≤ end, compared as real datetimes on every backend (docs/user-guide.md#announcements): the
date-boundary cases of the issue, on the dashboard panel, on scope/service pages, on the list and
detail pages, and through the API filters in each accepted date format."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from prodmanager.db import utcnow as now
from prodmanager_announcement.testing import api_date

PARIS_TIME = dt.timezone(dt.timedelta(hours=2))
MARGIN = dt.timedelta(minutes=2)


def same_day_window(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
  """A window around ``moment`` that starts earlier the same (UTC) day and ends later that day.

  Within two minutes of midnight there is no room for that: the window then crosses midnight
  (the announcement is ongoing all the same).
  """
  midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
  start = max(midnight, moment - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
  end = min(midnight + dt.timedelta(days=1) - dt.timedelta(minutes=1), moment + dt.timedelta(hours=1))
  end = end.replace(second=0, microsecond=0)
  if moment - start < MARGIN:
    start = moment - dt.timedelta(hours=1)
  if end - moment < MARGIN:
    end = moment + dt.timedelta(hours=1)
  return start, end


@pytest.fixture
def boundary(world):
  """The issue's cases, relative to the current time: an announcement started earlier today and
  ending later today (ongoing), one that ended a minute ago and one starting in a minute (not)."""
  moment = now()
  start, end = same_day_window(moment)
  return {
    "moment": moment,
    "ongoing": world.announcement("Today only", "high", start=start, end=end),
    "ended": world.announcement(
      "Ended a minute ago",
      "medium",
      start=moment - dt.timedelta(hours=2),
      end=moment - dt.timedelta(minutes=1),
    ),
    "upcoming": world.announcement(
      "Starts in a minute", "low", start=moment + dt.timedelta(minutes=1), end=moment + dt.timedelta(hours=2)
    ),
  }


def panel_names(page) -> list[str]:
  panel = page.html.select_one("section.panel-announcements")
  return [] if panel is None else [item.a.get_text(strip=True) for item in panel.select("li.panel-item")]


# -- dashboard and scope/service pages ---------------------------------------------------------------


def test_dashboard_panel_shows_only_the_ongoing_announcement(webapp, boundary):
  page = webapp.get("/")
  assert panel_names(page) == ["Today only"]
  item = page.html.select_one("section.panel-announcements li.panel-item")
  assert item.select_one(".badge")["class"] == ["badge", "badge-announcement_level-high"]
  assert item.select_one("a")["href"] == f"/announcement/{boundary['ongoing'].id}"
  assert item.select_one("time")["datetime"] == boundary["ongoing"].end_date.isoformat(timespec="minutes")


def test_panel_comes_after_the_banner_and_the_monitor_badges(webapp, world, boundary):
  from prodmanager_monitor.models import Monitor, MonitorStatus

  world.db.add(
    Monitor(
      name="Ping",
      status=MonitorStatus.OK,
      scope_id=world.paris.id,
      service_id=world.compute.id,
      description="",
    )
  )
  world.db.flush()
  main = webapp.get("/").html.select_one("main")
  order = [
    "banner" if "banner" in (element.get("class") or []) else element.get("aria-labelledby")
    for element in main.select(".banner, section.panel")
  ]
  assert order[:4] == ["banner", "panel-components", "panel-monitors", "panel-announcements"]


def test_dashboard_panel_is_hidden_when_nothing_is_ongoing(webapp, world):
  moment = now()
  world.announcement("Past", end=moment - dt.timedelta(days=1), start=moment - dt.timedelta(days=2))
  world.announcement("Future", start=moment + dt.timedelta(days=1), end=moment + dt.timedelta(days=2))
  page = webapp.get("/")
  assert page.html.select("section.panel-announcements") == []
  assert "Ongoing announcements" not in page.text


@pytest.mark.parametrize("kind", ["scope", "service"])
def test_scope_and_service_pages_show_their_own_ongoing_announcements(webapp, world, boundary, kind):
  start, end = boundary["ongoing"].start_date, boundary["ongoing"].end_date
  world.announcement("Lyon network", start=start, end=end, scope=world.lyon, service=world.network)
  mine, other = (world.lyon, world.paris) if kind == "scope" else (world.network, world.compute)
  assert panel_names(webapp.get(f"/{kind}/{mine.id}")) == ["Lyon network"]
  assert panel_names(webapp.get(f"/{kind}/{other.id}")) == ["Today only"]
  assert sorted(panel_names(webapp.get("/"))) == ["Lyon network", "Today only"]


def test_scope_page_without_ongoing_announcement_hides_the_panel(webapp, world, boundary):
  assert webapp.get(f"/scope/{world.lyon.id}").html.select("section.panel-announcements") == []


def test_panel_is_capped_at_10_with_a_link_to_the_filtered_list(webapp, world, boundary):
  start, end = boundary["ongoing"].start_date, boundary["ongoing"].end_date
  for number in range(12):
    world.announcement(
      f"Ongoing {number:02d}", "low", start=start + dt.timedelta(seconds=number + 1), end=end
    )
  page = webapp.get("/")
  # Latest start first: the 10 most recent of the 13 ongoing ones.
  assert panel_names(page) == [f"Ongoing {number:02d}" for number in range(11, 1, -1)]
  more = page.html.select_one("section.panel-announcements .panel-more a")
  assert more.get_text(strip=True) == "3 more"
  url = urlsplit(more["href"])
  assert url.path == "/announcement"
  assert "+" not in url.query  # the offsets are URL-encoded (%2B), not read back as spaces
  params = parse_qs(url.query)
  assert set(params) == {"start_before", "end_after"}
  # The link lists exactly the ongoing ones, the panel's 10 and the 3 left out.
  listed = webapp.get(more["href"], {"per_page": "50"})
  names = [cell.get_text(strip=True) for cell in listed.html.select("tbody tr td:first-child a")]
  assert sorted(names) == sorted([f"Ongoing {number:02d}" for number in range(12)] + ["Today only"])
  api = webapp.get(
    "/api/announcement", {**{key: value[0] for key, value in params.items()}, "per_page": "50"}
  )
  assert api.headers["x-total"] == "13"


def test_panel_on_a_scope_page_links_to_the_list_of_that_scope(webapp, world, boundary):
  start, end = boundary["ongoing"].start_date, boundary["ongoing"].end_date
  for number in range(11):
    world.announcement(f"Lyon {number:02d}", start=start, end=end, scope=world.lyon)
  page = webapp.get(f"/scope/{world.lyon.id}")
  assert len(panel_names(page)) == 10
  more = page.html.select_one("section.panel-announcements .panel-more a")
  assert more.get_text(strip=True) == "1 more"
  assert parse_qs(urlsplit(more["href"]).query)["scope"] == [str(world.lyon.id)]
  assert (
    webapp.get(more["href"]).html.select_one(".pagination-summary").get_text(strip=True)
    == "Page 1 of 1 (11 items)"
  )


# -- list and detail pages --------------------------------------------------------------------------


def test_list_marks_the_ongoing_announcement(webapp, boundary):
  rows = webapp.get("/announcement").html.select("tbody tr")
  marked = {
    row.select_one("td a").get_text(strip=True): bool(row.select(".badge-announcement_state-ongoing"))
    for row in rows
  }
  assert marked == {"Today only": True, "Ended a minute ago": False, "Starts in a minute": False}


@pytest.mark.parametrize(
  ("key", "state"), [("ongoing", "Ongoing"), ("ended", "Ended"), ("upcoming", "Upcoming")]
)
def test_detail_shows_the_state(webapp, boundary, key, state):
  page = webapp.get(f"/announcement/{boundary[key].id}")
  assert page.html.select_one(".properties .badge[class*=announcement_state]").get_text(strip=True) == state


# -- API filters ------------------------------------------------------------------------------------


def minute_format(moment: dt.datetime, separator: str) -> str:
  return moment.astimezone(dt.UTC).strftime(f"%Y-%m-%d{separator}%H:%M")


def offset_format(moment: dt.datetime) -> str:
  """ISO 8601 in another time zone (+02:00): the same instant, written two hours later."""
  return moment.astimezone(PARIS_TIME).isoformat(timespec="seconds")


FORMATS = {
  "YYYY-MM-DDTHH:MM": lambda moment: minute_format(moment, "T"),
  "YYYY-MM-DD HH:MM": lambda moment: minute_format(moment, " "),
  "ISO 8601 +02:00": offset_format,
}


def listed(webapp, params) -> list[str]:
  return sorted(item["name"] for item in webapp.get("/api/announcement", params).json["items"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_filters_find_the_ongoing_announcement_in_every_format(webapp, boundary, fmt):
  at = FORMATS[fmt](boundary["moment"])
  assert listed(webapp, {"start_before": at, "end_after": at}) == ["Today only"]
  assert listed(webapp, {"start_before": at}) == ["Ended a minute ago", "Today only"]
  assert listed(webapp, {"end_after": at}) == ["Starts in a minute", "Today only"]
  assert listed(webapp, {"start_after": at}) == ["Starts in a minute"]
  assert listed(webapp, {"end_before": at}) == ["Ended a minute ago"]
  assert webapp.get("/api/weather/announcement", {"start_before": at, "end_after": at}).json == {
    "high": 1,
    "medium": 0,
    "low": 0,
  }


def test_api_filters_honour_the_offset(webapp, boundary):
  moment = boundary["moment"]
  at = offset_format(moment)
  assert at.endswith("+02:00")
  # Read as UTC (the offset dropped), the same digits would be two hours later: the announcement
  # starting in a minute would then count as started, and the one of today could count as ended.
  naive_reading = moment.astimezone(PARIS_TIME).replace(tzinfo=dt.UTC)
  assert listed(webapp, {"start_before": api_date(naive_reading)}) != listed(webapp, {"start_before": at})
  assert listed(webapp, {"start_before": at}) == ["Ended a minute ago", "Today only"]
  # The same instant in UTC and with "Z" gives the same answer.
  utc = moment.astimezone(dt.UTC).isoformat(timespec="seconds")
  zulu = utc.replace("+00:00", "Z")
  for value in (utc, zulu):
    assert listed(webapp, {"start_before": value, "end_after": value}) == ["Today only"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_fixed_instants_in_every_format(webapp, world, fmt):
  # The same cases at a fixed instant (12:00 UTC), where minute precision is exact.
  noon = dt.datetime(2030, 5, 1, 12, 0, tzinfo=dt.UTC)
  minute = dt.timedelta(minutes=1)
  world.announcement("Today only", start=noon.replace(hour=9), end=noon.replace(hour=18))
  world.announcement("Ended a minute ago", start=noon.replace(hour=8), end=noon - minute)
  world.announcement("Starts in a minute", start=noon + minute, end=noon.replace(hour=20))
  world.announcement("Ends at noon", start=noon.replace(hour=7), end=noon)  # end >= noon: ongoing
  world.announcement("Starts at noon", start=noon, end=noon.replace(hour=21))  # start < noon: not
  at = FORMATS[fmt](noon)
  assert listed(webapp, {"start_before": at, "end_after": at}) == ["Ends at noon", "Today only"]
