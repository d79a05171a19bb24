"""Unit tests of prodmanager.fields: what each field kind accepts, refuses, and the messages it gives."""

import datetime as dt
import enum
from types import SimpleNamespace

import pytest

from prodmanager.fields import (
  DATE_RANGE_MESSAGE,
  Boolean,
  Choice,
  DateTime,
  Field,
  Reference,
  Text,
  Url,
  format_datetime,
  parse_datetime,
)


class Colour(enum.Enum):
  RED = "red"
  BLUE = "blue"


def refusal(field, raw, service=None) -> str:
  with pytest.raises(ValueError) as caught:
    field.parse(raw, service)
  return str(caught.value)


@pytest.mark.one_backend
@pytest.mark.parametrize(
  ("raw", "expected"),
  [
    ("2024-05-01T13:45", dt.datetime(2024, 5, 1, 13, 45, tzinfo=dt.UTC)),
    ("2024-05-01 13:45", dt.datetime(2024, 5, 1, 13, 45, tzinfo=dt.UTC)),
    ("2024-05-01T13:45:30", dt.datetime(2024, 5, 1, 13, 45, 30, tzinfo=dt.UTC)),
    ("2024-05-01", dt.datetime(2024, 5, 1, tzinfo=dt.UTC)),
    ("2024-05-01T13:45Z", dt.datetime(2024, 5, 1, 13, 45, tzinfo=dt.UTC)),
    ("2024-05-01T15:45+02:00", dt.datetime(2024, 5, 1, 13, 45, tzinfo=dt.UTC)),
    ("  2024-05-01T13:45  ", dt.datetime(2024, 5, 1, 13, 45, tzinfo=dt.UTC)),
  ],
)
def test_parse_datetime_accepts_the_documented_formats_in_utc(raw, expected):
  value = parse_datetime(raw)
  assert value == expected
  assert value.utcoffset() == dt.timedelta(0)


@pytest.mark.one_backend
def test_parse_datetime_takes_a_naive_datetime_as_utc():
  assert parse_datetime(dt.datetime(2024, 5, 1, 8, 0)) == dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", ["yesterday", "2024-13-01", "01/05/2024", ""])
def test_parse_datetime_refuses_other_text_with_an_example(raw):
  with pytest.raises(ValueError, match=r"expected a date such as 2024-05-01T13:45 \(UTC\)"):
    parse_datetime(raw)


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", ["1969-12-31T23:59", "9999-12-31T00:00", "9999-12-31T23:59-14:00"])
def test_parse_datetime_refuses_dates_out_of_range(raw):
  with pytest.raises(ValueError) as caught:
    parse_datetime(raw)
  assert str(caught.value) == DATE_RANGE_MESSAGE


@pytest.mark.one_backend
def test_parse_datetime_accepts_the_bounds():
  assert parse_datetime("1970-01-01T00:00") == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
  assert parse_datetime("9999-12-30T23:59:59") == dt.datetime(9999, 12, 30, 23, 59, 59, tzinfo=dt.UTC)


@pytest.mark.one_backend
def test_format_datetime_is_minute_precision_utc():
  paris = dt.timezone(dt.timedelta(hours=2))
  assert format_datetime(dt.datetime(2024, 5, 1, 15, 45, 59, tzinfo=paris)) == "2024-05-01T13:45"
  assert format_datetime(None) is None


@pytest.mark.one_backend
def test_field_attr_defaults_to_its_name():
  assert Field("scope").attr == "scope"
  assert Field("scope", attribute="scope_id").attr == "scope_id"


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_values(raw):
  assert Field("x").empty(raw)


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", [0, False, "a", " a "])
def test_non_empty_values(raw):
  assert not Field("x").empty(raw)


@pytest.mark.one_backend
def test_text_strips_and_accepts_numbers():
  field = Text("name", min_length=3, max_length=10)
  assert field.parse("  Paris  ", None) == "Paris"
  assert field.parse(12345, None) == "12345"
  assert field.parse(1.5, None) == "1.5"


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", [True, None, ["a"], {"a": 1}])
def test_text_refuses_non_text_values(raw):
  assert refusal(Text("name"), raw) == "expected a text value"


