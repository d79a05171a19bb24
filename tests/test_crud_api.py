"""The generic rules of the standard JSON API (prodmanager/api/crud.py), tested once for every
resource type the enabled plugins serve with add_crud_api, on rows made by the plugins' factories."""

from prodmanager.state import app_state


def crud_types(registry, factories) -> list[str]:
  """The types with the standard API and a factory (every first-party type)."""
  document = app_state(registry).openapi.document.document
  names = [
    name
    for name in sorted(app_state(registry).resource_types)
    if f"/api/{name}/{{id}}" in document["paths"] and name in factories["factories"]
  ]
  assert names, "no resource type with a standard API and a factory"
  return names


def test_the_types_are_found(registry, factories):
  assert {"scope", "service", "monitor", "incident", "maintenance", "announcement"} <= set(
    crud_types(registry, factories)
  )


def without_events(body: dict) -> dict:
  """The object without its timeline, which records the update itself (types with a timeline)."""
  return {key: value for key, value in body.items() if key != "events"}


def test_update_keeps_omitted_fields(webapp, token_headers, registry, factories, make):
  for name in crud_types(registry, factories):
    row = getattr(make, name)(name=f"A {name} to rename")
    before = without_events(webapp.get(f"/api/{name}/{row.id}").json)
    after = webapp.patch_json(
      f"/api/{name}/{row.id}", {"name": f"Renamed {name}"}, headers=token_headers
    ).json
    assert without_events(after) == {**before, "name": f"Renamed {name}"}, name
    assert without_events(webapp.get(f"/api/{name}/{row.id}").json) == without_events(after), name


def test_rest_delete_answers_204_and_the_row_is_gone(webapp, token_headers, registry, factories, make):
  for name in crud_types(registry, factories):
    row = getattr(make, name)(name=f"A {name} to delete")
    ident = row.id
    response = webapp.delete(f"/api/{name}/{ident}", headers=token_headers, status=204)
    assert response.body == b"", name
    webapp.get(f"/api/{name}/{ident}", status=404)
    assert ident not in [stored.id for stored in make.table(type(row))], name


def test_writes_need_a_token_with_the_types_permission(webapp, make_token, registry, factories, make):
  types = crud_types(registry, factories)
  for name in types:
    row = getattr(make, name)(name=f"A {name} kept")
    before = webapp.get(f"/api/{name}/{row.id}").json
    others = make_token(
      [app_state(registry).resource_types[other].permission for other in types if other != name]
    )
    webapp.patch_json(f"/api/{name}/{row.id}", {"name": "Not allowed"}, status=401)
    refused = webapp.patch_json(f"/api/{name}/{row.id}", {"name": "Not allowed"}, headers=others, status=403)
    assert refused.json["message"], name
    webapp.delete(f"/api/{name}/{row.id}", headers=others, status=403)
    webapp.post_json(f"/api/{name}/{row.id}/update", {"name": "Not allowed"}, headers=others, status=403)
    webapp.post(f"/api/{name}/{row.id}/delete", headers=others, status=403)
    webapp.post(f"/api/{name}/{row.id}/delete", status=401)
    assert webapp.get(f"/api/{name}/{row.id}").json == before, name


def test_json_answers_are_compact(webapp, registry, factories, make):
  import json

  for name in crud_types(registry, factories):
    row = getattr(make, name)(name=f"A {name}, with a comma: and a colon")
    for path in (f"/api/{name}/{row.id}", f"/api/{name}"):
      response = webapp.get(path)
      # No blank after the separators (7 % of the bytes); the blanks inside values stay.
      assert response.body == json.dumps(response.json, separators=(",", ":")).encode(), path
      assert b", with a comma: and" in response.body
