"""Functional tests of the announcement pages: list with filter controls, pagination and badges,
detail with sanitised Markdown, forms (create, update, delete with confirmation), ETag/304,
translations (docs/user-guide.md)."""

import datetime as dt

import pytest

from prodmanager_announcement.models import Announcement
from prodmanager_announcement.testing import END, START


def form_of(page):
  """The create/update form of a page (the layout also carries the logout form)."""
  return next(form for form in page.forms.values() if form.action != "/logout")


def field_errors(page, name: str) -> str:
  container = page.html.select_one(f"#field-{name}").find_parent("div")
  return " ".join(error.get_text(" ", strip=True) for error in container.select(".field-error"))


def listed_names(page) -> list[str]:
  return [cell.a.get_text(strip=True) for cell in page.html.select("tbody tr td:first-child")]


def selected(page, name: str) -> list[str]:
  return [option["value"] for option in page.html.select(f"select[name={name}] option[selected]")]


# -- list -------------------------------------------------------------------------------------------


def test_list_paginates_by_20_and_keeps_the_filters(webapp, world):
  for number in range(22):
    world.announcement(f"High {number:02d}", "high", start=START - dt.timedelta(hours=number))
  world.announcement("Low one", "low")
  first = webapp.get("/announcement", {"level": "high"})
  assert listed_names(first) == [f"High {number:02d}" for number in range(20)]
  assert "Page 1 of 2 (22 items)" in first.text
  next_link = first.html.select_one("a[rel=next]")["href"]
  assert next_link == "/announcement?level=high&page=2"
  assert listed_names(webapp.get(next_link)) == ["High 20", "High 21"]


def test_list_rows_show_level_badges_axes_and_dates(webapp, world):
  world.announcement("Network change", "high", scope=world.lyon, service=world.network)
  world.announcement("Compute notice", "low", start=START - dt.timedelta(days=1))
  rows = webapp.get("/announcement").html.select("tbody tr")
  cells = [[cell.get_text(" ", strip=True) for cell in row.select("td")] for row in rows]
  assert cells == [
    ["Network change", "High", "Lyon DC", "Network", "2030-05-01 10:00 UTC", "2030-05-31 18:00 UTC"],
    ["Compute notice", "Low", "Paris DC", "Compute", "2030-04-30 10:00 UTC", "2030-05-31 18:00 UTC"],
  ]
  assert [row.select_one(".badge")["class"] for row in rows] == [
    ["badge", "badge-announcement_level-high"],
    ["badge", "badge-announcement_level-low"],
  ]
  assert rows[0].select_one("time")["datetime"] == "2030-05-01T10:00+00:00"


def test_list_filter_controls_show_the_current_values(webapp, world):
  world.announcement("Match one", "high", scope=world.lyon)
  world.announcement("Match two", "low", scope=world.lyon, end=END + dt.timedelta(days=1))
  world.announcement("Wrong scope", "high")
  world.announcement("Wrong level", "medium", scope=world.lyon)
  world.announcement("Ends too early", "high", scope=world.lyon, end=START + dt.timedelta(hours=1))
  world.announcement("Starts too late", "high", scope=world.lyon, start=START + dt.timedelta(days=2))
  params = [
    ("level", "high"),
    ("level", "low"),
    ("scope", str(world.lyon.id)),
    ("start_before", "2030-05-02T00:00"),
    ("end_after", "2030-05-10T00:00"),
    ("q", "match"),
  ]
  page = webapp.get("/announcement", params)
  assert sorted(listed_names(page)) == ["Match one", "Match two"]
  assert selected(page, "level") == ["high", "low"]
  assert selected(page, "scope") == [str(world.lyon.id)]
  assert selected(page, "service") == []
  inputs = {
    field["name"]: (field["type"], field["value"]) for field in page.html.select("form.filters input")
  }
  assert inputs == {
    "q": ("search", "match"),
    "start_before": ("datetime-local", "2030-05-02T00:00"),
    "start_after": ("datetime-local", ""),
    "end_before": ("datetime-local", ""),
    "end_after": ("datetime-local", "2030-05-10T00:00"),
  }
  labels = [label.get_text(strip=True) for label in page.html.select("form.filters label")]
  assert labels == [
    "Search",
    "Level",
    "Scope",
    "Service",
    "Starts before",
    "Starts after",
    "Ends before",
    "Ends after",
  ]
  assert [option.get_text() for option in page.html.select("select[name=level] option")] == [
    "All",
    "High",
    "Medium",
    "Low",
  ]


@pytest.mark.parametrize(
  ("params", "message"),
  [
    ({"level": "urgent"}, "must be one of: high, medium, low"),
    ({"scope": "abc"}, "expected a positive integer id"),
    ({"end_after": "soon"}, "expected a date such as"),
  ],
)
def test_list_bad_filter_is_400_with_the_error(webapp, world, params, message):
  world.announcement("Hidden")
  page = webapp.get("/announcement", params, status=400)
  name = next(iter(params))
  assert message in page.html.select_one(f"#filter-{name}").find_parent("div").get_text()
  assert listed_names(page) == []


