"""Status rules of maintenances (docs/user-guide.md#maintenances): the actual start and end dates follow the status,
dates given by the caller win, on create and update, through the API and the web forms; scheduled
maintenances whose window has passed are flagged "overdue" on the pages."""

import datetime as dt

import pytest

from prodmanager.db import utcnow
from prodmanager.testing import page_form as form_of
from prodmanager_maintenance.models import Maintenance
from prodmanager_maintenance.testing import minute

S = dt.datetime(2030, 1, 10, 8, 0, tzinfo=dt.UTC)  # a stored actual start
E = dt.datetime(2030, 1, 10, 9, 30, tzinfo=dt.UTC)  # a stored actual end
X = dt.datetime(2030, 1, 10, 7, 45, tzinfo=dt.UTC)  # a start given by the caller
Y = dt.datetime(2030, 1, 10, 10, 15, tzinfo=dt.UTC)  # an end given by the caller
NOW = "now"

# (status before, start before, end before, new status, dates sent, start after, end after)
TRANSITIONS = [
  ("scheduled", None, None, "in-progress", {}, NOW, None),
  ("scheduled", None, None, "succeed", {}, None, NOW),
  ("scheduled", None, None, "failed", {}, None, NOW),
  ("scheduled", None, None, "canceled", {}, None, NOW),
  ("in-progress", S, None, "succeed", {}, S, NOW),
  ("in-progress", S, None, "failed", {}, S, NOW),
  ("in-progress", S, None, "canceled", {}, S, NOW),
  ("in-progress", S, None, "scheduled", {}, None, None),
  ("in-progress", None, None, "succeed", {}, None, NOW),  # skipped dates are not invented
  ("succeed", S, E, "scheduled", {}, None, None),
  ("failed", S, E, "scheduled", {}, None, None),
  ("canceled", None, E, "scheduled", {}, None, None),
  ("succeed", S, E, "in-progress", {}, S, None),  # not over any more
  ("canceled", None, E, "in-progress", {}, NOW, None),
  ("succeed", S, E, "failed", {}, S, E),  # already ended: the end is kept
  ("failed", S, E, "canceled", {}, S, E),
  ("in-progress", S, E, "in-progress", {}, S, E),  # no change of status, nothing derived
  # Dates given by the caller win.
  ("scheduled", None, None, "in-progress", {"start_date": X}, X, None),
  ("in-progress", S, None, "succeed", {"end_date": Y}, S, Y),
  ("in-progress", S, None, "succeed", {"start_date": X}, X, NOW),
  ("succeed", S, E, "scheduled", {"start_date": X}, X, None),
  ("succeed", S, E, "in-progress", {"end_date": Y}, S, Y),
  ("scheduled", None, None, "canceled", {"start_date": X, "end_date": Y}, X, Y),
]


def check_date(value, wanted, before, after):
  if wanted == NOW:
    assert value is not None and before <= value <= after
  else:
    assert value == wanted


@pytest.mark.parametrize(
  ("old", "start", "end", "new", "sent", "start_after", "end_after"),
  TRANSITIONS,
  ids=[f"{t[0]}-{t[3]}{'-given-' + '-'.join(t[4]) if t[4] else ''}" for t in TRANSITIONS],
)
def test_status_change_fills_keeps_or_clears_the_actual_dates(
  webapp, token_headers, world, old, start, end, new, sent, start_after, end_after
):
  row = world.maintenance("Work", old, start_date=start, end_date=end)
  before = utcnow()
  body = webapp.patch_json(
    f"/api/maintenance/{row.id}",
    {"status": new, **{name: minute(value) for name, value in sent.items()}},
    headers=token_headers,
  ).json
  after = utcnow()
  [stored] = world.table(Maintenance)
  assert stored.status.value == new == body["status"]
  check_date(stored.start_date, start_after, before, after)
  check_date(stored.end_date, end_after, before, after)
  assert (body["start_date"], body["end_date"]) == (
    minute(stored.start_date) if stored.start_date else None,
    minute(stored.end_date) if stored.end_date else None,
  )


