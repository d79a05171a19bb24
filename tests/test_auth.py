"""Web authentication: login with the administrator secret, session cookie, CSRF, logout, redirects,
and the Authorization header being ignored on HTML pages."""

import base64
import datetime as dt
import json
import re
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import pytest

from prodmanager.security import REMEMBER_SECONDS
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET

COOKIE = "session"


def session_state(webapp) -> dict:
  """What the signed session cookie of the client holds (its signature is 64 bytes of SHA-512)."""
  value = webapp.cookies.get(COOKIE)
  if not value:
    return {}
  raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
  _renewed, _created, state = json.loads(raw[64:])
  return state


def set_cookie_header(response) -> str:
  headers = [header for header in response.headers.getall("Set-Cookie") if header.startswith(f"{COOKIE}=")]
  assert len(headers) == 1, response.headers.getall("Set-Cookie")
  return headers[0]


def login_form(webapp, path="/login"):
  return webapp.get(path).forms["login-form"]


def is_operator(webapp) -> bool:
  """An operator gets the create form; a visitor is sent to the login page."""
  response = webapp.get("/scope/create", status="*")
  if response.status_int == 200:
    return True
  assert response.status_int == 303
  assert response.location.startswith("http://localhost/login?next=")
  return False


def test_login_form(webapp):
  page = webapp.get("/login")
  form = page.forms["login-form"]
  assert form.method.lower() == "post"
  assert form.action == "/login"
  assert form["csrf_token"].value
  assert form.fields["secret"][0].attrs["type"] == "password"
  assert form.fields["remember"][0].attrs["type"] == "checkbox"
  assert "next" in form.fields
  assert not is_operator(webapp)


def test_bad_secret_shows_the_error_and_logs_nobody_in(webapp, registry):
  form = login_form(webapp)
  form["secret"] = "not-the-secret"
  page = form.submit(status=401)
  assert app_state(registry).catalogues.messages["en"]["auth.invalid_secret"] in page.text
  assert 'id="login-form"' in page.text  # the form is shown again
  assert "auth" not in session_state(webapp)
  assert not is_operator(webapp)


def test_empty_secret_is_refused(webapp):
  form = login_form(webapp)
  form["secret"] = ""
  form.submit(status=401)
  assert not is_operator(webapp)


def test_good_secret_logs_in_with_a_session_cookie(webapp):
  form = login_form(webapp)
  form["secret"] = TEST_SECRET
  response = form.submit(status=303)
  assert response.location == "http://localhost/"
  cookie = set_cookie_header(response)
  assert "HttpOnly" in cookie
  assert re.search(r"SameSite=(Lax|Strict)", cookie, re.I)
  assert "Secure" not in cookie  # served over plain http here
  # Without "remember me" the cookie lasts for the browser session only.
  assert "Max-Age" not in cookie
  assert "expires" not in cookie.lower()
  assert session_state(webapp)["auth"]["name"] == "admin"
  # The flash message is shown once, on the next page.
  assert "alert-success" in response.follow().text
  assert "alert-success" not in webapp.get("/").text
  assert is_operator(webapp)


def test_remember_me_keeps_the_cookie_for_seven_days(webapp):
  form = login_form(webapp)
  form["secret"] = TEST_SECRET
  form["remember"] = True
  before = dt.datetime.now(dt.UTC)
  response = form.submit(status=303)
  cookie = set_cookie_header(response)
  assert f"Max-Age={REMEMBER_SECONDS}" in cookie
  assert REMEMBER_SECONDS == 7 * 24 * 3600
  expires = parsedate_to_datetime(re.search(r"expires=([^;]+)", cookie, re.I).group(1))
  assert abs((expires - before).total_seconds() - REMEMBER_SECONDS) < 3600
  assert session_state(webapp)["auth"]["remember"] is True
  # Later responses keep the cookie persistent.
  later = webapp.get("/login")
  for header in later.headers.getall("Set-Cookie"):
    assert "Max-Age" in header


def test_login_without_csrf_token_is_refused(webapp):
  webapp.get("/login")  # a session exists, but the token is not sent
  page = webapp.post("/login", {"secret": TEST_SECRET}, status=400)
  assert "text/html" in page.content_type
  assert not is_operator(webapp)


