"""A comment carrying an XSS payload is shown sanitised on the page and in the feeds.

Comments are Markdown written by operators and read by anonymous visitors (0.22 had a stored XSS
there). A template showing ``event.content|safe`` instead of ``markdown(event.content)`` went
unnoticed: no test posted such a comment and looked at the page.
"""

import xml.etree.ElementTree as ElementTree

import pytest
from bs4 import BeautifulSoup

PAYLOAD = (
  "**bold news**\n\n"
  '<script>alert("xss-script")</script>\n\n'
  '<img src="x" onerror="alert(\'xss-img\')">\n\n'
  "[a link](javascript:alert('xss-link'))\n\n"
  "<a href=\"javascript:alert('xss-a')\" onclick=\"alert('xss-click')\">raw link</a>\n\n"
  '<iframe src="https://evil.example/"></iframe><style>body{display:none}</style>'
)


def assert_sanitised(fragment) -> None:
  """No script, frame or style element, no event handler, no javascript: URL; the Markdown rendered."""
  assert fragment.select("script, iframe, style, object, embed") == []
  for element in fragment.find_all(True):
    for attribute, value in element.attrs.items():
      assert not attribute.lower().startswith("on"), f"{element.name}[{attribute}]"
      values = value if isinstance(value, list) else [value]
      assert not any("javascript:" in str(item).lower() for item in values), f"{element.name}[{attribute}]"
  assert fragment.select_one("strong").get_text() == "bold news"


@pytest.fixture
def parents(webapp, token_headers):
  scope = webapp.post_json("/api/scope", {"name": "XSS scope"}, headers=token_headers).json
  service = webapp.post_json("/api/service", {"name": "XSS service"}, headers=token_headers).json
  return scope["id"], service["id"]


@pytest.fixture(params=["incident", "maintenance"])
def commented(request, webapp, token_headers, parents):
  """An incident or a maintenance with the payload as a public comment, posted through the API."""
  scope, service = parents
  body = {"name": "Row with a comment", "scope": scope, "service": service}
  if request.param == "incident":
    body["severity"] = "high"
  else:
    body.update(
      service_status="down",
      scheduled_start_date="2030-01-01T10:00",
      scheduled_end_date="2030-01-01T12:00",
    )
  row = webapp.post_json(f"/api/{request.param}", body, headers=token_headers, status=201).json
  webapp.post_json(f"/api/{request.param}/{row['id']}/comment", {"comment": PAYLOAD}, headers=token_headers)
  return request.param, row["id"]


def test_the_detail_page_shows_the_comment_sanitised(webapp, commented):
  type_name, ident = commented
  page = webapp.get(f"/{type_name}/{ident}")
  items = page.html.select("#timeline .timeline-item .markdown")
  assert len(items) == 1
  assert_sanitised(items[0])
  # The layout's own scripts are files; none is inline, so none can come from the comment.
  assert all(script.get("src") for script in page.html.select("script"))
  assert "xss-" not in "".join(script.get_text() for script in page.html.select("script"))


def test_the_api_returns_the_comment_as_written(webapp, commented):
  """The JSON keeps the Markdown source (clients render it): sanitising is the renderer's job."""
  type_name, ident = commented
  events = webapp.get(f"/api/{type_name}/{ident}/events").json["items"]
  assert [event["content"] for event in events if event["type"] == "comment"] == [PAYLOAD]


@pytest.mark.parametrize("feed", ["/history.atom", "/history.rss"])
def test_the_feeds_carry_the_comment_sanitised(webapp, commented, feed):
  root = ElementTree.fromstring(webapp.get(feed).body)
  contents = [
    element.text
    for element in root.iter()
    if element.tag.rsplit("}", 1)[-1] in ("content", "description") and "bold news" in (element.text or "")
  ]
  assert contents, "the comment is not in the feed"
  for content in contents:
    assert_sanitised(BeautifulSoup(content, "html.parser"))


def test_the_comment_form_shows_the_comment_sanitised(webapp, operator, parents, token_headers):
  scope, service = parents
  row = webapp.post_json(
    "/api/incident",
    {"name": "Commented by form", "severity": "high", "scope": scope, "service": service},
    headers=token_headers,
  ).json
  webapp.post(f"/incident/{row['id']}/comment", {"comment": PAYLOAD, "csrf_token": operator()}, status=303)
  page = webapp.get(f"/incident/{row['id']}")
  assert_sanitised(page.html.select_one("#timeline .timeline-item .markdown"))
