"""The Link header of a list carries over the documented query parameters only, read in one pass."""

from prodmanager.request_checks import MAX_QUERY_PARAMETERS


def test_link_keeps_documented_parameters_and_drops_the_rest(webapp, token_headers):
  for name in ("Alpha DC", "Bravo DC", "Charlie DC"):
    webapp.post_json("/api/scope", {"name": name}, headers=token_headers)
  response = webapp.get(
    "/api/scope", [("per_page", "1"), ("q", "DC"), ("sort", "name"), ("junk", "x"), ("p0", "1")]
  )
  base = "http://localhost/api/scope"
  assert response.headers["Link"] == (
    f'<{base}?page=1&per_page=1&q=DC&sort=name>; rel="first", '
    f'<{base}?page=2&per_page=1&q=DC&sort=name>; rel="next", '
    f'<{base}?page=3&per_page=1&q=DC&sort=name>; rel="last"'
  )


def test_link_stays_small_whatever_the_client_sends(webapp, token_headers):
  webapp.post_json("/api/scope", {"name": "Alpha DC"}, headers=token_headers)
  webapp.post_json("/api/scope", {"name": "Bravo DC"}, headers=token_headers)
  junk = [(f"p{number}", "1" * 20) for number in range(MAX_QUERY_PARAMETERS - 1)]
  response = webapp.get("/api/scope", [("per_page", "1"), *junk])
  assert response.headers["x-total"] == "2"
  assert len(response.headers["Link"]) < 200 and "p0" not in response.headers["Link"]
