"""PM_PUBLIC_URL and PM_SITE_NAME: absolute URLs never follow a forged Host header when the public
address is configured, and the site's name is shown where the product's name was."""

import re

import pytest

from prodmanager.settings import ConfigurationError, read_settings
from prodmanager.testing import TEST_SECRET

PUBLIC = "https://status.example.com"
FORGED_HOST = "attacker.example"


@pytest.fixture
def site_app(build_app, connection):
  """``site_app(public_url=..., site_name=...)``: a client whose requests carry a forged Host header,
  on the test's connection (its writes are rolled back like the others')."""

  def make(**overrides):
    client = build_app(**overrides)
    client.extra_environ["HTTP_HOST"] = FORGED_HOST
    return client

  return make


def test_api_links_and_location_use_the_public_url(site_app, make_token):
  client = site_app(public_url=PUBLIC)
  created = client.post_json("/api/scope", {"name": "Paris DC"}, headers=make_token(), status=201)
  scope_id = created.json["id"]
  assert created.headers["Location"] == f"{PUBLIC}/api/scope/{scope_id}"
  assert created.json["links"]["self"] == f"{PUBLIC}/api/scope/{scope_id}"
  listed = client.get("/api/scope", {"per_page": "1"}).json
  assert FORGED_HOST not in str(listed)


def test_redirects_use_the_public_url(site_app):
  client = site_app(public_url=PUBLIC)
  assert client.get("/scope/create", status=303).location == f"{PUBLIC}/login?next=%2Fscope%2Fcreate"
  # A browser on the public (https) address logs in: Secure cookie, HSTS, redirect to the public URL.
  client.extra_environ.update({"HTTP_HOST": "status.example.com", "wsgi.url_scheme": "https"})
  form = client.get("/login", {"next": "/scope"}).forms["login-form"]
  form["secret"] = TEST_SECRET
  login = form.submit(status=303)
  assert login.headers["Location"] == f"{PUBLIC}/scope"
  assert "secure" in login.headers["Set-Cookie"].lower()
  assert login.headers["Strict-Transport-Security"].startswith("max-age=")


def test_feeds_use_the_public_url(site_app):
  client = site_app(public_url=PUBLIC)
  atom = client.get("/history.atom").text
  assert f'href="{PUBLIC}/history.atom"' in atom and f"<id>{PUBLIC}/history</id>" in atom
  assert FORGED_HOST not in atom
  rss = client.get("/history.rss").text
  assert f'<atom:link href="{PUBLIC}/history.rss" rel="self"/>' in rss and FORGED_HOST not in rss


def test_swagger_reads_the_spec_from_the_public_url(site_app):
  page = site_app(public_url=PUBLIC).get("/api").text
  assert f"{PUBLIC}/api/openapi.json" in page and FORGED_HOST not in page


def test_without_a_public_url_absolute_urls_follow_the_request(site_app, make_token):
  client = site_app()
  created = client.post_json("/api/scope", {"name": "Lyon DC"}, headers=make_token(), status=201)
  assert created.headers["Location"] == f"http://{FORGED_HOST}/api/scope/{created.json['id']}"
  assert f"http://{FORGED_HOST}/api/openapi.json" in client.get("/api").text


def test_site_name_in_titles_and_feeds(site_app):
  client = site_app(site_name="Acme Status")
  page = client.get("/about").text
  assert re.search(r"<title>[^<]*· Acme Status</title>", page)
  assert "<span>Acme Status</span>" in page and "ProdManager</title>" not in page
  assert "<title>Acme Status · Production status history</title>" in client.get("/history.atom").text


def test_default_site_name_is_the_product_name(webapp):
  assert "<title>ProdManager</title>" in webapp.get("/").text


@pytest.mark.parametrize(
  ("raw", "expected"),
  [
    ("", ""),
    ("https://Status.Example.com/", "https://status.example.com"),
    ("http://status.example.com:8443", "http://status.example.com:8443"),
  ],
)
def test_public_url_values(raw, expected):
  assert read_settings({}, {"PM_PUBLIC_URL": raw})["prodmanager.public_url"] == expected


@pytest.mark.parametrize(
  "raw",
  [
    "status.example.com",
    "ftp://status.example.com",
    "https://status.example.com/status",
    "https://status.example.com/?a=1",
    "https://user:pw@status.example.com",
    "https://status.example.com:port",
  ],
)
def test_bad_public_urls_stop_startup(raw):
  with pytest.raises(ConfigurationError, match="PM_PUBLIC_URL"):
    read_settings({}, {"PM_PUBLIC_URL": raw})


def test_bad_site_name_stops_startup():
  with pytest.raises(ConfigurationError, match="PM_SITE_NAME"):
    read_settings({}, {"PM_SITE_NAME": "two\nlines"})
