def test_scope_roundtrip(webapp, token_headers, dbsession):
  from prodmanager_scope.models import Scope
  response = webapp.post("/api/scope/create", {"name": "France DC01"}, headers=token_headers)
  assert response.json["name"] == "France DC01"
  assert dbsession.query(Scope).count() == 1


def test_isolated(webapp, dbsession):
  from prodmanager_scope.models import Scope
  assert dbsession.query(Scope).count() == 0
  assert webapp.get("/api/scope").json == {"items": []}


def test_operator(webapp, operator):
  page = webapp.get("/scope/create")
  assert page.status_int == 200
