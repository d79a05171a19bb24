"""Demo data (``prodmanager demo``): what it loads, that it loads it only once, the directive."""

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationConflictError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prodmanager.cli.serve import served_url
from prodmanager.db import get_engine
from prodmanager.demo import ALREADY_PRESENT, load_demo
from prodmanager.migrate import upgrade
from prodmanager.state import app_state
from prodmanager_monitor.models import Monitor, MonitorStatusChange
from prodmanager_scope.models import Scope
from prodmanager_service.models import Service

LOADED = "demo data loaded: 9 scopes, 8 services, 73 monitors, 4 incidents, 3 maintenances, 2 announcements"
SCOPES = {
  f"{region} DC0{zone}": f"{region} datacenter - zone 0{zone}"
  for region in ("France", "West-US", "Japan")
  for zone in (1, 2, 3)
}
SERVICES = {
  "Databases": "Databases PaaS services",
  "Compute": "Compute IaaS services",
  "Object Storage": "Object Storage PaaS services",
  "Block Storage": "Block Storage IaaS services",
  "Kubernetes": "Kubernetes PaaS services",
  "Serverless Container": "Serverless Container PaaS services",
  "Serverless Function": "Serverless Function PaaS services",
  "Load Balancer": "Load Balancer PaaS services",
}
TABLES = (Scope, Service, Monitor, MonitorStatusChange)


@pytest.fixture
def empty_database(empty_database):
  """A new, migrated and empty database of its own (not the shared test database)."""
  upgrade(empty_database)
  return empty_database


@pytest.fixture
def settings(empty_database, enabled_plugins, tmp_path) -> dict:
  """Raw INI settings, as the CLI passes them."""
  return {
    "prodmanager.database_uri": empty_database,
    "prodmanager.instance_path": str(tmp_path / "instance"),
    "prodmanager.plugins": " ".join(enabled_plugins),
  }


@pytest.fixture
def db(empty_database):
  engine = get_engine(empty_database)
  with Session(engine) as session:
    yield session
  engine.dispose()


def counts(db) -> dict:
  db.rollback()  # A new transaction sees what load_demo committed.
  return {model.__tablename__: db.scalar(select(func.count()).select_from(model)) for model in TABLES}


def test_load_demo_fills_an_empty_database(settings, db):
  assert load_demo(settings, environ={}) == LOADED

  assert {row.name: row.description for row in db.scalars(select(Scope))} == SCOPES
  assert {row.name: row.description for row in db.scalars(select(Service))} == SERVICES
  scopes = {row.id: row.name for row in db.scalars(select(Scope))}
  services = {row.id: row.name for row in db.scalars(select(Service))}
  everything = list(db.scalars(select(Monitor)))
  assert len(everything) == 73
  # One monitor fed by the http integration: the server's own /health (make run serves on 8080).
  (health,) = [row for row in everything if row.integration == "http"]
  assert (health.name, health.external_link, health.status.value) == (
    "ProdManager health",
    "http://127.0.0.1:8080/health",
    "ok",
  )
  assert health.external_reference == "status=200&keyword=OK"
  monitors = [row for row in everything if row.integration is None]
  # One monitor per (scope, service) pair, named after both.
  assert {(row.scope_id, row.service_id) for row in monitors} == {(a, b) for a in scopes for b in services}
  for row in monitors:
    scope, service = scopes[row.scope_id], services[row.service_id]
    assert row.name == f"[{scope}][{service}] Service status"
    assert row.description == f"Status of {service} in {scope}"
  # Mostly green, but every colour shows.
  statuses = [row.status.value for row in monitors]
  assert statuses.count("ok") > statuses.count("warning") > 0
  assert statuses.count("alert") > 0
  # Each monitor's initial status is in its history, as for monitors created through the API.
  history = {
    row.monitor_id: (row.old_status, row.new_status) for row in db.scalars(select(MonitorStatusChange))
  }
  assert history == {row.id: (None, row.status) for row in everything}


