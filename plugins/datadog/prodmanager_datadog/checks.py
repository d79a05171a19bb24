"""The datadog integration's check: the overall state of every watched Datadog monitor, read with
the official client (``datadog-api-client``) once per run.

A monitor's ``external_reference`` is the Datadog monitor id. A run with few ids asks for each one
(``GET /api/v1/monitor/{id}``); with more, it pages through the account's monitors
(``GET /api/v1/monitor?page=N&page_size=1000``) until it has seen them all: a few calls whatever
the number of ProdManager monitors, where one call per monitor would spend the API's rate limit.

A reference that is not a number, or an id that Datadog does not know, fails that monitor only.
What fails every call (keys refused, Datadog unreachable, slow or answering 5xx) fails the run's
monitors at once, with one clear message each, and they keep their statuses.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prodmanager.integrations import Verdict

# The client (16 MB with its monitors API) is imported by the functions of a run (open_client first),
# so only the process that runs checks loads it, not every web process.
if TYPE_CHECKING:
  from datadog_api_client import ApiClient
  from datadog_api_client.exceptions import ApiException

log = logging.getLogger(__name__)

# Up to this many distinct ids, one GET per id costs less than paging through the whole account.
GET_EACH_UP_TO = 10
PAGE_SIZE = 1000  # the API's maximum
# Datadog's overall states, lower-cased; "Warning" is accepted too. The others (No Data, Unknown,
# Skipped, Ignored) say nothing about the service: the monitor keeps its status.
STATES = {"ok": "ok", "warn": "warning", "warning": "warning", "alert": "alert"}
# The API's ids are 64-bit integers.
MAX_ID = 2**63 - 1


class DatadogConfigurationError(Exception):
  """The integration is not configured (no API or application key)."""


class DatadogError(Exception):
  """A call to the Datadog API failed: refused keys, an error status, no answer."""


def open_client(context) -> ApiClient:
  """The run's API client. Only the settings configure it: the client's own reading of the
  process's ``DD_SITE``, ``DD_API_KEY`` and ``DD_APP_KEY`` is overridden."""
  import urllib3
  from datadog_api_client import ApiClient, Configuration

  settings = context.settings
  missing = [
    variable
    for key, variable in (
      ("prodmanager.datadog.api_key", "DD_API_KEY"),
      ("prodmanager.datadog.application_key", "DD_APPLICATION_KEY"),
    )
    if not settings[key]
  ]
  if missing:
    raise DatadogConfigurationError(
      f"{' and '.join(missing)} not set: the datadog integration cannot read the Datadog monitors"
    )
  keys = {
    "apiKeyAuth": settings["prodmanager.datadog.api_key"],
    "appKeyAuth": settings["prodmanager.datadog.application_key"],
  }
  api_url = settings["prodmanager.datadog.api_url"]
  if api_url:
    configuration = Configuration(host=api_url, api_key=keys)
  else:
    # Server 2 is "https://{subdomain}.{site}" for any Datadog deployment (server 0 knows a fixed
    # list of sites and refuses a newer one).
    configuration = Configuration(server_index=2, api_key=keys)
    configuration.server_variables = {"site": settings["prodmanager.datadog.site"]}
  configuration.request_timeout = settings["prodmanager.datadog.timeout"]
  # No retry: the next run is the retry, and a run must end well within the run timeout.
  configuration.retry_policy = urllib3.util.Retry(total=False)
  configuration.proxy = settings["prodmanager.datadog.proxy"] or None
  return ApiClient(configuration)


def close_client(client: ApiClient) -> None:
  client.close()


def monitor_id(reference: str) -> int:
  """The Datadog monitor id of an ``external_reference``; ``ValueError`` if it is not one."""
  if not reference.isascii() or not reference.isdigit() or not 0 < int(reference) <= MAX_ID:
    raise ValueError(
      f"external_reference {reference!r}: expected a Datadog monitor id (a number such as 1234567)"
    )
  return int(reference)