def test_login_with_a_wrong_csrf_token_is_refused(webapp):
  webapp.get("/login")
  webapp.post("/login", {"secret": TEST_SECRET, "csrf_token": "0" * 32}, status=400)
  assert not is_operator(webapp)


def test_logout_without_csrf_token_is_refused(webapp, operator):
  webapp.post("/logout", status=400)
  assert is_operator(webapp)


def test_logout_is_post_only(webapp, operator):
  # GET answers the page with the logout button (0.22's links land there): a link or an image cannot log out.
  response = webapp.get("/logout")
  assert response.html.select_one("form#logout-page-form")["method"] == "post"
  assert is_operator(webapp)


def link_paths(page) -> list[str]:
  return [urlparse(link["href"]).path for link in page.html.select("a[href]")]


def test_logout(webapp, operator):
  page = webapp.get("/scope")
  assert [form["action"] for form in page.html.select("form.logout-form")] == ["/logout"]
  create = page.html.select_one("a.button-primary")
  assert (urlparse(create["href"]).path, create.get_text(strip=True)) == ("/scope/create", "Create")
  response = webapp.post("/logout", {"csrf_token": operator()}, headers={"Accept-Language": "fr"}, status=303)
  assert response.location == "http://localhost/"
  assert "auth" not in session_state(webapp)
  # The next page says so, once, in the reader's language.
  home = response.follow()
  assert home.html.select_one(".flashes").get_text(strip=True) == "Vous êtes déconnecté."
  assert webapp.get("/").html.select_one(".flashes") is None
  page = webapp.get("/scope")
  assert page.html.select("form.logout-form") == []
  assert "/scope/create" not in link_paths(page)
  assert "/login" in link_paths(page)
  assert not is_operator(webapp)


def open_sessions(dbsession) -> int:
  from prodmanager.login_sessions import LoginSession

  dbsession.expire_all()
  return dbsession.query(LoginSession).count()


def replay(client, cookie: str) -> None:
  client.reset()
  client.set_cookie(COOKIE, cookie)


@pytest.mark.parametrize("remember", [False, True], ids=["session", "remember me"])
def test_a_cookie_copied_before_logout_is_worthless_afterwards(webapp, dbsession, remember):
  from prodmanager_scope.models import Scope

  form = login_form(webapp)
  form["secret"] = TEST_SECRET
  form["remember"] = remember
  form.submit(status=303)
  assert open_sessions(dbsession) == 1
  stolen, state = webapp.cookies[COOKIE], session_state(webapp)
  csrf = state["_csrft_"]
  assert state["auth"]["name"] == "admin"  # what the copied cookie says, signed, until it expires...
  replay(webapp, stolen)
  assert is_operator(webapp)
  webapp.post("/logout", {"csrf_token": csrf}, status=303)
  assert open_sessions(dbsession) == 0
  replay(webapp, stolen)
  assert not is_operator(webapp)  # ...but the server no longer knows the session
  refused = webapp.post("/api/scope/create", {"name": "Replayed"}, headers={"X-CSRF-Token": csrf}, status=401)
  assert refused.json["message"] == "Authentication required"
  replay(webapp, stolen)
  page = webapp.post("/scope/create", {"name": "Replayed", "csrf_token": csrf}, status=403)
  assert page.html.select_one("h1").get_text(strip=True) == "Access denied"
  assert dbsession.query(Scope).count() == 0


def test_logging_in_again_replaces_the_session(webapp, dbsession):
  for _ in range(2):
    form = login_form(webapp)
    form["secret"] = TEST_SECRET
    form.submit(status=303)
  assert open_sessions(dbsession) == 1  # the first one was closed, not left behind
  assert is_operator(webapp)


def test_a_new_secret_ends_every_session(webapp, operator, build_app, connection):
  """Restarted with another secret, the server refuses the cookies of the old one; restarted with
  the same one, it keeps them."""
  cookie = webapp.cookies[COOKIE]

  def restarted(**settings):
    client = build_app(**settings)
    client.set_cookie(COOKIE, cookie)
    return client

  assert is_operator(restarted())
  assert not is_operator(restarted(secret_key="another-secret-0123456789"))


def test_login_returns_to_the_next_page(webapp):
  form = login_form(webapp, "/login?next=/scope/create")
  assert form["next"].value == "/scope/create"
  form["secret"] = TEST_SECRET
  assert form.submit(status=303).location == "http://localhost/scope/create"


