"""Control characters in text input: a 400 naming the field or parameter, on every backend, nothing
written (issue 8 item 12: a NUL reached PostgreSQL and answered 500)."""

import pytest
from sqlalchemy import func, select
from webob.multidict import MultiDict

from prodmanager.fields import Text, Url
from prodmanager.text import check_text, icalendar_text, refused_character, xml_text


def assert_json_error(response, status: int) -> dict:
  assert response.status_int == status
  assert response.content_type == "application/json"
  body = response.json
  assert set(body) == {"message", "reasons"}
  return body


def count(dbsession, model) -> int:
  return dbsession.scalar(select(func.count()).select_from(model))


@pytest.fixture
def scope(webapp, token_headers):
  return webapp.post_json("/api/scope", {"name": "Existing scope"}, headers=token_headers).json


@pytest.fixture
def service(webapp, token_headers):
  return webapp.post_json("/api/service", {"name": "Existing service"}, headers=token_headers).json


# -- the rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
  "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\ud800"]
)
def test_refused_everywhere(char):
  assert refused_character(f"a{char}b") == char
  assert refused_character(f"a{char}b", multiline=True) == char
  with pytest.raises(ValueError, match=f"U\\+{ord(char):04X}"):
    check_text(f"a{char}b")


def test_tab_and_line_feed_allowed_carriage_return_only_in_multiline_text():
  assert check_text("a\tb\nc") == "a\tb\nc"
  assert check_text("line one\r\nline two", multiline=True) == "line one\r\nline two"
  with pytest.raises(ValueError, match="U\\+000D"):
    check_text("a\rb")


def test_ordinary_unicode_is_accepted():
  text = "Réseau — 東京 🚀 «ok»"
  assert check_text(text) == text


def test_text_and_url_fields_refuse_them():
  with pytest.raises(ValueError, match="control characters"):
    Text("name").parse("nul\x00scope", None)
  with pytest.raises(ValueError, match="U\\+0001"):
    Text("description", multiline=True).parse("a\x01b", None)
  assert Text("description", multiline=True).parse("a\r\nb", None) == "a\r\nb"
  with pytest.raises(ValueError, match="tabs or line breaks"):
    Url("external_link").parse("https://example.com/a\tb", None)
  with pytest.raises(ValueError, match="U\\+0000"):
    Url("external_link").parse("https://example.com/\x00", None)


def test_output_cleaners_keep_what_their_format_carries():
  assert xml_text("a\x00b\x0bc\td\ne\rf\ufffeg") == "abc\td\ne\rfg"
  assert icalendar_text("a\x00b\x0bc\td\ne\rf\x7fg") == "abc\td\nefg"


# -- fields, through the API and the forms --------------------------------------------------------


@pytest.mark.parametrize(
  "body, field",
  [
    ({"name": "nul\u0000scope"}, "name"),
    ({"name": "vertical\u000btab"}, "name"),
    ({"name": "Good name", "description": "bell\u0007 in Markdown"}, "description"),
    ({"name": "carriage\rreturn"}, "name"),
  ],
)
def test_scope_create_refuses_control_characters(webapp, token_headers, dbsession, body, field):
  from prodmanager_scope.models import Scope

  before = count(dbsession, Scope)
  response = webapp.post_json("/api/scope", body, headers=token_headers, status=400)
  reasons = assert_json_error(response, 400)["reasons"]
  assert list(reasons) == [field]
  assert "control characters" in reasons[field][0]
  assert count(dbsession, Scope) == before


def test_multiline_text_keeps_tabs_and_line_breaks(webapp, token_headers):
  body = {"name": "Tabbed\tname", "description": "line one\r\nline two\n\tindented"}
  created = webapp.post_json("/api/scope", body, headers=token_headers, status=201).json
  assert created["name"] == "Tabbed\tname"
  assert created["description"] == "line one\r\nline two\n\tindented"


def test_update_refuses_control_characters(webapp, token_headers, scope):
  response = webapp.post_json(
    f"/api/scope/{scope['id']}/update", {"name": "nul\u0000scope"}, headers=token_headers, status=400
  )
  assert "name" in assert_json_error(response, 400)["reasons"]
  assert webapp.get(f"/api/scope/{scope['id']}").json["name"] == "Existing scope"


def test_form_encoded_body_refuses_control_characters(webapp, token_headers):
  response = webapp.post("/api/scope/create", {"name": "nul\x00scope"}, headers=token_headers, status=400)
  assert "name" in assert_json_error(response, 400)["reasons"]


