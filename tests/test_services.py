"""Unit tests of prodmanager.services: list filters, pages, list parameters and the generic rules of
ResourceService, through real types (scope, incident, maintenance) on the real database."""

import datetime as dt
import enum
from types import SimpleNamespace

import pytest
from webob.multidict import MultiDict

from prodmanager.errors import Conflict, ValidationFailed
from prodmanager.services import MAX_FILTER_VALUES, Filter, Page, parse_int_param


class Colour(enum.Enum):
  RED = "red"
  BLUE = "blue"


def service_of(cls, dbsession, registry):
  """A service on the test's session: services read only ``dbsession`` and ``registry`` of the request."""
  return cls(SimpleNamespace(dbsession=dbsession, registry=registry, identity=None))


@pytest.fixture
def scopes(dbsession, registry):
  from prodmanager_scope.services import ScopeService

  return service_of(ScopeService, dbsession, registry)


def reasons_of(call, *args):
  with pytest.raises(ValidationFailed) as caught:
    call(*args)
  return caught.value.reasons


# -- Filter -----------------------------------------------------------------------------------------


@pytest.mark.one_backend
def test_enum_filter_parses_case_insensitively_and_lists_values():
  flt = Filter("colour", None, "enum", Colour)
  assert flt.parse("RED") is Colour.RED
  with pytest.raises(ValueError, match="^must be one of: red, blue$"):
    flt.parse("green")


@pytest.mark.one_backend
@pytest.mark.parametrize("raw", ["-1", "1.0", "abc", "1" * 19, "²"])
def test_int_filter_refuses_what_is_not_a_positive_id(raw):
  with pytest.raises(ValueError, match="^expected a positive integer id$"):
    Filter("scope", None, "int").parse(raw)


@pytest.mark.one_backend
def test_int_filter_accepts_ids():
  assert Filter("scope", None, "int").parse("42") == 42
  assert Filter("scope", None, "int").parse("1" * 18) == int("1" * 18)


@pytest.mark.one_backend
def test_date_filters_parse_dates():
  assert Filter("after", None, "after").parse("2024-05-01T10:00") == dt.datetime(
    2024, 5, 1, 10, tzinfo=dt.UTC
  )
  with pytest.raises(ValueError, match="expected a date"):
    Filter("before", None, "before").parse("soon")


@pytest.mark.one_backend
def test_text_filter_limits_length():
  assert Filter("ref", None).parse("abc") == "abc"
  with pytest.raises(ValueError, match="^must be at most 255 characters long$"):
    Filter("ref", None).parse("a" * 256)


# -- Page and parse_int_param ------------------------------------------------------------------------


@pytest.mark.one_backend
def test_page_navigation():
  page = Page([], page=2, per_page=10, total=25)
  assert (page.pages, page.prev_page, page.next_page) == (3, 1, 3)
  first = Page([], page=1, per_page=10, total=25)
  assert (first.prev_page, first.next_page) == (None, 2)
  last = Page([], page=3, per_page=10, total=25)
  assert last.next_page is None
  assert Page([], page=1, per_page=10, total=0).pages == 0
  assert Page([], page=1, per_page=10, total=10).pages == 1


@pytest.mark.one_backend
def test_page_of_zero_rows_per_page_counts_only():
  assert Page([], page=1, per_page=0, total=7).pages == 1
  assert Page([], page=1, per_page=0, total=0).pages == 0


@pytest.mark.one_backend
def test_parse_int_param():
  assert parse_int_param({}, "page", 1, 1, 10) == 1
  assert parse_int_param({"page": ""}, "page", 1, 1, 10) == 1
  assert parse_int_param({"page": " 7 "}, "page", 1, 1, 10) == 7
  assert parse_int_param({"page": "10"}, "page", 1, 1, 10) == 10
  assert reasons_of(parse_int_param, {"page": "abc"}, "page", 1, 1, 10) == {"page": ["expected an integer"]}
  assert reasons_of(parse_int_param, {"page": "1" * 13}, "page", 1, 1, 10) == {
    "page": ["expected an integer"]
  }
  out_of_range = {"per_page": ["expected an integer between 0 and 50"]}
  assert reasons_of(parse_int_param, {"per_page": "51"}, "per_page", 20, 0, 50) == out_of_range
  assert reasons_of(parse_int_param, {"per_page": "-1"}, "per_page", 20, 0, 50) == out_of_range


