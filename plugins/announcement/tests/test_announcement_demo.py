"""The demo loader: one ongoing announcement (shown on the dashboard) and one past one."""

import datetime as dt

from prodmanager.db import utcnow
from prodmanager.demo import DemoContext
from prodmanager.state import app_state
from prodmanager_announcement import demo
from prodmanager_announcement.models import Announcement
from prodmanager_scope import demo as scope_demo
from prodmanager_scope.models import Scope
from prodmanager_service import demo as service_demo
from prodmanager_service.models import Service


def test_demo_loader_adds_an_ongoing_and_a_past_announcement(webapp, dbsession, registry):
  context = DemoContext(dbsession)
  scope_demo.load(context)
  service_demo.load(context)
  assert demo.load(context) == 2
  dbsession.flush()
  moment = utcnow()
  states = {row.name: (row.level.value, row.state(moment)) for row in dbsession.query(Announcement)}
  assert states == {
    "Deprecation of the v1 Object Storage API": ("medium", "ongoing"),
    "Disaster recovery exercise": ("low", "ended"),
  }
  ongoing = dbsession.query(Announcement).filter_by(name="Deprecation of the v1 Object Storage API").one()
  assert dbsession.get(Service, ongoing.service_id).name == "Object Storage"
  assert dbsession.get(Scope, ongoing.scope_id).name == "France DC01"
  assert ongoing.start_date < moment and ongoing.end_date - moment > dt.timedelta(days=29)
  assert {row.name for row in context.objects["announcement"]} == set(states)
  panel = webapp.get("/").html.select_one("section.panel-announcements")
  assert [item.a.get_text(strip=True) for item in panel.select("li")] == [
    "Deprecation of the v1 Object Storage API"
  ]
  # The loader is registered after the scopes and services it needs.
  orders = {entry.label: entry.order for entry in app_state(registry).demo_loaders}
  assert orders["announcements"] > max(orders["scopes"], orders["services"])
