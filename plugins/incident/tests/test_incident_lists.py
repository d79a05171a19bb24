"""Incident lists (docs/api.md#lists, docs/user-guide.md): filters with real datetime comparison, free text, the default
order and the documented sorts, pagination, the HTML filter controls, a constant number of queries, ETags."""

import datetime as dt

import pytest

from prodmanager_incident.models import Incident, IncidentEvent, IncidentStatus
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service


def at(hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
  return dt.datetime(2024, 5, day, hour, minute, tzinfo=dt.UTC)


def names(response) -> list[str]:
  if response.content_type == "application/json":
    return [item["name"] for item in response.json["items"]]
  return [cell.get_text(strip=True) for cell in response.html.select("tbody tr td:first-child")]


@pytest.fixture
def sample(world):
  """Five incidents spread over scopes, services, statuses, severities and start dates."""
  return {
    "disk": world.incident("Disk full", "active", "critical", world.paris, world.compute,
                           start_impact_date=at(9), external_reference="INC001"),
    "dns": world.incident("DNS errors", "investigating", "moderate", world.lyon, world.network,
                          start_impact_date=at(10), description="Resolver *timeouts*"),
    "lb": world.incident("Load balancer flaps", "stable", "high", world.lyon, world.compute,
                         start_impact_date=at(12), external_reference="INC002"),
    "mail": world.incident("Mail delayed", "resolved", "low", world.paris, world.network,
                           start_impact_date=at(12), resolve_date=at(13), external_reference="inc-mail"),
    "vpn": world.incident("VPN drops", "resolved", "minor", world.paris, world.network,
                          start_impact_date=at(8, day=2), resolve_date=at(9, day=2)),
  }  # fmt: skip


@pytest.mark.parametrize("path", ["/api/incident", "/incident"])
def test_default_order_is_start_of_impact_newest_first_then_status_then_severity(webapp, world, path):
  # Same start: status decides (declaration order, not alphabetical); same status: severity decides.
  for name, status, severity in [
    ("R-critical", "resolved", "critical"),
    ("A-minor", "active", "minor"),
    ("S-high", "stable", "high"),
    ("A-critical", "active", "critical"),
    ("I-low", "investigating", "low"),
    ("A-moderate", "active", "moderate"),
  ]:
    world.incident(name, status, severity, start_impact_date=at(12))
  world.incident("Newest", "resolved", "minor", start_impact_date=at(12, 1))
  world.incident("Oldest", "active", "critical", start_impact_date=at(11, 59))
  assert names(webapp.get(path)) == [
    "Newest",
    "A-critical",
    "A-moderate",
    "A-minor",
    "I-low",
    "S-high",
    "R-critical",
    "Oldest",
  ]


@pytest.mark.parametrize(
  ("sort", "expected"),
  [
    ("-start_impact_date", ["vpn", "lb", "mail", "dns", "disk"]),
    ("start_impact_date", ["disk", "dns", "lb", "mail", "vpn"]),
    ("status", ["disk", "dns", "lb", "mail", "vpn"]),
    ("severity", ["disk", "lb", "dns", "mail", "vpn"]),
    ("name", ["dns", "disk", "lb", "mail", "vpn"]),
    ("-name", ["vpn", "mail", "lb", "disk", "dns"]),
  ],
)
def test_sort_options(webapp, sample, sort, expected):
  assert names(webapp.get("/api/incident", {"sort": sort})) == [sample[key].name for key in expected]


def test_sort_options_are_documented_and_checked(webapp, world):
  document = webapp.get("/api/openapi.json").json
  parameters = document["paths"]["/api/incident"]["get"]["parameters"]
  sort = next(parameter for parameter in parameters if parameter.get("name") == "sort")
  assert sort["schema"]["enum"] == [
    "-start_impact_date",
    "start_impact_date",
    "status",
    "severity",
    "-creation_date",
    "name",
    "-name",
  ]
  assert sort["description"].startswith("order of the list (default `-start_impact_date`): ")
  assert "`severity`: severity (critical first)" in sort["description"]
  response = webapp.get("/api/incident", {"sort": "random"}, status=400)
  assert list(response.json["reasons"]) == ["sort"]


@pytest.mark.parametrize(
  ("params", "expected"),
  [
    ({"status": "resolved"}, ["vpn", "mail"]),
    ([("status", "active"), ("status", "stable")], ["lb", "disk"]),  # repeated: OR
    ({"severity": "critical"}, ["disk"]),
    ([("severity", "high"), ("severity", "moderate")], ["lb", "dns"]),
    ({"scope": "lyon"}, ["lb", "dns"]),
    ({"service": "network"}, ["vpn", "mail", "dns"]),
    ({"scope": "paris", "service": "network"}, ["vpn", "mail"]),  # combined: AND
    ({"external_reference": "INC002"}, ["lb"]),
    ([("external_reference", "INC001"), ("external_reference", "INC002")], ["lb", "disk"]),
    ({"q": "dns"}, ["dns"]),  # name, case-insensitive
    ({"q": "TIMEOUT"}, ["dns"]),  # description
    ({"q": "inc-m"}, ["mail"]),  # external reference
    ({"q": "inc", "status": "active"}, ["disk"]),
  ],
)
@pytest.mark.parametrize("path", ["/api/incident", "/incident"])
def test_filters(webapp, world, sample, path, params, expected):
  ids = {"lyon": world.lyon.id, "paris": world.paris.id, "network": world.network.id}
  if isinstance(params, dict):
    params = {key: str(ids.get(value, value)) for key, value in params.items()}
  response = webapp.get(path, params)
  assert names(response) == [sample[key].name for key in expected]


@pytest.mark.parametrize(
  "text",
  ["2024-05-01T12:00", "2024-05-01 12:00", "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z"],
)
def test_impact_date_filters_compare_datetimes(webapp, sample, text):
  """``impact_after`` is >= and ``impact_before`` is <, whatever the accepted format of the date."""
  after = names(webapp.get("/api/incident", {"impact_after": text}))
  before = names(webapp.get("/api/incident", {"impact_before": text}))
  assert after == ["VPN drops", "Load balancer flaps", "Mail delayed"]  # 12:00 included
  assert before == ["DNS errors", "Disk full"]  # 12:00 excluded
  window = names(webapp.get("/api/incident", {"impact_after": "2024-05-01T09:30", "impact_before": text}))
  assert window == ["DNS errors"]
  weather = webapp.get("/api/weather/incident", {"impact_after": text}).json
  assert weather == {"active": 0, "investigating": 0, "stable": 1, "resolved": 2}


def test_impact_filters_across_a_day_boundary_in_another_zone(webapp, sample):
  # 2024-05-02T01:00+03:00 is 2024-05-01T22:00 UTC: only the VPN incident (May 2nd, 08:00 UTC) is after.
  assert names(webapp.get("/api/incident", {"impact_after": "2024-05-02T01:00:00+03:00"})) == ["VPN drops"]


@pytest.mark.parametrize(
  ("params", "name", "message"),
  [
    ({"impact_after": "yesterday"}, "impact_after", "expected a date"),
    ({"impact_before": "2024-02-30T10:00"}, "impact_before", "expected a date"),
    ({"status": "closed"}, "status", "must be one of: active, investigating, stable, resolved"),
    ({"severity": "blocker"}, "severity", "must be one of: critical, high, moderate, low, minor"),
    ({"scope": "abc"}, "scope", ""),  # the document's pattern refuses it first
    ({"service": "-1"}, "service", ""),
    ({"external_reference": "x" * 256}, "external_reference", "must be at most 255 characters long"),
    ({"page": "abc"}, "page", "expected an integer"),
    ({"per_page": "51"}, "per_page", "expected an integer between 0 and 50"),
  ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(webapp, sample, params, name, message):
  response = webapp.get("/api/incident", params, status=400)
  assert list(response.json["reasons"]) == [name]
  assert response.json["reasons"][name][0].startswith(message)
  page = webapp.get("/incident", params, status=400)
  assert names(page) == []


def test_pagination_headers(webapp, world):
  for number in range(23):
    world.incident(f"Incident {number:02d}", start_impact_date=at(0, number))
  response = webapp.get("/api/incident", {"per_page": "10", "page": "2"})
  assert names(response) == [f"Incident {number:02d}" for number in range(12, 2, -1)]
  headers = response.headers
  assert (headers["x-total"], headers["x-total-pages"], headers["x-page"], headers["x-per-page"]) == (
    "23",
    "3",
    "2",
    "10",
  )
  assert (headers["x-prev-page"], headers["x-next-page"]) == ("1", "3")
  assert 'rel="next"' in headers["Link"] and "page=3" in headers["Link"]
  count = webapp.get("/api/incident", {"per_page": "0"})
  assert count.json == {"items": []} and count.headers["x-total"] == "23"


# -- HTML list ------------------------------------------------------------------------------------


def test_list_page_paginates_by_20_and_keeps_the_filters(webapp, world):
  for number in range(22):
    world.incident(f"Incident {number:02d}", "investigating", start_impact_date=at(0, 59 - number))
  world.incident("Other status", "stable")
  first = webapp.get("/incident", {"status": "investigating"})
  assert names(first) == [f"Incident {number:02d}" for number in range(20)]
  assert "Page 1 of 2 (22 items)" in first.text
  next_link = first.html.select_one("a[rel=next]")["href"]
  assert next_link == "/incident?status=investigating&page=2"
  assert names(webapp.get(next_link)) == ["Incident 20", "Incident 21"]


def test_list_page_rows_show_badges_and_places(webapp, world, sample):
  rows = webapp.get("/incident", {"scope": str(world.lyon.id)}).html.select("tbody tr")
  cells = [[cell.get_text(strip=True) for cell in row.select("td")][:6] for row in rows]
  assert cells == [
    ["Load balancer flaps", "INC002", "Stable", "High", "Lyon DC", "Compute"],
    ["DNS errors", "", "Investigating", "Moderate", "Lyon DC", "Network"],
  ]
  assert [[badge["class"][1] for badge in row.select(".badge")] for row in rows] == [
    ["badge-incident_status-stable", "badge-severity-high"],
    ["badge-incident_status-investigating", "badge-severity-moderate"],
  ]
  assert rows[0].select_one(f'a[href="/scope/{world.lyon.id}"]')
  assert rows[0].select_one(f'a[href="/service/{world.compute.id}"]')
  assert rows[0].select_one("time")["datetime"] == "2024-05-01T12:00+00:00"


def test_list_page_filter_controls_show_the_current_values(webapp, world, sample):
  page = webapp.get(
    "/incident",
    [
      ("status", "active"),
      ("status", "investigating"),
      ("severity", "moderate"),
      ("scope", str(world.lyon.id)),
      ("impact_after", "2024-05-01T09:30"),
      ("impact_before", "2024-05-01T11:00"),
      ("q", "dns"),
    ],
  )
  assert names(page) == ["DNS errors"]
  html = page.html

  def selected(name):
    return [option["value"] for option in html.select(f"select[name={name}] option[selected]")]

  assert selected("status") == ["active", "investigating"]
  assert selected("severity") == ["moderate"]
  assert selected("scope") == [str(world.lyon.id)]
  assert selected("service") == []
  assert [option.get_text() for option in html.select("select[name=status] option")] == [
    "All",
    "Active",
    "Investigating",
    "Stable",
    "Resolved",
  ]
  assert [option.get_text() for option in html.select("select[name=severity] option")][1:] == [
    "Critical",
    "High",
    "Moderate",
    "Low",
    "Minor",
  ]
  assert [option.get_text() for option in html.select("select[name=service] option")] == [
    "All",
    "Compute",
    "Network",
  ]
  for name, value in (("impact_after", "2024-05-01T09:30"), ("impact_before", "2024-05-01T11:00")):
    control = html.select_one(f"input[name={name}]")
    assert (control["type"], control["value"]) == ("datetime-local", value)
    assert html.select_one(f"label[for=filter-{name}]").get_text(strip=True) in (
      "Impact from",
      "Impact before",
    )
  assert html.select_one("input[name=q]")["value"] == "dns"
  assert html.select_one("input[name=external_reference]")


def test_list_page_bad_filter_shows_the_error(webapp, sample):
  page = webapp.get("/incident", {"impact_before": "not a date"}, status=400)
  assert "expected a date" in page.html.select_one("#filter-impact_before").find_parent("div").get_text()


# -- queries and caching ------------------------------------------------------------------------------


def fill(world, total: int) -> None:
  """Grow to ``total`` incidents, each with a few events and its own scope and service: with one
  parent for every row, a per-row lazy load of the parents runs once and goes unseen."""
  start = world.count(Incident)
  for number in range(start, total):
    scope, service = Scope(name=f"Scope {number:02d}"), Service(name=f"Service {number:02d}")
    world.db.add_all([scope, service])
    world.db.flush()
    world.incident(
      f"Incident {number:02d}",
      ("active", "investigating", "stable", "resolved")[number % 4],
      scope=scope,
      service=service,
      start_impact_date=at(0, number),
      resolve_date=at(23) if number % 4 == 3 else None,
      events=[("create", "{}", True), ("comment", "public", False), ("comment", "internal", True)],
    )


def listed(response, total: int) -> bool:
  if response.request.path == "/":
    # The dashboard's ongoing incidents panel shows up to 10 (every fourth incident is resolved).
    ongoing = len([number for number in range(total) if number % 4 != 3])
    return len(response.html.select("section.panel-incidents-ongoing li.panel-item")) == min(ongoing, 10)
  return len(names(response)) == total


@pytest.mark.parametrize("path", ["/incident", "/api/incident", "/"])
def test_lists_run_a_constant_number_of_queries(webapp, world, count_queries, path):
  counts = []
  for total in (1, 30):
    fill(world, total)
    webapp.get(path, {"per_page": "50"})  # warm-up: anything done once per process is not counted
    with count_queries() as queries:
      response = webapp.get(path, {"per_page": "50"})
    assert listed(response, total)
    counts.append(len(queries))
  assert counts[0] == counts[1], f"{path}: {counts[0]} queries for 1 row, {counts[1]} for 30"
  assert world.count(IncidentEvent) == 90


@pytest.mark.parametrize(
  "path", ["/incident", "/incident/{id}", "/api/incident", "/api/incident/{id}", "/api/weather/incident"]
)
def test_pages_and_json_answer_304_to_a_matching_etag(webapp, world, path):
  incident = world.incident("Cached", events=[("comment", "public", False)])
  url = path.format(id=incident.id)
  first = webapp.get(url)
  etag = first.headers["ETag"]
  assert webapp.get(url, headers={"If-None-Match": etag}, status=304).body == b""
  # A change gives another ETag, and the new content.
  world.db.get(Incident, incident.id).status = IncidentStatus.STABLE
  world.db.flush()
  changed = webapp.get(url, headers={"If-None-Match": etag}, status=200)
  assert changed.headers["ETag"] != etag


def test_the_rows_of_the_list_are_kept_by_what_they_show(webapp, world, dbsession, registry):
  # prodmanager.fragments: a render after a write reuses the rows whose values did not change, and
  # renders again those whose incident, scope, service or duration did (or another language).
  from prodmanager.fragments import fragments

  disk = world.incident(
    "Disk full", "active", "critical", world.paris, world.compute, start_impact_date=at(9)
  )
  world.incident(
    "DNS errors", "investigating", "moderate", world.lyon, world.network, start_impact_date=at(10)
  )
  world.incident("Mail delayed", "resolved", "low", world.paris, world.network, start_impact_date=at(11),
                 resolve_date=at(13))  # fmt: skip
  kept = fragments(registry)
  kept.clear()

  def rows(**headers):
    page = webapp.get("/incident", headers=headers)
    return [
      [cell.get_text(" ", strip=True) for cell in row.select("td")] for row in page.html.select("tbody tr")
    ]

  first = rows()
  assert [row[0] for row in first] == ["Mail delayed", "DNS errors", "Disk full"]
  assert first[0][4:6] == ["Paris DC", "Network"] and first[0][7] == "2 h 0 min"
  misses = kept.misses
  disk.name, disk.status = "Disk full again", type(disk.status)("stable")
  dbsession.flush()
  second = rows()
  assert second[2][0] == "Disk full again" and second[2][2] == "Stable"
  assert second[:2] == first[:2]
  assert kept.misses == misses + 1  # the changed row only
  world.paris.name = "Paris DC1"
  dbsession.flush()
  third = rows()
  assert [row[4] for row in third] == ["Paris DC1", "Lyon DC", "Paris DC1"]
  assert kept.misses == misses + 3  # the two rows of Paris
  french = rows(**{"Accept-Language": "fr"})
  assert french[2][2] == "Stabilisé" and french[0][7] == "2 h 0 min"
  assert kept.misses == misses + 6


def test_the_ongoing_panel_shows_what_changed(webapp, world, dbsession):
  disk = world.incident("Disk full", "active", "critical", world.paris, world.compute)
  world.incident("DNS errors", "investigating", "moderate", world.lyon, world.network)

  def panel():
    page = webapp.get("/")
    return [
      item.get_text(" ", strip=True) for item in page.html.select(".panel-incidents-ongoing .panel-item")
    ]

  assert any(item.startswith("Disk full Critical Active Paris DC") for item in panel())
  disk.severity, disk.name = type(disk.severity)("low"), "Disk almost full"
  dbsession.flush()
  assert any(item.startswith("Disk almost full Low Active Paris DC") for item in panel())
  world.compute.name = "Compute nodes"
  dbsession.flush()
  assert any("Paris DC · Compute nodes" in item for item in panel())