# -- lists ------------------------------------------------------------------------------------------


def test_list_pages_sorts_and_counts(scopes, make):
  for name in ("Delta", "alpha", "Charlie", "Bravo"):
    make.scope(name=name)
  page, state = scopes.list(MultiDict(per_page="3"))
  assert page.total == 4
  assert page.pages == 2
  assert state == {"applied": {}, "sort": "name"}
  # The default order is the name, ascending (as the database compares text).
  names = sorted(["Delta", "alpha", "Charlie", "Bravo"])
  assert [row.name for row in page.items] == names[:3]
  second, _ = scopes.list(MultiDict(per_page="3", page="2"))
  assert [row.name for row in second.items] == names[3:]
  reverse, state = scopes.list(MultiDict(sort="-name"))
  assert [row.name for row in reverse.items] == names[::-1]
  assert state["sort"] == "-name"


def test_list_with_zero_per_page_counts_without_rows(scopes, make):
  make.scope(name="Paris DC")
  page, _ = scopes.list(MultiDict(per_page="0"))
  assert (page.items, page.total) == ([], 1)


def test_list_search_is_case_insensitive_on_the_search_columns(scopes, make):
  make.scope(name="Paris DC", description="the main site")
  make.scope(name="Lyon DC", description="backup MAIN power")
  make.scope(name="Nantes", description="")
  page, state = scopes.list(MultiDict(q=" main "))
  assert sorted(row.name for row in page.items) == ["Lyon DC", "Paris DC"]
  assert state["applied"] == {"q": ["main"]}


def test_list_refuses_bad_parameters_naming_each(scopes):
  reasons = reasons_of(scopes.list, MultiDict(sort="colour", q="x" * 256))
  assert reasons == {"sort": ["must be one of: name, -name"], "q": ["must be at most 255 characters long"]}
  assert reasons_of(scopes.list, MultiDict(page="0")) == {
    "page": ["expected an integer between 1 and 10000000"]
  }


def test_list_filters_through_a_real_type(dbsession, registry, make):
  from prodmanager_incident.services import IncidentService

  incidents = service_of(IncidentService, dbsession, registry)
  paris, lyon = make.scope(name="Paris DC"), make.scope(name="Lyon DC")
  first = make.incident(name="Paris one", scope=paris, severity="high")
  make.incident(name="Lyon one", scope=lyon, severity="low")
  make.incident(name="Paris two", scope=paris, severity="low")
  params = MultiDict([("scope", str(paris.id)), ("severity", "HIGH")])
  page, state = incidents.list(params)
  assert [row.id for row in page.items] == [first.id]
  assert state["applied"] == {"scope": [str(paris.id)], "severity": ["HIGH"]}
  # Several values of one filter are alternatives.
  both = MultiDict([("scope", str(paris.id)), ("scope", str(lyon.id))])
  assert incidents.list(both)[0].total == 3
  assert reasons_of(incidents.list, MultiDict(severity="huge", scope="x")) == {
    "severity": ["must be one of: critical, high, moderate, low, minor"],
    "scope": ["expected a positive integer id"],
  }
  too_many = MultiDict([("scope", str(n)) for n in range(1, MAX_FILTER_VALUES + 2)])
  assert reasons_of(incidents.list, too_many) == {
    "scope": [f"at most {MAX_FILTER_VALUES} values are accepted"]
  }


def test_date_filters_bound_the_list(dbsession, registry, make):
  from prodmanager_incident.services import IncidentService

  incidents = service_of(IncidentService, dbsession, registry)
  dates = [dt.datetime(2024, 5, day, 12, tzinfo=dt.UTC) for day in (1, 2, 3)]
  rows = [make.incident(name=f"Incident {n}", start_impact_date=date) for n, date in enumerate(dates)]
  page, _ = incidents.list(MultiDict(impact_after="2024-05-02T12:00", impact_before="2024-05-03T12:00"))
  # ``after`` is inclusive (>=), ``before`` exclusive (<).
  assert [row.id for row in page.items] == [rows[1].id]


