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
