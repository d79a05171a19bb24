"""Demo incidents: the 0.22 demo story, with dates relative to now so that the dashboard shows the
ongoing ones. Timelines are written as the service writes them (internal create/update events with
their diffs, public and internal comments)."""

import datetime as dt

from prodmanager.timeline import EventType, encode_diff, status_columns

from .models import Incident, IncidentEvent, IncidentSeverity, IncidentStatus

ACTIVE, INVESTIGATING, STABLE, RESOLVED = IncidentStatus

# (scope index, service index) in the demo scopes (France DC01..03, West-US DC01..03, Japan DC01..03)
# and services (Databases, Compute, Object Storage, Block Storage, Kubernetes, Serverless Container,
# Serverless Function, Load Balancer), as in 0.22.
# Times are "ago" from now. Events: ("update", diff, ago), or ("comment", text, internal, ago); in a
# diff, {field: [old, new]}, or {date field: its name} for a milestone filled then (null -> the date).
STORY = [
  {
    "name": "Database storage backend is unresponsive",
    "description": "Alerted by the client on timeouts during daily backup of is database through `pg_dump`\n"
    "The storage backend on some hypervisors doesn't responds",
    "external_reference": "INC001287",
    "severity": IncidentSeverity.CRITICAL,
    "status": STABLE,
    "where": (1, 0),
    "created": dt.timedelta(hours=3),
    "dates": {
      "start_impact_date": dt.timedelta(hours=3, minutes=17),
      "investigation_date": dt.timedelta(hours=2, minutes=55),
      "stable_date": dt.timedelta(minutes=50),
    },
    "events": [
      (
        "update",
        {"status": [ACTIVE, INVESTIGATING], "investigation_date": "investigation_date"},
        dt.timedelta(hours=2, minutes=55),
      ),
      (
        "comment",
        "The user reported that it happens in the middle of his backup",
        True,
        dt.timedelta(hours=2, minutes=30),
      ),
      ("comment", "A fix solution have been found to mitigate the timeout", False, dt.timedelta(hours=1)),
      ("update", {"status": [INVESTIGATING, STABLE], "stable_date": "stable_date"}, dt.timedelta(minutes=50)),
      (
        "comment",
        "A permanent solution will be deployed as soon as possible",
        False,
        dt.timedelta(minutes=45),
      ),
    ],
  },
  {
    "name": "Unable to mount on Linux VMs",
    "description": "User are unable to mount block storage disk on Linux distributions",
    "external_reference": "INC003421",
    "severity": IncidentSeverity.CRITICAL,
    "status": ACTIVE,
    "where": (2, 3),
    "created": dt.timedelta(minutes=22),
    "dates": {"start_impact_date": dt.timedelta(minutes=25)},
    "events": [],
  },
  {
    "name": "Go function don't compile",
    "description": "When user if using Go language to develop his function, the deployment fail with the "
    "following error :\nError: Unable to compile Go application",
    "external_reference": "INC001167",
    "severity": IncidentSeverity.HIGH,
    "status": RESOLVED,
    "where": (8, 6),
    "created": dt.timedelta(days=22, hours=5),
    "dates": {
      "start_impact_date": dt.timedelta(days=23, hours=6),
      "investigation_date": dt.timedelta(days=22, hours=4),
      "stable_date": dt.timedelta(days=21, hours=8),
      "resolve_date": dt.timedelta(days=18, hours=0, minutes=10),
    },
    "events": [
      (
        "update",
        {
          "status": [ACTIVE, RESOLVED],
          "investigation_date": "investigation_date",
          "stable_date": "stable_date",
          "resolve_date": "resolve_date",
        },
        dt.timedelta(days=18),
      ),
      (
        "comment",
        "A fix of the Go toolchain has been deployed: Go functions build again.",
        False,
        dt.timedelta(days=18),
      ),
    ],
  },
  {
    "name": "Public IPs are not accessible from AT&AT provider",
    "description": "User using AT&AT in California reporting that he is unable to access his Load Balancer IP",
    "external_reference": "INC000790",
    "severity": IncidentSeverity.MODERATE,
    "status": RESOLVED,
    "where": (3, 7),
    "created": dt.timedelta(days=5, hours=20),
    "dates": {
      "start_impact_date": dt.timedelta(days=6, hours=2),
      "investigation_date": dt.timedelta(days=5, hours=16),
      "stable_date": dt.timedelta(days=3, hours=23),
      "resolve_date": dt.timedelta(days=3, hours=1),
    },
    "events": [
      (
        "update",
        {"status": [ACTIVE, INVESTIGATING], "investigation_date": "investigation_date"},
        dt.timedelta(days=5, hours=16),
      ),
      (
        "comment",
        "According to the client ping are not returning packages",
        True,
        dt.timedelta(days=5, hours=15),
      ),
      (
        "update",
        {"status": [INVESTIGATING, STABLE], "stable_date": "stable_date"},
        dt.timedelta(days=3, hours=23),
      ),
      (
        "comment",
        "After updating his edge firewall with our public IP range, the user confirm that he doesn't have the issue anymore",
        True,
        dt.timedelta(days=3, hours=2),
      ),
      (
        "update",
        {"status": [STABLE, RESOLVED], "resolve_date": "resolve_date"},
        dt.timedelta(days=3, hours=1),
      ),
      (
        "comment",
        "The issue was on the provider's side; access is back for every client.",
        False,
        dt.timedelta(days=3),
      ),
    ],
  },
]


def load(context) -> int:
  """Needs the scopes and services created by their loaders (``context.objects``)."""
  scopes, services = context.objects.get("scope", []), context.objects.get("service", [])
  if not scopes or not services:
    return 0
  now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
  incidents = []
  for story in STORY:
    scope = scopes[story["where"][0] % len(scopes)]
    service = services[story["where"][1] % len(services)]
    dates = {name: now - ago for name, ago in story["dates"].items()}
    incident = Incident(
      name=story["name"],
      description=story["description"],
      external_reference=story["external_reference"],
      severity=story["severity"],
      status=story["status"],
      scope_id=scope.id,
      service_id=service.id,
      creation_date=now - story["created"],
      **dates,
    )
    context.session.add(incident)
    context.session.flush()
    # The creation event holds the values the incident was created with (active, no milestone).
    initial = {
      "name": incident.name,
      "description": incident.description,
      "external_reference": incident.external_reference,
      "severity": incident.severity,
      "status": ACTIVE,
      "scope": scope.id,
      "service": service.id,
      "start_impact_date": dates["start_impact_date"],
    }
    created = {key: (None, value) for key, value in initial.items()}
    events = [
      IncidentEvent(
        parent_id=incident.id,
        type=EventType.CREATE,
        content=encode_diff(created),
        internal=True,
        creation_date=incident.creation_date,
        **status_columns(created),
      )
    ]
    for kind, *data, ago in story["events"]:
      if kind == "update":
        diff = {
          key: (value if isinstance(value, list) else [None, dates[value]]) for key, value in data[0].items()
        }
        content, internal, event_type = encode_diff(diff), True, EventType.UPDATE
        status = status_columns(diff)
      else:
        (content, internal), event_type, status = data, EventType.COMMENT, {}
      events.append(
        IncidentEvent(
          parent_id=incident.id,
          type=event_type,
          content=content,
          internal=internal,
          creation_date=now - ago,
          **status,
        )
      )
    context.session.add_all(events)
    incidents.append(incident)
  context.session.flush()
  context.objects["incident"] = incidents
  return len(incidents)
