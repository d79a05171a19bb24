"""Domain service of scope objects (the rules live in prodmanager.groups.GroupService)."""

from prodmanager.groups import GroupService

from .models import Scope


class ScopeService(GroupService):
  model = Scope
  type_name = "scope"