@pytest.mark.parametrize(
  ("status", "sent", "start_after", "end_after"),
  [
    ("scheduled", {}, None, None),
    (None, {}, None, None),  # new maintenances are scheduled
    ("in-progress", {}, NOW, None),
    ("succeed", {}, None, NOW),
    ("failed", {}, None, NOW),
    ("canceled", {}, None, NOW),
    ("in-progress", {"start_date": X}, X, None),
    ("succeed", {"start_date": X, "end_date": Y}, X, Y),
    ("scheduled", {"start_date": X}, X, None),
  ],
)
def test_create_applies_the_same_rules(
  webapp, token_headers, world, full, status, sent, start_after, end_after
):
  body = {**full, **{name: minute(value) for name, value in sent.items()}}
  body.pop("status")
  if status:
    body["status"] = status
  before = utcnow()
  webapp.post_json("/api/maintenance/create", body, headers=token_headers)
  after = utcnow()
  [stored] = world.table(Maintenance)
  assert stored.status.value == (status or "scheduled")
  check_date(stored.start_date, start_after, before, after)
  check_date(stored.end_date, end_after, before, after)


def test_the_update_event_records_the_derived_dates(webapp, token_headers, world):
  row = world.maintenance("Work")
  webapp.patch_json(f"/api/maintenance/{row.id}", {"status": "in-progress"}, headers=token_headers)
  [stored] = world.table(Maintenance)
  [(kind, internal, content)] = world.maintenance_events(row.id)
  assert (kind, internal) == ("update", True)
  assert content == (
    f'{{"start_date": [null, "{minute(stored.start_date)}"], "status": ["scheduled", "in-progress"]}}'
  )


def test_the_web_form_follows_the_rules_although_it_sends_every_date(webapp, operator, world):
  """The update form sends every field back, the empty and the unchanged dates too: they do not
  count as dates chosen by the operator."""
  row = world.maintenance("Work")
  operator()
  form = form_of(webapp.get(f"/maintenance/{row.id}/update"))
  assert form["start_date"].value == "" and form["end_date"].value == ""
  form["status"] = "in-progress"
  form.submit(status=303)
  [stored] = world.table(Maintenance)
  assert stored.status.value == "in-progress" and stored.start_date is not None
  started = stored.start_date

  form = form_of(webapp.get(f"/maintenance/{row.id}/update"))
  assert form["start_date"].value == minute(started)
  form["status"] = "succeed"
  form.submit(status=303)
  [stored] = world.table(Maintenance)
  # The start date sent back at minute precision keeps its stored seconds: no change recorded.
  assert stored.start_date == started and stored.end_date is not None
  assert '"start_date"' not in world.maintenance_events(row.id)[-1][2]

  form = form_of(webapp.get(f"/maintenance/{row.id}/update"))
  form["status"] = "scheduled"
  form.submit(status=303)
  [stored] = world.table(Maintenance)
  assert (stored.status.value, stored.start_date, stored.end_date) == ("scheduled", None, None)

  form = form_of(webapp.get(f"/maintenance/{row.id}/update"))
  form["status"] = "in-progress"
  form["start_date"] = minute(X)  # chosen by the operator: wins
  form.submit(status=303)
  [stored] = world.table(Maintenance)
  assert stored.start_date == X


# -- overdue ----------------------------------------------------------------------------------------


def overdue_flags(page) -> list[str]:
  return [badge.get_text(strip=True) for badge in page.html.select(".badge-overdue")]


@pytest.mark.parametrize(
  ("status", "ends_in_minutes", "flagged"),
  [
    ("scheduled", -1, True),  # the window ended a minute ago, and it is still scheduled
    ("scheduled", -60 * 24 * 30, True),
    ("scheduled", 1, False),  # the window is not over yet
    ("in-progress", -60, False),  # running late is not "overdue": it started
    ("succeed", -60, False),
    ("canceled", -60, False),
  ],
)
def test_overdue_flag_on_the_list_and_the_detail_page(webapp, world, status, ends_in_minutes, flagged):
  end = utcnow() + dt.timedelta(minutes=ends_in_minutes)
  row = world.maintenance("Late work", status, start=end - dt.timedelta(hours=2), end=end)
  assert overdue_flags(webapp.get("/maintenance")) == (["Overdue"] if flagged else [])
  assert overdue_flags(webapp.get(f"/maintenance/{row.id}")) == (["Overdue"] if flagged else [])


def test_overdue_flag_is_translated(webapp, world):
  end = utcnow() - dt.timedelta(hours=1)
  world.maintenance("Late work", start=end - dt.timedelta(hours=1), end=end)
  page = webapp.get("/maintenance", headers={"Accept-Language": "fr"})
  assert overdue_flags(page) == ["En retard"]