# -- detail -----------------------------------------------------------------------------------------


def test_detail_page_shows_badges_dates_and_sanitised_markdown(webapp, world):
  description = (
    "Move to **v2**\n\n<script>alert('xss')</script><img src=x onerror=alert(1)>[x](javascript:alert(1))"
  )
  row = world.announcement(
    "Deprecation", "high", scope=world.lyon, service=world.network, description=description
  )
  page = webapp.get(f"/announcement/{row.id}")
  assert page.html.select_one("h1").get_text(strip=True) == "Deprecation"
  properties = page.html.select_one("dl.properties")
  terms = [term.get_text(strip=True) for term in properties.select("dt")]
  values = [value.get_text(" ", strip=True) for value in properties.select("dd")]
  assert dict(zip(terms, values, strict=True)) == {
    "Level": "High",
    "State": "Upcoming",
    "Start date": "2030-05-01 10:00 UTC",
    "End date": "2030-05-31 18:00 UTC",
    "Scope": "Lyon DC",
    "Service": "Network",
    "Creation date": "2030-05-01 10:00 UTC",
  }
  assert properties.select_one(".badge-announcement_level-high")
  assert properties.select_one(f'a[href="/scope/{world.lyon.id}"]')
  markdown = page.html.select_one("section.markdown")
  assert markdown.select_one("strong").get_text() == "v2"
  assert markdown.select("script, img") == [] and page.html.select("[onerror]") == []
  assert "javascript:" not in str(markdown) and "alert('xss')" not in page.text


def test_detail_of_unknown_announcement_is_404(webapp, world):
  webapp.get("/announcement/9999", status=404)


def test_pages_are_translated(webapp, world):
  row = world.announcement("Annonce", "medium")
  headers = {"Accept-Language": "fr"}
  page = webapp.get(f"/announcement/{row.id}", headers=headers)
  properties = page.html.select_one("dl.properties")
  assert [term.get_text(strip=True) for term in properties.select("dt")][:2] == ["Niveau", "État"]
  assert properties.select_one(".badge-announcement_level-medium").get_text() == "Moyen"
  assert properties.select_one(".badge-announcement_state-upcoming").get_text() == "À venir"
  labels = [
    label.get_text(strip=True)
    for label in webapp.get("/announcement", headers=headers).html.select("form.filters label")
  ]
  assert labels[-4:] == ["Commence avant", "Commence après", "Finit avant", "Finit après"]


# -- ETag / 304 -------------------------------------------------------------------------------------


def test_pages_and_json_answer_304_to_a_matching_etag(webapp, world):
  row = world.announcement("Cached")
  for path in (
    "/announcement",
    f"/announcement/{row.id}",
    "/api/announcement",
    f"/api/announcement/{row.id}",
    "/api/weather/announcement",
  ):
    first = webapp.get(path)
    assert first.etag, path
    again = webapp.get(path, headers={"If-None-Match": f'"{first.etag}"'}, status=304)
    assert again.body == b""
    webapp.get(path, headers={"If-None-Match": '"something-else"'}, status=200)


def test_etag_changes_when_the_announcement_changes(webapp, token_headers, world):
  row = world.announcement("Cached")
  before = webapp.get(f"/api/announcement/{row.id}").etag
  webapp.post_json(f"/api/announcement/{row.id}/update", {"level": "high"}, headers=token_headers)
  response = webapp.get(f"/api/announcement/{row.id}", headers={"If-None-Match": f'"{before}"'}, status=200)
  assert response.etag != before and response.json["level"] == "high"


# -- forms ------------------------------------------------------------------------------------------


def test_create_through_the_form(webapp, operator, world, domain_events):
  page = webapp.get(f"/announcement/create?scope={world.lyon.id}")
  form = form_of(page)
  assert form["scope"].value == str(world.lyon.id)  # pre-selected from the query string
  assert [option[0] for option in form["level"].options] == ["", "high", "medium", "low"]
  assert page.html.select_one("#field-start_date")["type"] == "datetime-local"
  form["name"] = "Planned network change"
  form["level"] = "low"
  form["service"] = str(world.network.id)
  form["start_date"] = "2030-05-01T10:00"
  form["end_date"] = "2030-05-31T18:00"
  response = form.submit(status=303)
  (row,) = world.table(Announcement)
  assert (
    row.name,
    row.description,
    row.level.value,
    row.scope_id,
    row.service_id,
    row.start_date,
    row.end_date,
  ) == (
    "Planned network change",
    "",
    "low",
    world.lyon.id,
    world.network.id,
    START,
    END,
  )
  assert response.location == f"http://localhost/announcement/{row.id}"
  assert "“Planned network change” was created." in response.follow().text
  assert [(event.name, event.id) for event in domain_events] == [("announcement.created", row.id)]


