"""Functional tests of the pages of the grouping axes, scope and service: lists, detail and forms
(docs/user-guide.md#scopes-and-services). Every test runs for both types through the ``group``
fixture (conftest.py), on SQLite and on PostgreSQL.
"""

import pytest
from sqlalchemy import select

from prodmanager_monitor.models import Monitor

MAX_TEXT = 64 * 1024


def field_errors(page, name: str) -> str:
  """The error text shown inside the form field of ``name`` (empty when none)."""
  container = page.html.select_one(f"#field-{name}").find_parent("div")
  return " ".join(error.get_text(" ", strip=True) for error in container.select(".field-error"))


def listed_names(page) -> list[str]:
  return [cell.get_text(strip=True) for cell in page.html.select("tbody tr td:first-child")]


def resource_form(page):
  """The create/update form of a page (the layout also carries the logout form)."""
  return next(form for form in page.forms.values() if form.action != "/logout")


# -- HTML: lists ------------------------------------------------------------------------------------


def test_list_paginates_by_20(webapp, group, make_row):
  for number in range(21):
    make_row(name=f"Group {number:02d}")
  first = webapp.get(f"/{group}")
  assert len(first.html.select("tbody tr")) == 20
  assert "Page 1 of 2 (21 items)" in first.text
  next_link = first.html.select_one("a[rel=next]")
  assert next_link["href"] == f"/{group}?page=2"
  second = webapp.get(next_link["href"])
  assert listed_names(second) == ["Group 20"]
  assert "Page 2 of 2 (21 items)" in second.text
  assert second.html.select_one("a[rel=prev]")["href"] == f"/{group}?page=1"


def test_list_search_control_keeps_its_value(webapp, group, make_row):
  make_row(name="Paris DC1")
  make_row(name="Lyon DC2", description="near paris")
  make_row(name="Berlin DC3")
  page = webapp.get(f"/{group}", {"q": "paris"})
  assert page.html.select_one("form[role=search] input[name=q]")["value"] == "paris"
  assert listed_names(page) == ["Lyon DC2", "Paris DC1"]  # matched on name or description, ordered by name


def test_list_shows_monitor_badges_per_row(webapp, group, make_row, add_monitor):
  busy = make_row(name="Busy one")
  make_row(name="Quiet one")
  for name, status in (("Mon A", "ok"), ("Mon B", "ok"), ("Mon C", "alert")):
    add_monitor(busy, name, status)
  page = webapp.get(f"/{group}")
  busy_row, quiet_row = page.html.select("tbody tr")
  badges = {link["href"]: link.get_text(" ", strip=True) for link in busy_row.select(".badges a")}
  assert badges == {
    f"/monitor?{group}={busy.id}&status=alert": "Alert 1",
    f"/monitor?{group}={busy.id}&status=ok": "OK 2",
  }
  assert quiet_row.select(".badges a") == []


@pytest.mark.parametrize(
  ("query", "message"),
  [({"page": "abc"}, "expected an integer"), ({"per_page": "51"}, "expected an integer between 0 and 50")],
)
def test_list_bad_parameters_are_400(webapp, group, item, query, message):
  page = webapp.get(f"/{group}", query, status=400)
  assert message in page.html.select_one(".alert-error").get_text()
  assert page.html.select("tbody tr") == []


# -- HTML: detail -----------------------------------------------------------------------------------


def test_detail_renders_sanitised_markdown(webapp, group, make_row):
  row = make_row(
    name="Paris DC1",
    description=(
      "Some **bold** text\n\n<script>alert('xss')</script>\n\n<img src=x onerror=alert('img')>"
      "\n\n[link](javascript:alert('js'))"
    ),
  )
  page = webapp.get(f"/{group}/{row.id}")
  description = page.html.select_one("section.markdown")
  assert description.select_one("strong").get_text() == "bold"
  assert "<script>alert" not in page.text and "alert('xss')" not in page.text
  assert description.select("script, img") == [] and page.html.select("[onerror]") == []
  assert "javascript:" not in page.text
  assert page.html.select_one("h1").get_text(strip=True) == "Paris DC1"


def test_detail_lists_its_monitors(webapp, group, make_row, add_monitor):
  mine = make_row(name="Mine")
  theirs = make_row(name="Theirs")
  warning = add_monitor(mine, "Disk usage", "warning")
  ok = add_monitor(mine, "Ping check", "ok")
  add_monitor(theirs, "Elsewhere", "alert")
  page = webapp.get(f"/{group}/{mine.id}")
  panel = page.html.select_one("#panel-monitors").find_parent("section")
  listed = [
    (cells[0].get_text(strip=True), cells[1].get_text(strip=True), cells[2].get_text(strip=True))
    for cells in (tr.select("td") for tr in panel.select("tbody tr"))
  ]
  assert listed == [("Disk usage", "Warning", "Other axis"), ("Ping check", "OK", "Other axis")]
  monitor_links = {link["href"] for link in panel.select("tbody a") if link["href"].startswith("/monitor/")}
  assert monitor_links == {f"/monitor/{warning.id}", f"/monitor/{ok.id}"}
  assert "Elsewhere" not in page.text
  badges = {link["href"] for link in panel.select(".badges a")}
  assert badges == {
    f"/monitor?{group}={mine.id}&status=warning",
    f"/monitor?{group}={mine.id}&status=ok",
  }


def test_detail_of_unknown_id_is_404(webapp, group):
  webapp.get(f"/{group}/9999", status=404)
  webapp.get(f"/{group}/abc", status=404)


