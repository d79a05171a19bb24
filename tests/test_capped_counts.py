"""Counts that read no further than they show (docs/performance.md#query-plans): the HTML lists and
the dashboard's "past" links count up to a cap ("Page 1 of 50+ (1000+ items)"), the API counts
exactly (``x-total``, which 0.22's client reads to count and to follow the pages)."""

import pytest

import prodmanager.views.html
import prodmanager_incident.views
import prodmanager_maintenance.views

CAP = 3


@pytest.fixture
def small_cap(monkeypatch):
  for module in (prodmanager.views.html, prodmanager_incident.views, prodmanager_maintenance.views):
    monkeypatch.setattr(module, "COUNT_CAP", CAP)


def summary(page) -> str:
  return page.html.select_one(".pagination-summary").get_text(strip=True)


def numbers(page) -> list[str]:
  return [link.get_text(strip=True) for link in page.html.select(".pagination-number a")]


def test_an_html_list_counts_up_to_the_cap_past_the_page_shown(webapp, world, small_cap):
  for number in range(7):
    world.incident(f"Incident {number}", "resolved")
  first = webapp.get("/incident", {"per_page": "2"})
  assert summary(first) == "Page 1 of 2+ (3+ items)"
  assert numbers(first) == ["1", "2"]  # no link to a last page nobody counted
  assert first.html.select_one(".pagination-gap") is not None
  # The next page counts 3 more past its own start: 2 + 3 = 5 of the 7.
  second = webapp.get(first.html.select_one("a.pagination-next")["href"])
  assert summary(second) == "Page 2 of 3+ (5+ items)"
  assert len(second.html.select("tbody tr")) == 2
  # Near the end the count is exact again, with its last page.
  fourth = webapp.get("/incident", {"per_page": "2", "page": "4"})
  assert summary(fourth) == "Page 4 of 4 (7 items)"
  assert len(fourth.html.select("tbody tr")) == 1
  assert fourth.html.select_one("a.pagination-next") is None


def test_a_list_within_the_cap_is_counted_exactly(webapp, world, small_cap):
  for number in range(3):
    world.incident(f"Incident {number}")
  page = webapp.get("/incident", {"per_page": "2"})
  assert summary(page) == "Page 1 of 2 (3 items)"
  assert numbers(page) == ["1", "2"]


def test_a_filtered_list_caps_its_own_count(webapp, world, small_cap):
  for number in range(5):
    world.incident(f"Resolved {number}", "resolved")
  world.incident("Ongoing", "active")
  assert summary(webapp.get("/incident", {"status": "active"})) == "Page 1 of 1 (1 item)"
  assert (
    summary(webapp.get("/incident", {"status": "resolved", "per_page": "5"})) == "Page 1 of 1+ (3+ items)"
  )


def test_the_api_counts_exactly(webapp, world, small_cap):
  for number in range(7):
    world.incident(f"Incident {number}", "resolved")
    world.maintenance(f"Work {number}", "succeed")
  for path in ("/api/incident", "/api/maintenance"):
    headers = webapp.get(path, {"per_page": "2"}).headers
    assert (headers["x-total"], headers["x-total-pages"], headers["x-next-page"]) == ("7", "4", "2")
    assert webapp.get(path, {"per_page": "0"}).headers["x-total"] == "7"  # 0.22's client's count()


def test_the_dashboard_past_links_say_more_than_the_cap(webapp, world, small_cap):
  for number in range(CAP):
    world.incident(f"Incident {number}", "resolved")
    world.maintenance(f"Work {number}", "succeed")
  page = webapp.get("/")
  assert "See the 3 resolved incidents" in page.text
  assert "Past maintenances (3)" in page.text
  world.incident("One more", "resolved")
  world.maintenance("One more work", "canceled")
  world.maintenance("Still to come", "scheduled")  # not past: not counted
  page = webapp.get("/")
  assert "See the 3+ resolved incidents" in page.text
  assert "Past maintenances (3+)" in page.text
  # A scope's page counts its own.
  scope_page = webapp.get(f"/scope/{world.paris.id}")
  assert "See the 3+ resolved incidents" in scope_page.text
  assert webapp.get(f"/scope/{world.lyon.id}").html.select_one(".maintenances-past") is None


def test_the_past_maintenances_link_needs_a_maintenance(webapp, world):
  assert webapp.get("/").html.select_one(".panel-maintenances-links") is None
  world.maintenance("Soon", "scheduled")
  links = webapp.get("/").html.select_one(".panel-maintenances-links")
  assert links is not None and links.select_one(".maintenances-past") is None
