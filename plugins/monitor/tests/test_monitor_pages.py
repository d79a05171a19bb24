"""Functional tests of the monitor pages: list with filters, detail with history, forms (docs/user-guide.md)."""

import pytest

from prodmanager_monitor.models import Monitor


def form_of(page):
  """The create/update form of a page (the layout also carries the logout form)."""
  return next(form for form in page.forms.values() if form.action != "/logout")


def field_errors(page, name: str) -> str:
  container = page.html.select_one(f"#field-{name}").find_parent("div")
  return " ".join(error.get_text(" ", strip=True) for error in container.select(".field-error"))


def listed_names(page) -> list[str]:
  return [cell.get_text(strip=True) for cell in page.html.select("tbody tr td:first-child")]


def selected(page, name: str) -> list[str]:
  return [option["value"] for option in page.html.select(f"select[name={name}] option[selected]")]


# -- list -------------------------------------------------------------------------------------------


def test_list_paginates_by_20_and_keeps_the_filters(webapp, world):
  for number in range(22):
    world.monitor(f"Monitor {number:02d}", "warning")
  world.monitor("Monitor ok", "ok")
  first = webapp.get("/monitor", {"status": "warning"})
  assert listed_names(first) == [f"Monitor {number:02d}" for number in range(20)]
  assert "Page 1 of 2 (22 items)" in first.text
  next_link = first.html.select_one("a[rel=next]")["href"]
  assert next_link == "/monitor?status=warning&page=2"
  second = webapp.get(next_link)
  assert listed_names(second) == ["Monitor 20", "Monitor 21"]
  assert second.html.select_one("a[rel=prev]")["href"] == "/monitor?status=warning&page=1"
  assert webapp.get("/monitor", {"per_page": "50"}).html.select("a[rel=next]") == []


def test_list_rows_show_status_badges_and_both_axes(webapp, world):
  world.monitor("Disk", "alert", world.lyon, world.network, integration="datadog")
  world.monitor("Ping", "ok")
  rows = webapp.get("/monitor").html.select("tbody tr")
  cells = [[cell.get_text(strip=True) for cell in row.select("td")] for row in rows]
  assert cells == [
    ["Disk", "Alert", "Lyon DC", "Network", "datadog"],
    ["Ping", "OK", "Paris DC", "Compute", ""],
  ]
  assert [row.select_one(".badge")["class"] for row in rows] == [
    ["badge", "badge-monitor_status-alert"],
    ["badge", "badge-monitor_status-ok"],
  ]
  assert rows[0].select_one(f'a[href="/scope/{world.lyon.id}"]') and rows[0].select_one(
    f'a[href="/service/{world.network.id}"]'
  )


def test_list_filter_controls_show_the_current_values(webapp, world):
  world.monitor("Match one", "warning", world.lyon, integration="datadog")
  world.monitor("Match two", "alert", world.lyon, integration="datadog")
  world.monitor("Wrong scope", "warning", world.paris, integration="datadog")
  world.monitor("Wrong status", "ok", world.lyon, integration="datadog")
  world.monitor("Wrong integration", "warning", world.lyon, integration="jenkins")
  page = webapp.get(
    "/monitor",
    [
      ("status", "warning"),
      ("status", "alert"),
      ("scope", str(world.lyon.id)),
      ("integration", "datadog"),
      ("q", "match"),
    ],
  )
  assert listed_names(page) == ["Match one", "Match two"]
  assert selected(page, "status") == ["warning", "alert"]
  assert selected(page, "scope") == [str(world.lyon.id)]
  assert selected(page, "service") == []
  assert page.html.select_one("input[name=integration]")["value"] == "datadog"
  assert page.html.select_one("input[name=q]")["value"] == "match"
  options = [option.get_text() for option in page.html.select("select[name=service] option")]
  assert options == ["All", "Compute", "Network"]
  assert "Page 1 of 1 (2 items)" in page.text


