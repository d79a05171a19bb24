"""Drive a live ProdManager with the third-party client ``prod-manager`` 0.2.0 and print what it saw.

Runs INSIDE the client's own virtual environment (its import name, ``prodmanager``, is the same as
our core package's): ``python client_script.py URL TOKEN``. Prints one JSON object on stdout, or
exits non-zero with a message on stderr when the client fails where it should not.
The assertions live in test_prod_manager_client.py; this script only exercises and reports.
"""

import json
import sys
import traceback
from importlib.metadata import version
from urllib.parse import parse_qsl, urlsplit

from requests import Session

import prodmanager
from prodmanager import ProdManager


def failure(call) -> dict:
  """The status and body of the client's exception (it raises ``Exception(status, json)`` on non-200)."""
  try:
    call()
  except Exception as error:  # noqa: BLE001 - the client raises bare Exceptions
    status, body = error.args
    return {"status": status, "body": body}
  raise AssertionError("the call was expected to fail")


def group(client, name: str) -> dict:
  """create, get, update (which re-sends every attribute), for a scope or a service."""
  manager = getattr(client, name)
  created = manager.create(name=f"Compat {name}", description=f"A {name} made by the client")
  got = manager.get(created.id)
  updated = got.update(name=f"Compat {name} renamed")
  return {
    "created": created.attrs,
    "got": got.attrs,
    "updated": updated.attrs,
    "refetched": manager.get(created.id).attrs,
  }


def comment(client, type_name: str, ident: int, text: str, internal: bool) -> dict:
  """The comment endpoint, which the client has no method for: called as a 0.22 user did, through
  ``make_request`` (a form whose ``internal`` is ``True``/``False`` as requests writes booleans)."""
  response = client.make_request(
    f"{type_name}/{ident}/comment", method="POST", data={"comment": text, "internal": internal}
  )
  return response.json()


def seconds_kept(manager, before: str, minute: str) -> dict:
  """Ids listed with ``<before> < minute:15`` and ``< minute:45``, for a date created at ``minute:30``.

  The API shows dates to the minute and update() sends them back so: the stored seconds must
  survive (listed only by the second filter), not be cut to ``minute:00`` (listed by both).
  """
  return {when: [item.id for item in manager.list(**{before: f"{minute}:{when}"})] for when in ("15", "45")}


def incidents(client, anonymous, scope_id: int, service_id: int) -> dict:
  """create, get, status changes through update() (which re-sends ``events``, ``links`` and every
  date), public and internal comments, list by status, count, weather, delete."""
  manager = client.incident
  created = manager.create(
    name="Compat incident",
    description="The API answers *slowly*",
    severity="high",
    scope=scope_id,
    service=service_id,
    start_impact_date="2024-05-01T12:00:30",
  )
  got = manager.get(created.id)
  investigating = got.update(status="investigating")
  resolved = investigating.update(status="resolved")
  public = comment(client, "incident", created.id, "Fixed by a restart", False)
  internal = comment(client, "incident", created.id, "The disk was full", True)
  # update() again once the incident has comments: ``events`` now holds them too.
  renamed = manager.get(created.id).update(name="Compat incident renamed")
  other = manager.create(name="Compat incident 2", severity="low", scope=scope_id, service=service_id)
  result = {
    "created": created.attrs,
    "got": got.attrs,
    "investigating": investigating.attrs,
    "resolved": resolved.attrs,
    "comment_public": public,
    "comment_internal": internal,
    "renamed": renamed.attrs,
    "other": other.attrs,
    "refetched": manager.get(created.id).attrs,
    "anonymous": anonymous.incident.get(created.id).attrs,
    "listed_resolved": [item.attrs for item in manager.list(status="resolved")],
    "listed_active": [item.attrs for item in manager.list(status="active")],
    "seconds_kept": seconds_kept(manager, "impact_before", "2024-05-01T12:00"),
    "count": manager.count(),
    "weather": client.weather.incident().attrs,
  }
  for item in manager.list():
    item.delete()
  result["after_delete"] = {"count": manager.count(), "get": failure(lambda: manager.get(created.id))}
  return result


def maintenances(client, anonymous, scope_id: int, service_id: int) -> dict:
  """create (scheduled window), in-progress then succeed through update(), a comment, the calendar,
  list by status, count, weather, delete."""
  manager = client.maintenance
  created = manager.create(
    name="Compat maintenance",
    description="Database upgrade",
    service_status="degraded",
    scope=scope_id,
    service=service_id,
    scheduled_start_date="2030-01-15T22:00:30",
    scheduled_end_date="2030-01-16T02:00",
  )
  got = manager.get(created.id)
  in_progress = got.update(status="in-progress")
  succeeded = in_progress.update(status="succeed")
  commented = comment(client, "maintenance", created.id, "Done ahead of time", False)
  calendar = client.make_request(f"maintenance/{created.id}/calendar", method="GET")
  other = manager.create(
    name="Compat maintenance 2",
    service_status="down",
    scope=scope_id,
    service=service_id,
    scheduled_start_date="2030-02-01T08:00",
    scheduled_end_date="2030-02-01T09:00",
  )
  result = {
    "created": created.attrs,
    "got": got.attrs,
    "in_progress": in_progress.attrs,
    "succeeded": succeeded.attrs,
    "commented": commented,
    "calendar": {"content_type": calendar.headers.get("Content-Type"), "text": calendar.text},
    "other": other.attrs,
    "anonymous": anonymous.maintenance.get(created.id).attrs,
    "listed_succeed": [item.attrs for item in manager.list(status="succeed")],
    "listed_scheduled": [item.attrs for item in manager.list(status="scheduled")],
    "seconds_kept": seconds_kept(manager, "start_before", "2030-01-15T22:00"),
    "count": manager.count(),
    "weather": client.weather.maintenance().attrs,
  }
  for item in manager.list():
    item.delete()
  result["after_delete"] = {"count": manager.count(), "get": failure(lambda: manager.get(created.id))}
  return result


