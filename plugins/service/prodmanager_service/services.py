"""Domain service of service objects (the rules live in prodmanager.groups.GroupService)."""

from prodmanager.groups import GroupService

from .models import Service


class ServiceService(GroupService):
  model = Service
  type_name = "service"