@pytest.mark.parametrize(
  ("params", "message"),
  [
    ({"status": "broken"}, "must be one of: ok, warning, alert"),
    ({"scope": "abc"}, "expected a positive integer id"),
  ],
)
def test_list_bad_filter_is_400_with_the_error(webapp, world, params, message):
  world.monitor("Hidden")
  page = webapp.get("/monitor", params, status=400)
  name = next(iter(params))
  assert message in page.html.select_one(f"#filter-{name}").find_parent("div").get_text()
  assert listed_names(page) == []


# -- detail -----------------------------------------------------------------------------------------


def test_detail_page(webapp, token_headers, world):
  body = {
    "name": "CPU load",
    "status": "warning",
    "scope": world.lyon.id,
    "service": world.network.id,
    "integration": "datadog",
    "external_reference": "DD-1",
    "external_link": "https://example.com/dd/1",
    "description": "High **load**\n\n<script>alert('xss')</script><img src=x onerror=alert(1)>",
  }
  ident = webapp.post_json("/api/monitor/create", body, headers=token_headers).json["id"]
  webapp.post(f"/api/monitor/{ident}/update", {"status": "alert"}, headers=token_headers)
  page = webapp.get(f"/monitor/{ident}")
  properties = page.html.select_one("dl.properties")
  assert properties.select_one(".badge").get_text() == "Alert"
  assert properties.select_one(f'a[href="/scope/{world.lyon.id}"]').get_text() == "Lyon DC"
  assert properties.select_one(f'a[href="/service/{world.network.id}"]').get_text() == "Network"
  link = properties.select_one('a[href="https://example.com/dd/1"]')
  assert link["rel"] == ["noopener", "noreferrer", "nofollow"]
  markdown = page.html.select_one("section.markdown")
  assert markdown.select_one("strong").get_text() == "load"
  assert markdown.select("script, img") == [] and page.html.select("[onerror]") == []
  assert "alert('xss')" not in page.text
  history = [
    [badge.get_text() for badge in item.select(".badges .badge")]
    for item in page.html.select("ol.timeline li")
  ]
  assert history == [["Warning", "Alert"], ["Warning"]]
  # The date sits above the badges, off the timeline's line.
  assert all(item.select_one(".timeline-meta time") for item in page.html.select("ol.timeline li"))


def test_detail_of_unknown_monitor_is_404(webapp, world):
  webapp.get("/monitor/9999", status=404)


# -- forms ------------------------------------------------------------------------------------------


def test_create_through_the_form(webapp, operator, world):
  page = webapp.get(f"/monitor/create?scope={world.lyon.id}")
  form = form_of(page)
  assert form["scope"].value == str(world.lyon.id)  # pre-selected from the query string
  assert [option[0] for option in form["service"].options] == [
    "",
    str(world.compute.id),
    str(world.network.id),
  ]
  form["name"] = "Queue depth"
  form["service"] = str(world.network.id)
  form["status"] = "warning"
  form["external_link"] = "https://grafana.example.com/d/queue"
  response = form.submit(status=303)
  (row,) = world.table(Monitor)
  assert (row.name, row.scope_id, row.service_id, row.status.value, row.external_link) == (
    "Queue depth",
    world.lyon.id,
    world.network.id,
    "warning",
    "https://grafana.example.com/d/queue",
  )
  assert response.location == f"http://localhost/monitor/{row.id}"
  assert world.monitor_history() == [(row.id, None, "warning")]
  assert "“Queue depth” was created." in response.follow().text


def test_create_form_shows_every_field_error(webapp, operator, world):
  values = {
    "csrf_token": operator(),
    "name": "abc",
    "scope": "",
    "service": "9999",
    "status": "broken",
    "external_link": "ftp://files.example.com",
  }
  page = webapp.post("/monitor/create", values, status=400)
  assert field_errors(page, "name") == "must be at least 4 characters long"
  assert field_errors(page, "scope") == "this field is required"
  assert field_errors(page, "service") == "no Service with id 9999"
  assert field_errors(page, "status") == "must be one of: ok, warning, alert"
  assert field_errors(page, "external_link") == "expected an http:// or https:// URL"
  assert field_errors(page, "integration") == ""
  assert form_of(page)["name"].value == "abc"
  assert world.count(Monitor) == 0 and world.monitor_history() == []