def test_the_health_monitor_checks_where_the_server_serves(settings, db):
  # make run PORT=9000: serve passes the address it is about to listen on.
  assert load_demo(settings, environ={}, served_url="http://127.0.0.1:9000") == LOADED
  health = db.scalars(select(Monitor).where(Monitor.integration == "http")).one()
  assert health.external_link == "http://127.0.0.1:9000/health"


def test_the_public_url_wins_over_the_served_address(settings, db):
  environ = {"PM_PUBLIC_URL": "https://status.example.com"}
  assert load_demo(settings, environ=environ, served_url="http://127.0.0.1:9000") == LOADED
  health = db.scalars(select(Monitor).where(Monitor.integration == "http")).one()
  assert health.external_link == "https://status.example.com/health"


@pytest.mark.one_backend
@pytest.mark.parametrize(
  ("options", "url"),
  [
    ({"host": "127.0.0.1", "port": 9000}, "http://127.0.0.1:9000"),
    ({"host": "0.0.0.0", "port": 8080}, "http://127.0.0.1:8080"),
    ({"host": "::", "port": 8080}, "http://[::1]:8080"),
    ({"host": "::1", "port": 8081}, "http://[::1]:8081"),
    ({"listen": "127.0.0.1:8080 [::1]:8080"}, "http://127.0.0.1:8080"),
    ({"listen": "*:8082"}, "http://127.0.0.1:8082"),
    ({"listen": "[::]:8083"}, "http://[::1]:8083"),
  ],
)
def test_served_url(options, url):
  assert served_url(options) == url


def test_load_demo_twice_writes_nothing(settings, db):
  assert load_demo(settings, environ={}) == LOADED
  before = counts(db)
  statuses = dict(db.execute(select(Monitor.name, Monitor.status)).all())

  assert load_demo(settings, environ={}) == ALREADY_PRESENT == "demo data already present"
  assert counts(db) == before == {"scope": 9, "service": 8, "monitor": 73, "monitor_status_change": 73}
  db.rollback()
  assert dict(db.execute(select(Monitor.name, Monitor.status)).all()) == statuses


def test_load_demo_leaves_a_used_database_alone(settings, db):
  # Any row in any table a loader fills (here a service, no scope) means "not a fresh installation".
  db.add(Service(name="Mail", description="our own"))
  db.commit()

  assert load_demo(settings, environ={}) == ALREADY_PRESENT
  assert counts(db) == {"scope": 0, "service": 1, "monitor": 0, "monitor_status_change": 0}


def test_demo_is_the_same_every_time(settings, db, tmp_path):
  assert load_demo(settings, environ={}) == LOADED
  first = dict(db.execute(select(Monitor.name, Monitor.status)).all())
  other = f"sqlite:///{tmp_path / 'other.sqlite'}"
  upgrade(other)
  assert load_demo({**settings, "prodmanager.database_uri": other}, environ={}) == LOADED
  engine = get_engine(other)
  try:
    with Session(engine) as session:
      assert dict(session.execute(select(Monitor.name, Monitor.status)).all()) == first
  finally:
    engine.dispose()


def test_two_loaders_for_one_table_conflict():
  config = Configurator(settings={})
  config.include("prodmanager.demo")
  config.add_demo_data(lambda context: 0, model=Scope)
  config.add_demo_data(lambda context: 0, model=Scope, order=5)
  with pytest.raises(ConfigurationConflictError):
    config.commit()


def test_loaders_are_sorted_by_order():
  config = Configurator(settings={})
  config.include("prodmanager.demo")
  config.add_demo_data(lambda context: 2, model=Monitor, label="monitors", order=30)
  config.add_demo_data(lambda context: 1, model=Scope, label="scopes", order=10)
  config.commit()
  assert [(entry.label, entry.order) for entry in app_state(config.registry).demo_loaders] == [
    ("scopes", 10),
    ("monitors", 30),
  ]
