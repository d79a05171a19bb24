"""Security headers on every response: CSP without inline script, nosniff, referrer, framing, HSTS on HTTPS."""

import pytest

from prodmanager.testing import TEST_SECRET

# Headers do not depend on the database.
pytestmark = pytest.mark.one_backend

PATHS = [
  ("get", "/", 200),
  ("get", "/scope", 200),
  ("get", "/login", 200),
  ("get", "/about", 200),
  ("get", "/api", 200),
  ("get", "/no/such/page", 404),
  ("get", "/api/scope", 200),
  ("get", "/api/openapi.json", 200),
  ("get", "/api/unknown", 404),
  ("get", "/health", 200),
  ("get", "/health/version", 200),
  ("get", "/static/css/app.css", 200),
  ("post", "/api/scope/create", 401),
  ("post", "/login", 400),
]


def csp_directives(response) -> dict[str, list[str]]:
  policy = response.headers["Content-Security-Policy"]
  directives = {}
  for part in policy.split(";"):
    words = part.split()
    if words:
      directives[words[0]] = words[1:]
  return directives


@pytest.mark.parametrize(("method", "path", "status"), PATHS)
def test_security_headers_on_every_response(webapp, method, path, status):
  response = getattr(webapp, method)(path, status=status)
  headers = response.headers
  assert headers["X-Content-Type-Options"] == "nosniff"
  assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin", "no-referrer")
  assert headers["X-Frame-Options"] == "DENY"
  directives = csp_directives(response)
  script_src = directives.get("script-src", directives.get("default-src"))
  assert script_src == ["'self'"]
  assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
  assert directives["default-src"] == ["'self'"]
  assert directives["frame-ancestors"] == ["'none'"]
  assert directives["object-src"] == ["'none'"]
  assert directives["base-uri"] == ["'self'"]
  assert directives["form-action"] == ["'self'"]
  assert "Strict-Transport-Security" not in headers  # plain http


def test_no_hsts_when_the_forwarded_scheme_is_not_trusted(webapp):
  # Without PM_PROXY_CHAIN_COUNT, X-Forwarded-Proto comes from anyone and is ignored.
  response = webapp.get("/", headers={"X-Forwarded-Proto": "https"})
  assert "Strict-Transport-Security" not in response.headers


def test_hsts_behind_a_trusted_https_proxy(build_app):
  proxied = build_app(proxy_chain_count="1")
  for path in ("/", "/api/scope", "/health"):
    response = proxied.get(path, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=" in hsts
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 180 * 24 * 3600
    assert response.headers["X-Frame-Options"] == "DENY"
  assert "Strict-Transport-Security" not in proxied.get("/", headers={"X-Forwarded-Proto": "http"}).headers
  assert "Strict-Transport-Security" not in proxied.get("/").headers


def test_session_cookie_is_secure_over_https(build_app):
  proxied = build_app(proxy_chain_count="1")
  https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
  form = proxied.get("/login", headers=https).forms["login-form"]
  form["secret"] = TEST_SECRET
  response = form.submit(headers=https, status=303)
  cookie = [header for header in response.headers.getall("Set-Cookie") if header.startswith("session=")][0]
  assert "secure" in cookie.lower()
  assert "HttpOnly" in cookie
  assert response.location.startswith("https://localhost/")


def test_custom_session_cookie_name(build_app):
  app = build_app(session_cookie_name="pm_session")
  form = app.get("/login").forms["login-form"]
  form["secret"] = TEST_SECRET
  response = form.submit(status=303)
  assert any(header.startswith("pm_session=") for header in response.headers.getall("Set-Cookie"))
  assert app.get("/scope/create").status_int == 200  # the renamed cookie carries the session


def test_robots_txt_disallows_by_default(webapp):
  response = webapp.get("/robots.txt")
  assert response.content_type == "text/plain"
  assert "Disallow: /" in response.text
  assert response.headers["X-Content-Type-Options"] == "nosniff"