# -- writing ----------------------------------------------------------------------------------------


def test_validate_requires_fields_on_create_and_parses_them(scopes):
  assert reasons_of(scopes.validate, {}) == {"name": ["this field is required"]}
  assert reasons_of(scopes.validate, {"name": "  "}) == {"name": ["this field is required"]}
  assert reasons_of(scopes.validate, {"name": "ab"}) == {"name": ["must be at least 3 characters long"]}
  assert scopes.validate({"name": " Paris DC "}) == {"name": "Paris DC", "description": ""}


def test_validate_on_update_keeps_what_is_left_out(scopes, make):
  row = make.scope(name="Paris DC", description="old")
  assert scopes.validate({"description": "new"}, row) == {"description": "new"}
  assert reasons_of(scopes.validate, {"name": ""}, row) == {"name": ["this field cannot be emptied"]}
  # An optional field sent empty is emptied.
  assert scopes.validate({"description": ""}, row) == {"description": ""}


def test_validate_message_names_the_operation(scopes, make):
  with pytest.raises(ValidationFailed) as caught:
    scopes.validate({})
  assert caught.value.message == "Scope creation failed"
  with pytest.raises(ValidationFailed) as caught:
    scopes.validate({"name": ""}, make.scope(name="Paris DC"))
  assert caught.value.message == "Scope update failed"


def test_check_unique_is_a_conflict_except_with_the_row_itself(scopes, make):
  paris = make.scope(name="Paris DC")
  lyon = make.scope(name="Lyon DC")
  assert scopes.check_unique({"name": "Paris DC"}, None) == {
    "name": ["this Name is already used by another Scope"]
  }
  assert scopes.check_unique({"name": "Paris DC"}, paris) == {}
  assert scopes.check_unique({"name": "Paris DC"}, lyon) == {
    "name": ["this Name is already used by another Scope"]
  }
  assert scopes.check_unique({"name": "Nantes"}, None) == {}
  with pytest.raises(Conflict) as caught:
    scopes.create({"name": "Paris DC"})
  assert caught.value.status == 409
  assert caught.value.reasons == {"name": ["this Name is already used by another Scope"]}


def test_create_update_delete_through_a_real_type(scopes, make, dbsession):
  from prodmanager_scope.models import Scope

  row = scopes.create({"name": "Paris DC", "description": "main"})
  assert make.row(Scope, row.id).name == "Paris DC"
  assert scopes.update(row, {"name": "Paris DC", "description": "backup"}) == {
    "description": ("main", "backup")
  }
  assert make.row(Scope, row.id).description == "backup"
  # Nothing changed, nothing reported.
  assert scopes.update(row, {"description": "backup"}) == {}
  scopes.delete(row)
  assert make.count(Scope) == 0


def test_delete_is_refused_while_dependents_remain(scopes, make):
  from prodmanager.errors import NotAllowed

  paris = make.scope(name="Paris DC")
  make.monitor(name="Web site", scope=paris)
  make.monitor(name="Database", scope=paris)
  with pytest.raises(NotAllowed) as caught:
    scopes.delete(paris)
  assert caught.value.status == 403
  assert any("2 still attached" in reason for reasons in caught.value.reasons.values() for reason in reasons)


def test_check_date_order_uses_the_stored_value_of_a_missing_date(dbsession, registry, make):
  from prodmanager_maintenance.services import MaintenanceService

  service = service_of(MaintenanceService, dbsession, registry)
  start, end = dt.datetime(2024, 5, 1, tzinfo=dt.UTC), dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
  assert service.check_date_order({"a": start, "b": end}, None, "a", "b") == {}
  assert service.check_date_order({"a": end, "b": start}, None, "a", "b") == {"b": ["must not be before A"]}
  assert service.check_date_order({"a": start, "b": start}, None, "a", "b") == {}
  assert service.check_date_order({"a": end}, None, "a", "b") == {}
  row = SimpleNamespace(a=start, b=end)
  assert service.check_date_order({"b": start - dt.timedelta(minutes=1)}, row, "a", "b") == {
    "b": ["must not be before A"]
  }
  assert service.check_date_order({"a": end + dt.timedelta(minutes=1)}, row, "a", "b") == {
    "b": ["must not be before A"]
  }
