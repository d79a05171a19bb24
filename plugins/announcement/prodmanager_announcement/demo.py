"""Demo announcements: one ongoing deprecation notice and one past event."""

import datetime as dt

from prodmanager.db import utcnow

from .models import Announcement, AnnouncementLevel

ONGOING_DESCRIPTION = """The **v1 Object Storage API** is deprecated and will be switched off at the end of
this announcement. Please move your applications to the v2 API:

- buckets and objects are the same, only the endpoint changes;
- the v2 API signs requests with AWS Signature Version 4.
"""

PAST_DESCRIPTION = """All datacenters took part in the yearly disaster recovery exercise. Services stayed
available during the whole exercise."""


def load(context) -> int:
  """Needs the scopes and services created by their loaders (``context.objects``); the dates are
  relative to now so that the first announcement is always ongoing."""
  scopes = context.objects.get("scope", [])
  services = {service.name: service for service in context.objects.get("service", [])}
  if not scopes or not services:
    return 0
  storage = services.get("Object Storage") or next(iter(services.values()))
  today = utcnow().replace(second=0, microsecond=0)
  announcements = [
    Announcement(
      name="Deprecation of the v1 Object Storage API",
      description=ONGOING_DESCRIPTION,
      level=AnnouncementLevel.MEDIUM,
      scope_id=scopes[0].id,
      service_id=storage.id,
      creation_date=today - dt.timedelta(days=2),
      start_date=today - dt.timedelta(days=1),
      end_date=today + dt.timedelta(days=30),
    ),
    Announcement(
      name="Disaster recovery exercise",
      description=PAST_DESCRIPTION,
      level=AnnouncementLevel.LOW,
      scope_id=scopes[-1].id,
      service_id=next(iter(services.values())).id,
      creation_date=today - dt.timedelta(days=40),
      start_date=today - dt.timedelta(days=35),
      end_date=today - dt.timedelta(days=34),
    ),
  ]
  context.session.add_all(announcements)
  context.session.flush()
  context.objects["announcement"] = announcements
  return len(announcements)
