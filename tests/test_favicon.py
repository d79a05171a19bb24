"""/favicon.ico, which browsers ask for on every page, and the icons the layout links to."""

import pytest

pytestmark = pytest.mark.one_backend


def test_favicon_ico_answers_an_icon(webapp):
  response = webapp.get("/favicon.ico")
  assert response.content_type == "image/x-icon"
  assert response.body[:4] == b"\x00\x00\x01\x00"
  assert "max-age=86400" in response.headers["Cache-Control"]


def test_layout_links_the_icons(webapp):
  page = webapp.get("/about")
  hrefs = [link.get("href") for link in page.html.select("link[rel~=icon], link[rel=apple-touch-icon]")]
  assert "/favicon.ico" in hrefs
  assert len(hrefs) == 3
  for href in hrefs:
    assert webapp.get(href.replace("http://localhost", "")).status_code == 200