def test_create_form_shows_every_field_error_and_writes_nothing(webapp, operator, world, domain_events):
  values = {
    "csrf_token": operator(),
    "name": "abc",
    "level": "urgent",
    "scope": "",
    "service": "9999",
    "start_date": "tomorrow",
    "end_date": "2030-05-31T18:00",
  }
  page = webapp.post("/announcement/create", values, status=400)
  assert field_errors(page, "name") == "must be at least 4 characters long"
  assert field_errors(page, "level") == "must be one of: high, medium, low"
  assert field_errors(page, "scope") == "this field is required"
  assert field_errors(page, "service") == "no Service with id 9999"
  assert field_errors(page, "start_date").startswith("expected a date such as")
  assert field_errors(page, "end_date") == field_errors(page, "description") == ""
  assert form_of(page)["name"].value == "abc"
  assert world.count(Announcement) == 0 and domain_events == []


def test_create_form_ending_before_it_starts_names_end_date(webapp, operator, world):
  values = {
    "csrf_token": operator(),
    "name": "Backwards",
    "level": "high",
    "scope": str(world.paris.id),
    "service": str(world.compute.id),
    "start_date": "2030-05-02T10:00",
    "end_date": "2030-05-01T10:00",
  }
  page = webapp.post("/announcement/create", values, status=400)
  assert field_errors(page, "end_date") == "must not be before Start date"
  assert field_errors(page, "start_date") == ""
  assert form_of(page)["end_date"].value == "2030-05-01T10:00"  # nothing typed is lost
  assert world.count(Announcement) == 0


def test_update_form_is_prefilled_and_saves(webapp, operator, world, domain_events):
  row = world.announcement("Notice", "medium", description="Some *text*")
  form = form_of(webapp.get(f"/announcement/{row.id}/update"))
  names = [name for name in form.fields if name not in (None, "csrf_token")]
  assert {name: form[name].value.strip() for name in names} == {
    "name": "Notice",
    "description": "Some *text*",
    "level": "medium",
    "scope": str(world.paris.id),
    "service": str(world.compute.id),
    "start_date": "2030-05-01T10:00",
    "end_date": "2030-05-31T18:00",
  }
  form["level"] = "high"
  form["end_date"] = "2030-06-30T18:00"
  response = form.submit(status=303)
  assert response.location == f"http://localhost/announcement/{row.id}"
  assert [(item.level.value, item.end_date, item.description) for item in world.table(Announcement)] == [
    ("high", dt.datetime(2030, 6, 30, 18, 0, tzinfo=dt.UTC), "Some *text*"),
  ]
  assert [(event.name, event.data) for event in domain_events] == [
    (
      "announcement.updated",
      {"changes": {"level": ["medium", "high"], "end_date": ["2030-05-31T18:00", "2030-06-30T18:00"]}},
    ),
  ]
  # Saving the form again without a change emits nothing.
  form_of(webapp.get(f"/announcement/{row.id}/update")).submit(status=303)
  assert len(domain_events) == 1


def test_update_form_moving_the_start_after_the_end_changes_nothing(webapp, operator, world):
  row = world.announcement("Window")
  before = world.table(Announcement)
  page = webapp.post(
    f"/announcement/{row.id}/update", {"csrf_token": operator(), "start_date": "2030-06-01T00:00"}, status=400
  )
  assert field_errors(page, "end_date") == "must not be before Start date"
  assert world.table(Announcement) == before


def test_delete_asks_for_confirmation_then_deletes(webapp, operator, world):
  row = world.announcement("Doomed")
  page = webapp.get(f"/announcement/{row.id}/delete")
  form = next(form for form in page.forms.values() if form.action.endswith(f"/announcement/{row.id}/delete"))
  assert world.count(Announcement) == 1
  response = form.submit(status=303)
  assert response.location == "http://localhost/announcement"
  assert world.count(Announcement) == 0


def test_anonymous_cannot_write(webapp, world):
  row = world.announcement("Guarded")
  before = world.table(Announcement)
  for path in ("/announcement/create", f"/announcement/{row.id}/update", f"/announcement/{row.id}/delete"):
    assert webapp.get(path, status=303).location.startswith("http://localhost/login?next=")
    webapp.post(path, {"name": "Hacked", "level": "high"}, status=403)
  assert world.table(Announcement) == before


def test_operators_see_the_create_and_edit_buttons(webapp, operator, world):
  row = world.announcement("Editable")
  assert webapp.get("/announcement").html.select_one('a[href$="/announcement/create"]')
  detail = webapp.get(f"/announcement/{row.id}").html
  assert detail.select_one(f'a[href$="/announcement/{row.id}/update"]')
  assert detail.select_one(f'a[href$="/announcement/{row.id}/delete"]')


def test_navigation_links_to_the_list(webapp, world):
  links = [link["href"] for link in webapp.get("/").html.select("nav a")]
  assert "/announcement" in links
