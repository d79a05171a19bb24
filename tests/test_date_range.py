"""Dates are accepted from 1970-01-01 to 9999-12-30 (UTC) and anything else is a 400 naming the field
(issue 8 item 14: a date at the edge with an offset, ``9999-12-31T23:59-14:00``, overflowed in
``astimezone`` and answered 500 in 19 places)."""

import datetime as dt
from types import SimpleNamespace

import pytest

from prodmanager.errors import ValidationFailed
from prodmanager.fields import DATE_RANGE_MESSAGE, DateTime, parse_datetime
from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET

EDGES = [
  "9999-12-31T23:59-14:00",  # year 10000 in UTC: OverflowError
  "0001-01-01T00:00+14:00",  # year 0 in UTC: OverflowError
  "9999-12-31T23:59",  # cannot be shown in a zone east of UTC
  "1969-12-31T23:59",
  "1970-01-01T00:00+00:01",
]


@pytest.mark.parametrize("raw", EDGES)
def test_parse_datetime_refuses_dates_out_of_range(raw):
  with pytest.raises(ValueError, match="between 1970-01-01T00:00 and 9999-12-30T23:59"):
    parse_datetime(raw)


def test_parse_datetime_refuses_out_of_range_datetimes_too():
  with pytest.raises(ValueError, match="between"):
    parse_datetime(dt.datetime.max.replace(tzinfo=dt.UTC))


@pytest.mark.parametrize(
  "raw, expected",
  [
    ("1970-01-01T00:00", dt.datetime(1970, 1, 1, tzinfo=dt.UTC)),
    ("1970-01-01T01:00+01:00", dt.datetime(1970, 1, 1, tzinfo=dt.UTC)),
    ("9999-12-30T23:59", dt.datetime(9999, 12, 30, 23, 59, tzinfo=dt.UTC)),
    ("9999-12-31T09:59+14:00", dt.datetime(9999, 12, 30, 19, 59, tzinfo=dt.UTC)),
  ],
)
def test_parse_datetime_accepts_the_range_bounds(raw, expected):
  assert parse_datetime(raw) == expected


def test_every_date_field_of_every_type_refuses_out_of_range_dates(registry, dbsession):
  request = SimpleNamespace(dbsession=dbsession, registry=registry)
  checked = []
  for resource_type in app_state(registry).resource_types.values():
    service = resource_type.service(request)
    for field in service.fields:
      if not isinstance(field, DateTime):
        continue
      for raw in EDGES[:2]:
        with pytest.raises(ValidationFailed) as raised:
          service.validate({field.name: raw})
        assert raised.value.reasons[field.name] == [DATE_RANGE_MESSAGE], (resource_type.name, field.name)
      checked.append(f"{resource_type.name}.{field.name}")
  assert "incident.start_impact_date" in checked and "maintenance.scheduled_start_date" in checked


def test_every_date_filter_of_every_list_refuses_out_of_range_dates(webapp, registry):
  checked = []
  for resource_type in app_state(registry).resource_types.values():
    for flt in resource_type.service.filter_declarations():
      if flt.kind not in ("after", "before"):
        continue
      for raw in EDGES[:2]:
        response = webapp.get(f"/api/{resource_type.name}", {flt.name: raw}, status=400)
        assert response.json["reasons"] == {flt.name: [DATE_RANGE_MESSAGE]}
        page = webapp.get(f"/{resource_type.name}", {flt.name: raw}, status=400)
        assert DATE_RANGE_MESSAGE in page.text, (resource_type.name, flt.name)
      checked.append(f"{resource_type.name}.{flt.name}")
  assert "incident.impact_after" in checked and "maintenance.start_after" in checked


@pytest.fixture
def parents(webapp, token_headers):
  scope = webapp.post_json("/api/scope", {"name": "Edge scope"}, headers=token_headers).json
  service = webapp.post_json("/api/service", {"name": "Edge service"}, headers=token_headers).json
  return scope["id"], service["id"]


def test_incident_create_and_update_refuse_out_of_range_dates(webapp, token_headers, parents):
  scope, service = parents
  body = {"name": "Edge incident", "severity": "high", "scope": scope, "service": service}
  response = webapp.post_json(
    "/api/incident",
    {**body, "start_impact_date": "0001-01-01T00:00+14:00"},
    headers=token_headers,
    status=400,
  )
  assert response.json["reasons"] == {"start_impact_date": [DATE_RANGE_MESSAGE]}
  created = webapp.post_json("/api/incident", body, headers=token_headers, status=201).json
  response = webapp.patch_json(
    f"/api/incident/{created['id']}",
    {"stable_date": "9999-12-31T23:59-14:00"},
    headers=token_headers,
    status=400,
  )
  assert response.json["reasons"] == {"stable_date": [DATE_RANGE_MESSAGE]}


def test_maintenance_form_refuses_out_of_range_dates(webapp, operator, parents):
  """The form reads dates in the instance time zone: the offset is added there, not typed."""
  scope, service = parents
  page = webapp.post(
    "/maintenance/create",
    {
      "csrf_token": operator(),
      "name": "Edge maintenance",
      "service_status": "down",
      "scope": str(scope),
      "service": str(service),
      "scheduled_start_date": "9999-12-31T23:59",
      "scheduled_end_date": "9999-12-31T23:59",
    },
    status=400,
  )
  assert DATE_RANGE_MESSAGE in page.text


@pytest.mark.parametrize("field", ["not_before_date", "expiration_date"])
def test_token_dates_refuse_out_of_range_dates(webapp, field):
  body = {"secret": TEST_SECRET, "name": "edgetoken", "description": "a token at the edge", field: EDGES[0]}
  response = webapp.post_json("/api/token/create", body, status=400)
  assert response.json["reasons"][field] == [DATE_RANGE_MESSAGE]