def test_update_form_is_prefilled_and_records_the_status_change(webapp, operator, token_headers, world):
  body = {
    "name": "Latency",
    "status": "ok",
    "scope": world.paris.id,
    "service": world.network.id,
    "integration": "jenkins",
  }
  ident = webapp.post_json("/api/monitor/create", body, headers=token_headers).json["id"]
  form = form_of(webapp.get(f"/monitor/{ident}/update"))
  assert {name: form[name].value for name in ("name", "status", "scope", "service", "integration")} == {
    "name": "Latency",
    "status": "ok",
    "scope": str(world.paris.id),
    "service": str(world.network.id),
    "integration": "jenkins",
  }
  form["status"] = "alert"
  response = form.submit(status=303)
  assert response.location == f"http://localhost/monitor/{ident}"
  assert [(row.status.value, row.integration) for row in world.table(Monitor)] == [("alert", "jenkins")]
  assert world.monitor_history() == [(ident, None, "ok"), (ident, "ok", "alert")]
  # Saving the form again without a change records nothing.
  form_of(webapp.get(f"/monitor/{ident}/update")).submit(status=303)
  assert len(world.monitor_history()) == 2


def test_update_form_error_changes_nothing(webapp, operator, world):
  monitor = world.monitor("Steady", "ok")
  before = world.table(Monitor)
  page = webapp.post(
    f"/monitor/{monitor.id}/update",
    {"csrf_token": operator(), "status": "alert", "scope": "9999"},
    status=400,
  )
  assert field_errors(page, "scope") == "no Scope with id 9999"
  assert world.table(Monitor) == before and world.monitor_history() == []


def test_delete_asks_for_confirmation_then_deletes(webapp, operator, world):
  monitor = world.monitor("Doomed")
  page = webapp.get(f"/monitor/{monitor.id}/delete")
  form = next(form for form in page.forms.values() if form.action.endswith(f"/monitor/{monitor.id}/delete"))
  assert world.count(Monitor) == 1
  response = form.submit(status=303)
  assert response.location == "http://localhost/monitor"
  assert world.count(Monitor) == 0


def test_anonymous_cannot_write(webapp, world):
  monitor = world.monitor("Guarded")
  before = world.table(Monitor)
  for path in ("/monitor/create", f"/monitor/{monitor.id}/update", f"/monitor/{monitor.id}/delete"):
    assert webapp.get(path, status=303).location.startswith("http://localhost/login?next=")
    webapp.post(path, {"name": "Hacked", "status": "alert"}, status=403)
  assert world.table(Monitor) == before


@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_forms_without_csrf_token_are_refused(webapp, operator, world, action):
  monitor = world.monitor("Guarded")
  before = world.table(Monitor)
  path = "/monitor/create" if action == "create" else f"/monitor/{monitor.id}/{action}"
  body = {"name": "Forged", "status": "alert", "scope": str(world.paris.id), "service": str(world.compute.id)}
  page = webapp.post(path, body, status=400)
  assert "Please reload the page and try again" in page.text
  assert world.table(Monitor) == before


# -- dashboard --------------------------------------------------------------------------------------


def test_dashboard_shows_the_worst_status_and_badges(webapp, world):
  # Nothing watched yet: the banner says so rather than "All systems operational".
  empty = webapp.get("/")
  assert empty.html.select_one(".banner")["class"] == ["banner", "banner-none"]
  assert "No monitors here yet" in empty.text and "All systems operational" not in empty.text
  world.monitor("One", "ok")
  world.monitor("Two", "warning")
  world.monitor("Three", "warning")
  page = webapp.get("/")
  assert page.html.select_one(".banner").get_text(" ", strip=True) == "Some systems are degraded"
  badges = {link["href"]: link.get_text(" ", strip=True) for link in page.html.select(".badges a")}
  assert badges == {"/monitor?status=warning": "Warning 2", "/monitor?status=ok": "OK 1"}
  # The count is inside the badge, and the whole badge is the link.
  assert [link.select_one(".badge .badge-count").get_text() for link in page.html.select(".badges a")] == [
    "2",
    "1",
  ]