def test_protected_page_sends_to_login_and_back(webapp):
  response = webapp.get("/scope/create", status=303)
  assert response.location == "http://localhost/login?next=%2Fscope%2Fcreate"
  form = response.follow().forms["login-form"]
  assert form["next"].value == "/scope/create"
  form["secret"] = TEST_SECRET
  assert form.submit(status=303).location == "http://localhost/scope/create"


@pytest.mark.parametrize(
  "target",
  [
    "https://evil.example",
    "https://evil.example/login",
    "//evil.example",
    "///evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\\evil.example",
    "/\\/evil.example",
  ],
)
def test_open_redirect_is_refused(webapp, target):
  form = login_form(webapp, "/login")
  assert form["next"].value == "/"
  # The GET parameter is not echoed back...
  assert "evil" not in webapp.get("/login", {"next": target}).forms["login-form"]["next"].value
  # ...and a forged POST value is not followed.
  form["next"] = target
  form["secret"] = TEST_SECRET
  location = form.submit(status=303).location
  assert location == "http://localhost/"


def test_bearer_token_does_not_log_in_on_html_pages(webapp, token_headers, dbsession):
  from prodmanager_scope.models import Scope

  response = webapp.get("/scope/create", headers=token_headers, status=303)
  assert response.location.startswith("http://localhost/login")
  page = webapp.get("/scope", headers=token_headers)
  assert 'action="/logout"' not in page.text
  # An HTML write with a token is refused too: the token is not read, and nobody is logged in.
  response = webapp.post("/scope/create", {"name": "Via token"}, headers=token_headers, status=403)
  assert response.html.select_one("h1").get_text(strip=True) == "Access denied"
  assert dbsession.query(Scope).count() == 0


@pytest.mark.parametrize("path", ["/", "/scope", "/service", "/monitor", "/login", "/about"])
def test_basic_authorization_is_ignored_on_html_pages(webapp, path):
  headers = {"Authorization": "Basic " + base64.b64encode(b"proxy-user:proxy-password").decode()}
  page = webapp.get(path, headers=headers, status=200)
  assert "text/html" in page.content_type
  assert "WWW-Authenticate" not in page.headers


def test_garbage_bearer_is_ignored_on_html_pages(webapp):
  webapp.get("/scope", headers={"Authorization": "Bearer not-a-token"}, status=200)


def test_operator_session_works_with_a_basic_auth_proxy(webapp, operator):
  headers = {"Authorization": "Basic " + base64.b64encode(b"proxy:pass").decode()}
  assert webapp.get("/scope/create", headers=headers).status_int == 200


def remembered_login(webapp, remember: bool):
  form = login_form(webapp)
  form["secret"] = TEST_SECRET
  form["remember"] = remember
  return form.submit(status=303)


def test_logging_in_again_without_remember_me_ends_the_persistent_cookie(webapp):
  assert "Max-Age" in set_cookie_header(remembered_login(webapp, True))
  # The same browser, still holding the remembered session, logs in again without "remember me".
  cookie = set_cookie_header(remembered_login(webapp, False))
  assert "Max-Age" not in cookie and "expires" not in cookie.lower()
  assert session_state(webapp)["auth"]["remember"] is False
  assert is_operator(webapp)
  for header in webapp.get("/login").headers.getall("Set-Cookie"):
    assert "Max-Age" not in header


def test_remember_me_from_an_existing_session_sends_one_persistent_cookie(webapp):
  cookie = set_cookie_header(remembered_login(webapp, False))
  assert "Max-Age" not in cookie
  # One Set-Cookie only (set_cookie_header checks it): the dropped browser-session cookie is not sent too.
  cookie = set_cookie_header(remembered_login(webapp, True))
  assert f"Max-Age={REMEMBER_SECONDS}" in cookie
  assert session_state(webapp)["auth"] == {**session_state(webapp)["auth"], "name": "admin", "remember": True}
  assert is_operator(webapp)


def test_a_remembered_session_over_https_has_a_secure_persistent_cookie(webapp):
  webapp.extra_environ = {**webapp.extra_environ, "wsgi.url_scheme": "https"}
  form = webapp.get("/login").forms["login-form"]
  form["secret"] = TEST_SECRET
  form["remember"] = True
  cookie = set_cookie_header(form.submit(status=303))
  assert "secure" in cookie.lower() and f"Max-Age={REMEMBER_SECONDS}" in cookie
