"""Pull integrations: ``config.add_integration`` registers a check that sets monitors' statuses
(docs/directives.md, "add_integration"; docs/plugins.md, "Write your own integration").

::

  def check(context, monitor):
    response = context.client.get(monitor.external_link)
    return "ok" if response.is_success else Verdict("alert", f"HTTP {response.status_code}")

  config.add_integration("http", check=check, interval=60)

The contract, which the runner (:mod:`prodmanager.runs`) keeps for every integration:

* **Which monitors.** An integration named ``http`` is handed the monitors whose ``integration`` is
  exactly ``http``; with ``PM_INTEGRATION_SUFFIX=eu`` it is handed those whose ``integration`` is
  ``http_eu`` instead (0.22's rule: one installation per account or region, each with its own
  suffix and settings). Monitors reach the check as :class:`Watched` snapshots, plain values read
  in a short transaction: no database transaction is held while the check talks to the network.
* **What it answers.** ``check(context, monitor)`` is called once per monitor (in a thread pool of
  ``PM_INTEGRATION_CONCURRENCY`` threads), or ``check_all(context, monitors)`` once per run with every
  monitor (one API call for all of them) returning ``{monitor.id: answer}``. An answer is a status
  (``"ok"``, ``"warning"``, ``"alert"``), a :class:`Verdict` (a status, a short reason and
  optionally the monitor's ``external_link``, such as the remote monitor's page), ``None``
  (nothing to say about this monitor: it keeps its status, as Jenkins folders do), or an exception:
  raised by ``check``, or an :class:`Exception` instance as a value of ``check_all``'s answer, or
  raised by ``check_all`` for every monitor at once. Monitors ``check_all`` leaves out are skipped.
* **What the runner writes.** A monitor is written only when its status changes (one row in its
  status history per real change), or its external link when a verdict's ``link`` differs from it; a failure is logged and counted, never aborts the run, and the
  monitor keeps its status; after ``PM_INTEGRATION_STALE_AFTER`` failures in a row its page says
  "no data since …" instead of showing a stale status. The run ends at ``PM_INTEGRATION_RUN_TIMEOUT``:
  the monitors whose check has not answered by then count as failed. Each run is recorded
  (:class:`prodmanager.runs.IntegrationRun`), shown on ``/integrations`` and in ``/metrics``.
* **When.** The worker (``prodmanager worker``, or ``serve``'s thread in standalone mode) runs each
  integration every ``interval`` seconds (the setting ``prodmanager.<name>.interval``,
  ``PM_<NAME>_INTERVAL``; 0: only ``prodmanager integrations run``). A lock (Redis, PostgreSQL advisory
  lock or a file lock on SQLite) and the recorded start of the last run make N replicas run it once
  per interval.

The monitors themselves belong to a plugin: it registers the one :class:`IntegrationTarget` with
``config.add_integration_target(target)`` (the monitor plugin does), so that the core names no
resource type.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyramid.exceptions import ConfigurationError

from .actions import register
from .state import app_state

# The statuses a check may answer, in severity order (the monitor plugin's).
STATUSES = ("ok", "warning", "alert")
# Lower-case letters and digits: "<name>_<suffix>" must name one integration and one suffix.
NAME = re.compile(r"^[a-z][a-z0-9]{0,29}$")


@dataclass(frozen=True)
class Watched:
  """One monitor as an integration sees it: values read before the checks start."""

  id: int
  name: str
  integration: str
  status: str
  external_reference: str = ""
  external_link: str = ""


@dataclass(frozen=True)
class Verdict:
  """A check's answer: ``status`` (ok, warning or alert), a short ``reason`` for the logs and, when
  not None, the ``link`` the monitor's ``external_link`` should be (the remote monitor's page)."""

  status: str
  reason: str = ""
  link: str | None = None

  def __post_init__(self):
    if self.status not in STATUSES:
      raise ValueError(f"status {self.status!r}: expected one of {', '.join(STATUSES)}")


class IntegrationTarget(Protocol):
  """What the runner reads and writes; the monitor plugin provides it."""

  def watched(self, session, integration: str) -> list[Watched]:
    """The monitors whose ``integration`` column equals ``integration``, ordered by id."""

  def set_status(self, session, ident: int, status: str, *, source: str) -> bool:
    """Set monitor ``ident``'s status if it differs (recording the change in its history);
    returns whether it changed. A monitor deleted meanwhile raises ``LookupError``."""

  def set_link(self, session, ident: int, link: str, *, source: str) -> bool:
    """Set monitor ``ident``'s ``external_link`` if it differs; returns whether it changed. A monitor
    deleted meanwhile raises ``LookupError``."""

  def describe(self, session, ident: int) -> str:
    """The monitor's name, for the run's errors."""


@dataclass(frozen=True)
class IntegrationContext:
  """What a check receives: the application's ``registry`` and ``settings``, the ``integration``
  and the matched name (``http`` or ``http_eu``), and ``state``, what ``prepare`` returned."""

  registry: Any
  integration: Integration
  matched: str
  state: Any = None

  @property
  def settings(self) -> Mapping[str, Any]:
    return self.registry.settings


@dataclass(frozen=True)
class Integration:
  name: str
  check: Callable[[IntegrationContext, Watched], Any] | None
  check_all: Callable[[IntegrationContext, list[Watched]], Mapping[int, Any]] | None
  prepare: Callable[[Any], Any] | None
  close: Callable[[Any], None] | None
  default_interval: int
  description: str
  settings: tuple[str, ...] = field(default=())

  @property
  def interval_setting(self) -> str:
    return f"prodmanager.{self.name}.interval"

  def interval(self, settings: Mapping[str, Any]) -> int:
    """Seconds between two scheduled runs; 0: never scheduled."""
    return int(settings.get(self.interval_setting, self.default_interval))

  def matched_name(self, settings: Mapping[str, Any]) -> str:
    """The ``integration`` value of the monitors it processes: ``<name>`` or ``<name>_<suffix>``."""
    suffix = settings.get("prodmanager.integration_suffix", "")
    return f"{self.name}_{suffix}" if suffix else self.name


class Integrations:
  """The registered integrations by name, in registration order, and the monitors' target."""

  def __init__(self):
    self.by_name: dict[str, Integration] = {}
    self.target: IntegrationTarget | None = None

  def add(self, integration: Integration) -> None:
    self.by_name[integration.name] = integration

  def __iter__(self) -> Iterator[Integration]:
    return iter(self.by_name.values())

  def __len__(self) -> int:
    return len(self.by_name)

  def __contains__(self, name: str) -> bool:
    return name in self.by_name

  def __getitem__(self, name: str) -> Integration:
    return self.by_name[name]