@pytest.mark.one_backend
def test_text_length_bounds_are_inclusive_and_named():
  field = Text("name", min_length=3, max_length=5)
  assert field.parse("abc", None) == "abc"
  assert field.parse("abcde", None) == "abcde"
  assert refusal(field, "ab") == "must be at least 3 characters long"
  assert refusal(field, "abcdef") == "must be at most 5 characters long"
  # The length is measured after stripping.
  assert refusal(field, "  ab  ") == "must be at least 3 characters long"


@pytest.mark.one_backend
def test_text_carriage_returns_only_in_multiline_fields():
  # A textarea sends CR LF; a one-line value has no use for a CR.
  assert Text("description", multiline=True).parse("one\r\ntwo", None) == "one\r\ntwo"
  assert refusal(Text("name"), "one\r\ntwo") == "must not contain control characters (found U+000D)"


@pytest.mark.one_backend
def test_text_refuses_control_characters():
  assert refusal(Text("name"), "bad\x00name") == "must not contain control characters (found U+0000)"
  assert (
    refusal(Text("name", multiline=True), "bad\x1bname")
    == "must not contain control characters (found U+001B)"
  )


@pytest.mark.one_backend
def test_text_empty_value_depends_on_multiline():
  assert Text("description", multiline=True).empty_value() == ""
  assert Text("reference").empty_value() is None


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", ["http://example.com", "https://example.com/a?b=c#d", "  https://x.org  "])
def test_url_accepts_http_and_https(raw):
  assert Url("link").parse(raw, None) == raw.strip()


@pytest.mark.one_backend
@pytest.mark.parametrize(
  "raw", ["ftp://example.com", "javascript:alert(1)", "example.com", "https://", "//x.org"]
)
def test_url_refuses_other_schemes_and_missing_hosts(raw):
  assert refusal(Url("link"), raw) == "expected an http:// or https:// URL"


@pytest.mark.one_backend
def test_url_refusals():
  assert refusal(Url("link"), 42) == "expected a URL"
  assert refusal(Url("link"), "https://exa\tmple.com") == "must not contain tabs or line breaks"
  assert refusal(Url("link", max_length=30), "https://example.com/" + "a" * 20) == (
    "must be at most 30 characters long"
  )


@pytest.mark.one_backend
def test_choice_is_case_insensitive_and_returns_the_member():
  field = Choice("colour", enum=Colour)
  assert field.parse("red", None) is Colour.RED
  assert field.parse(" BLUE ", None) is Colour.BLUE


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", ["green", 1, None, ["red"]])
def test_choice_refusal_lists_the_values(raw):
  assert refusal(Choice("colour", enum=Colour), raw) == "must be one of: red, blue"


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", [True, "1", "yes", "on", " TRUE ", "y", "t"])
def test_boolean_true_values(raw):
  assert Boolean("internal").parse(raw, None) is True


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", [False, "0", "no", "off", "False", "n", "f"])
def test_boolean_false_values(raw):
  assert Boolean("internal").parse(raw, None) is False


@pytest.mark.one_backend
def test_boolean_refusal_and_empty_value():
  assert refusal(Boolean("internal"), "maybe") == "expected true or false"
  assert Boolean("internal").empty_value() is False


@pytest.mark.one_backend
def test_datetime_field_parses_like_parse_datetime():
  assert DateTime("start").parse("2024-05-01T13:45", None) == dt.datetime(2024, 5, 1, 13, 45, tzinfo=dt.UTC)
  assert DateTime("start").empty_value() is None


def test_reference_needs_an_existing_row(dbsession, make):
  from prodmanager_scope.models import Scope

  scope = make.scope(name="Paris DC")
  service = SimpleNamespace(db=dbsession)
  field = Reference("scope", model=Scope, attribute="scope_id")
  assert field.parse(scope.id, service) == scope.id
  assert field.parse(f" {scope.id} ", service) == scope.id
  assert refusal(field, scope.id + 1000, service) == f"no Scope with id {scope.id + 1000}"


@pytest.mark.one_backend
@pytest.mark.parametrize(
  ("raw", "message"),
  [
    (True, "expected an integer id"),
    ("abc", "expected an integer id"),
    ("1.5", "expected an integer id"),
    (0, "expected a positive integer id"),
    (-3, "expected a positive integer id"),
    (2**63, "expected a positive integer id"),
  ],
)
def test_reference_refuses_non_ids_before_any_query(raw, message):
  # No database: a refused value never reaches ``service.db``.
  assert refusal(Reference("scope", model=object), raw, SimpleNamespace()) == message