def test_html_form_refuses_control_characters(webapp, operator, dbsession):
  from prodmanager_scope.models import Scope

  before = count(dbsession, Scope)
  page = webapp.post(
    "/scope/create", {"name": "nul\x00scope", "description": "", "csrf_token": operator()}, status=400
  )
  assert "control characters" in page.text
  assert count(dbsession, Scope) == before


def test_url_field_refuses_control_characters(webapp, token_headers, scope, service):
  body = {
    "name": "Probe with a link",
    "scope": scope["id"],
    "service": service["id"],
    "status": "ok",
    "external_link": "https://example.com/\u0000",
  }
  response = webapp.post_json("/api/monitor", body, headers=token_headers, status=400)
  assert list(assert_json_error(response, 400)["reasons"]) == ["external_link"]


def test_comment_refuses_control_characters(webapp, token_headers, scope, service, dbsession):
  from prodmanager_incident.models import IncidentEvent

  incident = webapp.post_json(
    "/api/incident",
    {"name": "Broken thing", "severity": "high", "scope": scope["id"], "service": service["id"]},
    headers=token_headers,
  ).json
  before = count(dbsession, IncidentEvent)
  response = webapp.post_json(
    f"/api/incident/{incident['id']}/comment",
    {"comment": "nul\u0000comment"},
    headers=token_headers,
    status=400,
  )
  assert list(assert_json_error(response, 400)["reasons"]) == ["comment"]
  response = webapp.post_json(
    f"/api/incident/{incident['id']}/events", {"comment": "soh\u0001"}, headers=token_headers, status=400
  )
  assert list(assert_json_error(response, 400)["reasons"]) == ["comment"]
  assert count(dbsession, IncidentEvent) == before


@pytest.mark.parametrize("field", ["name", "description"])
def test_token_name_and_description_refuse_control_characters(webapp, field, dbsession):
  from prodmanager.testing import TEST_SECRET
  from prodmanager.tokens import TokenRecord

  body = {"secret": TEST_SECRET, "name": "tokenname", "description": "a token description"}
  body[field] = body[field][:-1] + "\u0000"
  before = count(dbsession, TokenRecord)
  response = webapp.post_json("/api/token/create", body, status=400)
  reasons = assert_json_error(response, 400)["reasons"]
  assert list(reasons) == [field]
  assert "U+0000" in reasons[field][0]
  assert count(dbsession, TokenRecord) == before


# -- filters and query parameters ----------------------------------------------------------------


@pytest.mark.parametrize(
  "path, parameter",
  [
    ("/api/scope?q=%00", "q"),
    ("/api/monitor?integration=%00", "integration"),
    ("/api/incident?external_reference=a%01b", "external_reference"),
    ("/api/incident?impact_after=2024%00", "impact_after"),
    ("/api/scope?per_page=1&anything=%1b", "anything"),
    ("/badge.json?label=a%00b", "label"),
  ],
)
def test_query_parameters_refuse_control_characters(webapp, path, parameter):
  reasons = assert_json_error(webapp.get(path, status=400), 400)["reasons"]
  assert list(reasons) == [parameter]
  assert "control characters" in reasons[parameter][0]


def test_query_parameter_name_with_control_character(webapp):
  reasons = assert_json_error(webapp.get("/api/scope?a%00b=1", status=400), 400)["reasons"]
  assert list(reasons) == ["query"]


def test_html_list_refuses_control_characters_with_the_error_page(webapp):
  page = webapp.get("/scope?q=%00", status=400)
  assert page.content_type == "text/html"
  assert "Invalid query parameter q: must not contain control characters (found U+0000)" in page.text
  assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_query_keeps_ordinary_text(webapp, scope):
  assert [row["name"] for row in webapp.get("/api/scope?q=existing%09").json["items"]] == ["Existing scope"]


@pytest.mark.parametrize(
  "params, parameter",
  [({"q": "nul\x00"}, "q"), ({"integration": "a\x00"}, "integration")],
)
def test_service_filters_refuse_control_characters_without_http(registry, dbsession, params, parameter):
  """The services check their filters themselves, whatever calls them (not only the query check)."""
  from types import SimpleNamespace

  from prodmanager.errors import ValidationFailed
  from prodmanager_monitor.services import MonitorService

  service = MonitorService(SimpleNamespace(dbsession=dbsession, registry=registry))
  with pytest.raises(ValidationFailed) as raised:
    service.parse_list_params(MultiDict(params))
  assert list(raised.value.reasons) == [parameter]