def parse_interval(value: str) -> int:
  try:
    seconds = int(value)
  except ValueError:
    raise ValueError("expected a number of seconds (0: not scheduled)") from None
  if seconds != 0 and not 10 <= seconds <= 7 * 86400:
    raise ValueError("expected 0 (not scheduled) or 10 to 604800 seconds")
  return seconds


def add_integration(
  config,
  name: str,
  *,
  check: Callable[[IntegrationContext, Watched], Any] | None = None,
  check_all: Callable[[IntegrationContext, list[Watched]], Mapping[int, Any]] | None = None,
  prepare: Callable[[Any], Any] | None = None,
  close: Callable[[Any], None] | None = None,
  interval: int = 60,
  description: str = "",
  settings: Iterable[str] = (),
) -> None:
  """Register the pull integration ``name``: ``check(context, monitor)`` per monitor, or
  ``check_all(context, monitors)`` once per run, answers each monitor's status (see the module's
  docstring for the whole contract).

  ``prepare(context)``, when given, runs once before the checks of a run; what it returns is
  ``context.state`` (an HTTP client, a resolver), and ``close(state)`` runs when the run ends.
  ``interval`` is the default of the setting ``prodmanager.<name>.interval`` (``PM_<NAME>_INTERVAL``)
  that this directive declares. ``settings`` names the plugin's own settings, shown with the
  integration on the operator page. Discriminator ``("prodmanager.integration", name)``.
  """
  if not NAME.match(name):
    raise ConfigurationError(f"add_integration: {name!r} must be lower case letters and digits (no '_')")
  if (check is None) == (check_all is None):
    raise ConfigurationError(f"add_integration {name!r}: give exactly one of check= and check_all=")
  parse_interval(str(interval))
  integration = Integration(
    name, check, check_all, prepare, close, int(interval), description, tuple(settings)
  )
  config.add_setting(
    integration.interval_setting,
    env=f"PM_{name.upper()}_INTERVAL",
    type=parse_interval,
    default=str(interval),
    description=f"seconds between two runs of the {name} integration (0: only `prodmanager integrations run`)",
  )
  register(
    config,
    ("prodmanager.integration", name),
    lambda: app_state(config.registry).integrations.add(integration),
    what="integrations",
    title=name,
    check=check or check_all,
    interval=interval,
    description=description,
  )


def add_integration_target(config, target: IntegrationTarget) -> None:
  """Name the one object that lists and updates the monitors for the integrations (the monitor
  plugin's). Discriminator ``("prodmanager.integration_target",)``."""

  def apply():
    app_state(config.registry).integrations.target = target

  register(
    config,
    ("prodmanager.integration_target",),
    apply,
    what="integration targets",
    title=type(target).__name__,
    target=target,
  )


def answer_status(answer: Any) -> Verdict | None:
  """A check's answer as a Verdict (None: nothing to say); anything else is a ``TypeError``."""
  if answer is None or isinstance(answer, Verdict):
    return answer
  if isinstance(answer, str):
    return Verdict(answer)
  status = getattr(answer, "value", None)  # an enum such as the monitor plugin's MonitorStatus
  if isinstance(status, str):
    return Verdict(status)
  raise TypeError(f"a check answered {answer!r}: expected a status, a Verdict or None")


def integration_context(registry, integration: Integration, state: Any = None) -> IntegrationContext:
  return IntegrationContext(registry, integration, integration.matched_name(registry.settings), state)


def utc_now() -> dt.datetime:
  return dt.datetime.now(dt.UTC)
