"""What 0.22's clients read in the compat API's answers, beyond the objects themselves.

* 0.22 answered its API writes with a 302 to the object (to the list after a delete); we answer 200
  with the object, and keep the ``Location`` of that redirect for the clients that
  follow or read it.
* Every date of the compat objects is ``YYYY-MM-DDTHH:MM`` (UTC), the events' too.
* A 404 on an unknown id names the type in ``reasons``, as 0.22 did (``reasons.scope``).
"""

import re

import pytest

from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET

MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
UNKNOWN = 987654321
DATE_KEYS = re.compile(r"_date$")


def dates_of(body: dict) -> list[str]:
  """Every date of an object, its events' included."""
  found = [value for key, value in body.items() if DATE_KEYS.search(key) and value is not None]
  for event in body.get("events", []):
    found.append(event["creation_date"])
  return found


def rows(world, make) -> dict:
  """One row of each type with a timeline or parents, made directly."""
  incident = make.incident(scope=world.paris, service=world.compute)
  maintenance = make.maintenance(scope=world.paris, service=world.compute)
  return {
    "scope": world.paris,
    "service": world.compute,
    "monitor": make.monitor(scope=world.paris, service=world.compute),
    "incident": incident,
    "maintenance": maintenance,
    "announcement": make.announcement(scope=world.paris, service=world.compute),
  }


def test_compat_creates_carry_the_location_of_0_22s_redirect(webapp, world, token_headers):
  for name, fields in (
    ("scope", {"name": "Lyon", "description": "a second site"}),
    ("service", {"name": "Storage"}),
    (
      "incident",
      {"name": "Disk full", "severity": "high", "scope": world.paris.id, "service": world.compute.id},
    ),
  ):
    response = webapp.post(f"/api/{name}/create", fields, headers=token_headers)
    assert response.status_int == 200
    assert response.headers["Location"] == response.json["links"]["self"]
    assert response.headers["Location"] == f"http://localhost/api/{name}/{response.json['id']}"
    # The REST twin answers 201 with the same header.
    rest = webapp.post_json(f"/api/{name}", {**fields, "name": fields["name"] + " 2"}, headers=token_headers)
    assert rest.status_int == 201 and rest.headers["Location"] == rest.json["links"]["self"]


def test_compat_updates_comments_and_deletes_carry_it_too(webapp, world, make, token_headers):
  made = rows(world, make)
  for name in ("monitor", "incident", "maintenance", "announcement"):
    ident = made[name].id
    updated = webapp.post(f"/api/{name}/{ident}/update", {"description": "updated"}, headers=token_headers)
    assert updated.status_int == 200 and updated.json["description"] == "updated"
    assert updated.headers["Location"] == f"http://localhost/api/{name}/{ident}"
    if name in ("incident", "maintenance"):
      commented = webapp.post(f"/api/{name}/{ident}/comment", {"comment": "looking"}, headers=token_headers)
      assert commented.headers["Location"] == f"http://localhost/api/{name}/{ident}"
    deleted = webapp.post(f"/api/{name}/{ident}/delete", headers=token_headers)
    assert deleted.status_int == 200
    assert deleted.headers["Location"] == f"http://localhost/api/{name}"
  # PATCH is no 0.22 redirect: no Location there.
  patched = webapp.patch_json(f"/api/scope/{world.paris.id}", {"description": "x"}, headers=token_headers)
  assert "Location" not in patched.headers


def test_the_location_follows_the_public_url(build_app, connection, world):
  app = build_app(public_url="https://status.example.com")
  token = app.post(
    "/api/token/create",
    {
      "secret": TEST_SECRET,
      "name": "publicurl",
      "description": "public url test",
      "permissions": "scope_api",
    },
  ).json
  headers = {"Authorization": f"Bearer {token}"}
  response = app.post(f"/api/scope/{world.paris.id}/update", {"description": "x"}, headers=headers)
  assert response.headers["Location"] == f"https://status.example.com/api/scope/{world.paris.id}"


def test_every_date_of_the_compat_objects_is_to_the_minute(webapp, world, make, token_headers):
  made = rows(world, make)
  for name in ("incident", "maintenance"):
    ident = made[name].id
    webapp.post(f"/api/{name}/{ident}/update", {"description": "now updated"}, headers=token_headers)
    webapp.post(f"/api/{name}/{ident}/comment", {"comment": "public comment"}, headers=token_headers)
    body = webapp.get(f"/api/{name}/{ident}", headers=token_headers).json
    assert len(body["events"]) >= 2
    events = webapp.get(f"/api/{name}/{ident}/events", headers=token_headers).json["items"]
    assert [event["creation_date"] for event in events] == [
      event["creation_date"] for event in body["events"]
    ]
  for name, row in made.items():
    body = webapp.get(f"/api/{name}/{row.id}", headers=token_headers).json
    listed = webapp.get(f"/api/{name}", headers=token_headers).json["items"]
    for one in [body, *listed]:
      for value in dates_of(one):
        assert MINUTE.match(value), f"{name}: {value!r}"


@pytest.mark.parametrize("suffix", ["", "/update", "/delete"])
def test_a_404_names_the_type_as_0_22_did(webapp, registry, token_headers, suffix):
  for name in app_state(registry).resource_types:
    url = f"/api/{name}/{UNKNOWN}{suffix}"
    if suffix:
      response = webapp.post(url, {"name": "whatever"}, headers=token_headers, status=404)
    else:
      response = webapp.get(url, status=404)
    assert response.json["reasons"] == {name: [f"no {name} has the id {UNKNOWN}"]}, url
  # A path that is no object of any type keeps its reason.
  assert webapp.get("/api/nothing-here", status=404).json["reasons"] == {
    "resource": ["nothing at /api/nothing-here"]
  }