def monitor_link(settings, ident: int) -> str:
  host = settings["prodmanager.datadog.monitor_hostname"] or settings["prodmanager.datadog.site"]
  return f"https://{host}/monitors/{ident}"


def check_all(context, monitors):
  """Every monitor's answer (see the module's docstring); raises ``DatadogError`` when the API
  fails as a whole."""
  answers = {}
  wanted: dict[int, list] = {}
  for monitor in monitors:
    reference = monitor.external_reference.strip()
    if not reference:
      answers[monitor.id] = None  # nothing to check: it keeps its status
      continue
    try:
      wanted.setdefault(monitor_id(reference), []).append(monitor)
    except ValueError as error:
      answers[monitor.id] = error
  if not wanted:
    return answers
  states = overall_states(context.state, context.settings, set(wanted))
  for ident, watchers in wanted.items():
    for monitor in watchers:
      answers[monitor.id] = answer(context.settings, ident, states.get(ident))
  return answers


def answer(settings, ident: int, state: str | None):
  if state is None:
    return LookupError(f"no Datadog monitor {ident} (unknown id, or not readable with these keys)")
  status = STATES.get(state.lower())
  if status is None:
    return None
  return Verdict(status, f"Datadog: {state}", link=monitor_link(settings, ident))


def overall_states(client: ApiClient, settings, ids: set[int]) -> dict[int, str]:
  """``{id: overall state}`` of the Datadog monitors among ``ids`` that exist ("" when Datadog gives
  none)."""
  from datadog_api_client.exceptions import NotFoundException
  from datadog_api_client.v1.api.monitors_api import MonitorsApi

  api = MonitorsApi(client)
  states: dict[int, str] = {}
  with translated_errors(settings):
    if len(ids) <= GET_EACH_UP_TO:
      for ident in sorted(ids):
        try:
          states[ident] = state_of(api.get_monitor(ident))
        except NotFoundException:
          continue
      return states
    for found in api.list_monitors_with_pagination(page_size=PAGE_SIZE):
      if found.id in ids:
        states[found.id] = state_of(found)
        if len(states) == len(ids):
          break  # no need for the next pages
  return states


def state_of(monitor) -> str:
  state = getattr(monitor, "overall_state", None)
  if state is None:
    return ""
  # An enum value the client does not know (a newer state) is kept as its text.
  return str(getattr(state, "value", state))


@contextlib.contextmanager
def translated_errors(settings) -> Iterator[None]:
  """The client's exceptions as one short ``DatadogError`` line (the client's own text carries every
  response header)."""
  import urllib3
  from datadog_api_client.exceptions import (
    ApiException,
    ForbiddenException,
    OpenApiException,
    UnauthorizedException,
  )

  try:
    yield
  except (UnauthorizedException, ForbiddenException) as error:
    raise DatadogError(
      f"Datadog refused the API or application key (HTTP {error.status}{reasons(error)})"
    ) from None
  except ApiException as error:
    if not error.status:  # raised by the client before any answer: TLS and the like
      raise DatadogError(f"Datadog cannot be reached: {error.reason}") from None
    raise DatadogError(f"Datadog answered HTTP {error.status}{reasons(error)}") from None
  except OpenApiException as error:
    raise DatadogError(f"unexpected answer from Datadog: {error}") from None
  except urllib3.exceptions.TimeoutError:
    raise DatadogError(
      f"no answer from Datadog within {settings['prodmanager.datadog.timeout']:g} s (DD_TIMEOUT)"
    ) from None
  except urllib3.exceptions.HTTPError as error:
    raise DatadogError(f"Datadog cannot be reached: {error}") from None


def reasons(error: ApiException) -> str:
  """``: <the API's error messages>`` from a Datadog error body (``{"errors": [...]}``)."""
  body = error.body
  messages = body.get("errors") if isinstance(body, dict) else None
  if isinstance(messages, list) and messages:
    return ": " + "; ".join(str(message) for message in messages)[:200]
  return f" {error.reason}" if error.reason else ""
