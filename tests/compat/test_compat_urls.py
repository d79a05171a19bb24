"""0.22's URLs that people link to or call: ``/logged``, ``GET /logout``, its ``/static/…`` files,
and a custom stylesheet given in 0.22's form (``PM_CUSTOM_CSS_SHEET=css/custom.css``)."""

import pytest

from prodmanager.testing import TEST_SECRET, make_app, make_client


def test_logged_answers_true_or_false_as_0_22(webapp, operator, new_client):
  anonymous = new_client().get("/logged")
  assert anonymous.text == "False" and anonymous.content_type == "text/plain"
  assert webapp.get("/logged").text == "True"
  webapp.post("/logout", {"csrf_token": operator()}, status=303)
  assert webapp.get("/logged").text == "False"


def test_a_token_is_no_login_on_the_site(new_client, token_headers):
  """0.22's /logged read the session: outside /api, the Authorization header is never read."""
  assert new_client().get("/logged", headers=token_headers).text == "False"


def test_get_logout_answers_a_page_with_the_logout_button(webapp, operator, new_client):
  # Nobody to log out: back to the dashboard, where 0.22's logout ended too.
  assert new_client().get("/logout", status=303).headers["Location"] == "http://localhost/"
  page = webapp.get("/logout")
  assert page.status_int == 200 and page.content_type == "text/html"
  # A GET never logs out: a link, a prefetch or a crawler must not end the session.
  assert webapp.get("/logged").text == "True"
  form = page.forms["logout-page-form"]
  assert form.method.lower() == "post" and form.action == "/logout"
  assert page.html.select_one("#logout-page-form button[type=submit]") is not None
  form.submit(status=303)
  assert webapp.get("/logged").text == "False"


def test_the_logout_page_speaks_french(build_app, connection):
  app = build_app(lang="fr")
  login = app.get("/login").forms["login-form"]
  login["secret"] = TEST_SECRET
  login.submit(status=303)
  page = app.get("/logout")
  assert "Se déconnecter" in page.html.select_one("#logout-title").get_text()


@pytest.mark.parametrize(
  "old, new",
  [
    ("/static/meta/openapi.yaml", "/api/openapi.yaml"),
    ("/static/robots.txt", "/robots.txt"),
    ("/static/site.webmanifest", "/site.webmanifest"),
    ("/static/img/favicon-16x16.png", "/favicon.ico"),
    ("/static/img/favicon-32x32.png", "/favicon.ico"),
    ("/static/img/android-chrome-192x192.png", "/static/img/apple-touch-icon.png"),
    ("/static/img/android-chrome-512x512.png", "/static/img/apple-touch-icon.png"),
  ],
)
def test_0_22_static_paths_redirect_to_their_equivalents(webapp, old, new):
  response = webapp.get(old, status=301)
  assert response.headers["Location"] == f"http://localhost{new}"
  target = webapp.get(new)
  assert target.status_int == 200 and target.body


def test_our_own_static_files_are_still_served(webapp):
  assert webapp.get("/static/css/app.css").content_type == "text/css"
  # 0.22's own paths of these two icons are ours too: served, not redirected.
  assert webapp.get("/static/img/favicon.ico").body[:4] == b"\x00\x00\x01\x00"
  assert webapp.get("/static/img/apple-touch-icon.png").content_type == "image/png"


def test_the_web_manifest_names_the_site_and_its_icons(build_app, connection):
  app = build_app(site_name="ACME status")
  response = app.get("/site.webmanifest")
  assert response.content_type == "application/manifest+json"
  manifest = response.json
  assert (manifest["name"], manifest["start_url"], manifest["display"]) == ("ACME status", "/", "standalone")
  for icon in manifest["icons"]:
    fetched = app.get(icon["src"].replace("http://localhost", ""))
    assert fetched.content_type == icon["type"]
  page = app.get("/about")
  assert page.html.select_one("link[rel=manifest]")["href"] == "/site.webmanifest"


def test_custom_css_in_0_22s_form_is_served_from_the_instance(app_settings, tmp_path, connection):
  instance = tmp_path / "instance"
  (instance / "static" / "css").mkdir(parents=True)
  (instance / "static" / "css" / "custom.css").write_text("body { background: hotpink; }\n")
  app = make_app(
    settings={**app_settings, "instance_path": str(instance)},
    environ={"PM_CUSTOM_CSS_SHEET": "css/custom.css"},
  )
  client = make_client(app)
  page = client.get("/")
  links = [link["href"] for link in page.html.select("link[rel=stylesheet]")]
  assert "/static/css/custom.css" in links
  sheet = client.get("/static/css/custom.css")
  assert sheet.content_type == "text/css" and "hotpink" in sheet.text
  # The rest of /static/ is still ours.
  assert client.get("/static/css/app.css").status_int == 200


def test_a_missing_custom_sheet_is_a_404_not_a_failure(app_settings, tmp_path, connection):
  app = make_app(
    settings={**app_settings, "instance_path": str(tmp_path / "empty")},
    environ={"PM_CUSTOM_CSS_SHEET": "css/custom.css"},
  )
  make_client(app).get("/static/css/custom.css", status=404)
