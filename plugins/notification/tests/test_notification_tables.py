"""The tables of the notification branch, as docs/notifications.md#tables describes them."""

from sqlalchemy import inspect

from prodmanager.state import app_state
from prodmanager_notification.models import Channel, Follow, Subscriber


def test_the_branch_creates_the_documented_tables(registry):
  inspector = inspect(app_state(registry).db_engine)
  tables = set(inspector.get_table_names())
  assert {
    "notification_subscriber",
    "notification_subscriber_scope",
    "notification_subscriber_service",
    "notification_follow",
    "notification_message",
    "notification_delivery",
  } <= tables
  columns = {column["name"] for column in inspector.get_columns("notification_subscriber")}
  assert columns == {
    "id", "channel", "email", "name", "url", "flavour", "secret", "token", "all_events", "kinds",
    "created_at", "confirmed_at",
  }  # fmt: skip


def test_filters_and_follows_go_with_their_scope_service_and_incident(make, dbsession):
  scope, service = make.scope(), make.service()
  incident = make.incident(scope=scope, service=service)
  subscriber = Subscriber(channel=Channel.EMAIL, email="reader@example.com")
  subscriber.set_filters(kinds=["incident"], scope_ids=[scope.id], service_ids=[service.id])
  subscriber.follow(incident.id)
  make.add(subscriber)
  assert subscriber.token and subscriber.confirmed_at is None
  assert (subscriber.kind_set, subscriber.scope_ids, subscriber.service_ids) == (
    {"incident"},
    {scope.id},
    {service.id},
  )
  dbsession.delete(incident)
  dbsession.flush()
  assert make.count(Follow) == 0