# -- HTML: forms ------------------------------------------------------------------------------------


def test_anonymous_cannot_use_the_forms(webapp, group, make, model, item):
  before = make.table(model)
  for path in ("create", f"{item.id}/update", f"{item.id}/delete"):
    response = webapp.get(f"/{group}/{path}", status=303)
    assert response.location.startswith("http://localhost/login?next=")
    assert f"%2F{group}%2F" in response.location
    page = webapp.post(f"/{group}/{path}", {"name": "Hacked name"}, status=403)
    assert "Access denied" in page.text
  assert make.table(model) == before
  assert webapp.get(f"/{group}").html.select_one("a.button-primary") is None  # no "Create" button


def test_create_through_the_form(webapp, operator, group, make, model):
  form = resource_form(webapp.get(f"/{group}/create"))
  form["name"] = "  Frankfurt DC2  "
  form["description"] = "Main *site*"
  response = form.submit(status=303)
  row = make.db.scalars(select(model)).one()
  assert (row.name, row.description) == ("Frankfurt DC2", "Main *site*")
  assert response.location == f"http://localhost/{group}/{row.id}"
  page = response.follow()
  assert "“Frankfurt DC2” was created." in page.text
  assert page.html.select_one("section.markdown em").get_text() == "site"


@pytest.mark.parametrize(
  ("values", "field", "message"),
  [
    ({"name": "ab"}, "name", "must be at least 3 characters long"),
    ({"name": ""}, "name", "this field is required"),
    ({"name": "x" * 256}, "name", "must be at most 255 characters long"),
    (
      {"name": "Valid name", "description": "x" * (MAX_TEXT + 1)},
      "description",
      "must be at most 65536 characters long",
    ),
  ],
)
def test_create_form_shows_field_errors(webapp, operator, group, make, model, values, field, message):
  page = webapp.post(f"/{group}/create", {"csrf_token": operator(), **values}, status=400)
  assert message in field_errors(page, field)
  assert page.html.select_one(".alert-error").get_text(strip=True) == f"{group.capitalize()} creation failed"
  assert resource_form(page)["name"].value == values["name"]  # what was typed is kept
  assert make.count(model) == 0


def test_create_form_refuses_a_used_name(webapp, operator, group, make, model, item):
  before = make.table(model)
  page = webapp.post(f"/{group}/create", {"csrf_token": operator(), "name": "Paris DC1"}, status=409)
  assert field_errors(page, "name") == f"this Name is already used by another {group.capitalize()}"
  assert make.table(model) == before


def test_update_form_is_prefilled_and_saves(webapp, operator, group, make, model, item):
  form = resource_form(webapp.get(f"/{group}/{item.id}/update"))
  assert (form["name"].value, form["description"].value.strip()) == ("Paris DC1", "First **row**")
  form["name"] = "Paris DC01"
  response = form.submit(status=303)
  assert response.location == f"http://localhost/{group}/{item.id}"
  assert [(row.name, row.description) for row in make.table(model)] == [("Paris DC01", "First **row**")]
  assert "“Paris DC01” was updated." in response.follow().text


@pytest.mark.parametrize(
  ("values", "field", "message", "status"),
  [
    ({"name": ""}, "name", "this field cannot be emptied", 400),
    ({"name": "ab"}, "name", "must be at least 3 characters long", 400),
    ({"name": "Lyon DC2"}, "name", "this Name is already used by another", 409),
  ],
)
def test_update_form_shows_field_errors(
  webapp, operator, group, make, make_row, model, item, values, field, message, status
):
  make_row(name="Lyon DC2")
  before = make.table(model)
  page = webapp.post(f"/{group}/{item.id}/update", {"csrf_token": operator(), **values}, status=status)
  assert message in field_errors(page, field)
  assert make.table(model) == before


def test_delete_asks_for_confirmation_then_deletes(webapp, operator, group, make, model, item):
  page = webapp.get(f"/{group}/{item.id}/delete")
  assert "Do you really want to delete" in page.text
  form = page.forms[next(key for key, form in page.forms.items() if form.action.endswith("/delete"))]
  assert make.count(model) == 1  # the confirmation page deletes nothing
  response = form.submit(status=303)
  assert response.location == f"http://localhost/{group}"
  assert make.count(model) == 0
  assert "“Paris DC1” was deleted." in response.follow().text


def test_delete_with_monitors_is_refused(webapp, operator, group, make, model, item, add_monitor):
  add_monitor(item, "Still here")
  page = webapp.post(f"/{group}/{item.id}/delete", {"csrf_token": operator()}, status=403)
  error = page.html.select_one(".alert-error").get_text(" ", strip=True)
  assert f"{group.capitalize()} deletion refused" in error
  blockers = [(link.get_text(strip=True), link["href"]) for link in page.html.select(".delete-blockers li a")]
  assert blockers == [("Monitors (1)", f"/monitor?{group}={item.id}")]
  assert page.html.select("form.confirm-delete") == []  # no Delete button to be refused again
  assert make.count(model) == 1 and make.count(Monitor) == 1


@pytest.mark.parametrize("action", ["create", "update", "delete"])
def test_forms_without_csrf_token_are_refused(webapp, operator, group, make, model, item, action):
  before = make.table(model)
  path = f"/{group}/create" if action == "create" else f"/{group}/{item.id}/{action}"
  page = webapp.post(path, {"name": "Changed name"}, status=400)
  assert "Please reload the page and try again" in page.text
  assert make.table(model) == before
