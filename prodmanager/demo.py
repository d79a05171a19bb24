"""Demo data: ``prodmanager demo``, and ``prodmanager serve`` on first start when ``prodmanager.demo`` is true.

Plugins register loaders with the ``add_demo_data`` directive::

  config.add_demo_data(load_scopes, model=Scope, label="scopes", order=10)

A loader is ``loader(context: DemoContext) -> int``: it adds its rows to ``context.session``, may
store what it created in ``context.objects`` for later loaders (the scope loader stores the scopes
under ``"scope"``, the loaders of the types that belong to scopes read them back), and returns how many rows it created, which
the summary reports under ``label``. Loaders run in ``order``, all in one transaction.

Idempotency: each loader names the ``model`` (table) it fills. Before writing anything, the core
checks every one of these tables; when any of them already holds a row, nothing is loaded at all.
So the demo only ever goes into an empty database — loading it twice, or into an installation that
already has rows of its own, changes nothing. Loaders therefore need no check
of their own, and must be deterministic (seed any randomness) so that the demo is the same every time.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import make_config
from .actions import register
from .state import app_state

ALREADY_PRESENT = "demo data already present"


@dataclass
class DemoContext:
  """What loaders share: the session of the loading transaction, the objects created so far, the
  application's parsed settings, and ``served_url``, where ``prodmanager serve`` is about to listen
  (``http://127.0.0.1:9000`` for ``make run PORT=9000``; empty for ``prodmanager demo``)."""

  session: Session
  objects: dict[str, list] = field(default_factory=dict)
  settings: dict = field(default_factory=dict)
  served_url: str = ""


@dataclass
class DemoLoader:
  loader: Callable[[DemoContext], int]
  model: type
  label: str
  order: int


class DemoLoaders:
  """The demo data loaders, in the order they run: ``(order, label)``."""

  def __init__(self):
    self.entries: list[DemoLoader] = []

  def add(self, entry: DemoLoader) -> None:
    self.entries.append(entry)
    self.entries.sort(key=lambda item: (item.order, item.label))

  def __iter__(self) -> Iterator[DemoLoader]:
    return iter(self.entries)

  def __len__(self) -> int:
    return len(self.entries)


def add_demo_data(
  config, loader: Callable[[DemoContext], int], order: int = 100, *, model: type, label: str = ""
) -> None:
  """Register ``loader`` to fill the table of ``model`` with demo rows (one loader per table).

  ``label`` names the rows in the summary (default: the table name); loaders run by ``order``.
  """
  entry = DemoLoader(loader, model, label or model.__tablename__, order)
  register(
    config,
    ("prodmanager.demo_data", model.__tablename__),
    lambda: app_state(config.registry).demo_loaders.add(entry),
    what="demo data",
    title=entry.label,
    model=model,
    order=order,
  )


def load_demo(settings: dict, environ: dict[str, str] | None = None, served_url: str = "") -> str:
  """Load the demo data of every enabled plugin into the (migrated) database; return a summary.

  ``settings`` are the raw INI settings (as ``prodmanager.main`` receives them; ``PM_*`` variables
  apply, from ``environ`` when given, else from the process); ``served_url`` is where the server
  loading it listens (``DemoContext.served_url``). Runs outside any web request, so it manages its
  own transaction.
  """
  registry = make_config(settings, environ).registry
  loaders = list(app_state(registry).demo_loaders)
  session = app_state(registry).db_session_factory()
  try:
    with session.begin():
      if not loaders:
        return "no demo data: no enabled plugin provides any"
      if any(session.scalar(select(entry.model).limit(1)) is not None for entry in loaders):
        return ALREADY_PRESENT
      context = DemoContext(session, settings=registry.settings, served_url=served_url)
      counts = [(entry.label, entry.loader(context)) for entry in loaders]
  finally:
    session.close()
    app_state(registry).db_engine.dispose()
  return "demo data loaded: " + ", ".join(f"{count} {label}" for label, count in counts)


def includeme(config):
  app_state(config.registry).demo_loaders = DemoLoaders()
  config.add_directive("add_demo_data", add_demo_data)
