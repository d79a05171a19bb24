"""Forms read and show dates in the instance time zone (PM_TIMEZONE), as the pages do; the API stays UTC."""

import pytest

from prodmanager.state import app_state


def resource_form(page, action_end: str):
  return next(
    form for key, form in page.forms.items() if isinstance(key, int) and form.action.endswith(action_end)
  )


@pytest.fixture
def paris(webapp, operator, registry, monkeypatch):
  if "announcement" not in app_state(registry).resource_types:
    pytest.skip("the announcement plugin is not enabled")
  # The time zone is read from the settings at each request.
  monkeypatch.setitem(registry.settings, "prodmanager.timezone", "Europe/Paris")
  return webapp


def test_a_date_typed_in_a_form_is_local_time(paris, token_headers):
  scope = paris.post_json("/api/scope", {"name": "Paris DC1"}, headers=token_headers).json
  service = paris.post_json("/api/service", {"name": "Compute"}, headers=token_headers).json
  page = paris.get("/announcement/create")
  assert "(Europe/Paris)" in page.text
  form = resource_form(page, "/create")
  form["name"] = "Winter maintenance window"
  form["level"] = "low"
  form["scope"] = str(scope["id"])
  form["service"] = str(service["id"])
  form["start_date"] = "2026-01-10T10:00"  # 09:00 UTC in winter
  form["end_date"] = "2026-07-10T10:00"  # 08:00 UTC in summer
  detail = form.submit(status=303).follow()
  ident = int(detail.request.path.rsplit("/", 1)[1])
  body = paris.get(f"/api/announcement/{ident}").json
  assert (body["start_date"], body["end_date"]) == ("2026-01-10T09:00", "2026-07-10T08:00")
  update = resource_form(paris.get(f"/announcement/{ident}/update"), "/update")
  assert (update["start_date"].value, update["end_date"].value) == ("2026-01-10T10:00", "2026-07-10T10:00")


def test_the_api_keeps_utc_for_dates_without_offset(paris, token_headers):
  scope = paris.post_json("/api/scope", {"name": "Paris DC1"}, headers=token_headers).json
  service = paris.post_json("/api/service", {"name": "Compute"}, headers=token_headers).json
  body = paris.post_json(
    "/api/announcement",
    {
      "name": "API dates",
      "level": "low",
      "scope": scope["id"],
      "service": service["id"],
      "start_date": "2026-01-10T10:00",
      "end_date": "2026-01-11T10:00",
    },
    headers=token_headers,
  ).json
  assert body["start_date"] == "2026-01-10T10:00"


def test_pages_show_dates_in_the_instance_time_zone_and_the_readers_language(paris, token_headers):
  scope = paris.post_json("/api/scope", {"name": "Paris DC1"}, headers=token_headers).json
  service = paris.post_json("/api/service", {"name": "Compute"}, headers=token_headers).json
  body = {"name": "Winter maintenance window", "level": "low", "scope": scope["id"], "service": service["id"]}
  body |= {"start_date": "2026-01-10T09:00", "end_date": "2026-07-10T08:00"}  # UTC (the API's rule)
  ident = paris.post_json("/api/announcement", body, headers=token_headers).json["id"]
  page = paris.get(f"/announcement/{ident}").text
  assert '<time datetime="2026-01-10T09:00+00:00">2026-01-10 10:00 CET</time>' in page
  assert '<time datetime="2026-07-10T08:00+00:00">2026-07-10 10:00 CEST</time>' in page
  french = paris.get(f"/announcement/{ident}", headers={"Accept-Language": "fr"}).text
  assert '<time datetime="2026-01-10T09:00+00:00">10/01/2026 10:00 CET</time>' in french