def announcements(client, scope_id: int, service_id: int) -> dict:
  """create without a description, update(level=...), list with window filters, count, weather, delete."""
  manager = client.announcement
  created = manager.create(
    name="Compat announcement",
    level="medium",
    scope=scope_id,
    service=service_id,
    start_date="2030-03-01T00:00:30",
    end_date="2030-03-31T23:59",
  )
  got = manager.get(created.id)
  updated = got.update(level="high")
  later = manager.create(
    name="Compat announcement later",
    description="Next year",
    level="low",
    scope=scope_id,
    service=service_id,
    start_date="2031-03-01T00:00",
    end_date="2031-03-31T23:59",
  )
  result = {
    "created": created.attrs,
    "got": got.attrs,
    "updated": updated.attrs,
    "later": later.attrs,
    "refetched": manager.get(created.id).attrs,
    # Ongoing on 2030-03-15: started before, ending after.
    "listed_window": [
      item.attrs for item in manager.list(start_before="2030-03-15T00:00", end_after="2030-03-15T00:00")
    ],
    "listed_after": [item.attrs for item in manager.list(end_after="2031-01-01T00:00")],
    "seconds_kept": seconds_kept(manager, "start_before", "2030-03-01T00:00"),
    "count": manager.count(),
    "weather": client.weather.announcement().attrs,
  }
  for item in manager.list():
    item.delete()
  result["after_delete"] = {"count": manager.count(), "get": failure(lambda: manager.get(created.id))}
  return result


def main(url: str, token: str) -> dict:
  requests_seen = []
  session = Session()
  session.hooks["response"].append(lambda response, *args, **kwargs: requests_seen.append(response.request))
  client = ProdManager(url, token=token, session=session, log_level="WARNING")
  result = {"client": {"version": version("prod-manager"), "module": prodmanager.__file__}}

  result["whoami"] = client.token.whoami().payload
  result["scope"] = group(client, "scope")
  result["service"] = group(client, "service")
  scope_id, service_id = result["scope"]["created"]["id"], result["service"]["created"]["id"]

  # Pagination: list() follows x-total-pages; count() asks for per_page=0 and reads x-total.
  for number in range(1, 26):
    client.scope.create(name=f"Page scope {number:02}", description="")
  del requests_seen[:]
  listed = list(client.scope.list(per_page=10))
  result["scope"]["listed"] = [item.attrs for item in listed]
  result["scope"]["list_requests"] = [dict(parse_qsl(urlsplit(req.url).query)) for req in requests_seen]
  result["scope"]["count"] = client.scope.count()
  result["service"]["count"] = client.service.count()

  monitor = client.monitor.create(
    name="Compat monitor",
    description="Watched by the client",
    scope=scope_id,
    service=service_id,
    status="warning",
    external_reference="compat-ref",
  )
  client.monitor.create(name="Compat monitor 2", scope=scope_id, service=service_id, status="alert")
  got = client.monitor.get(monitor.id)
  result["monitor"] = {
    "created": monitor.attrs,
    "got": got.attrs,
    "updated": got.update(name="Compat monitor renamed").attrs,
    "refetched": client.monitor.get(monitor.id).attrs,
    "listed": [item.attrs for item in client.monitor.list(scope=scope_id)],
    "count": client.monitor.count(),
    "weather": client.weather.monitor().attrs,
    "scope_with_monitors": client.scope.get(scope_id).attrs,
  }

  # The resource types added since 0.22's client, driven through its generic API; a second client
  # without a token is an anonymous reader.
  anonymous = ProdManager(url, session=Session(), log_level="WARNING")
  result["incident"] = incidents(client, anonymous, scope_id, service_id)
  result["maintenance"] = maintenances(client, anonymous, scope_id, service_id)
  result["announcement"] = announcements(client, scope_id, service_id)

  # A scope with monitors cannot be deleted; deletes then work in dependency order.
  result["scope"]["delete_refused"] = failure(lambda: client.scope.get(scope_id).delete())
  for item in client.monitor.list():
    item.delete()
  client.scope.get(scope_id).delete()
  client.service.get(service_id).delete()
  result["after_delete"] = {
    "scope_count": client.scope.count(),
    "service_count": client.service.count(),
    "monitor_count": client.monitor.count(),
    "scope_get": failure(lambda: client.scope.get(scope_id)),
  }
  return result


if __name__ == "__main__":
  if len(sys.argv) != 3:
    sys.exit("usage: client_script.py URL TOKEN")
  try:
    output = main(sys.argv[1], sys.argv[2])
  except Exception as error:  # noqa: BLE001 - report any failure of the client
    sys.exit(f"client failed: {error!r}\n{traceback.format_exc()}")
  print(json.dumps(output))
