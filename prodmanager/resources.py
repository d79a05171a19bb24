"""The traversal tree: the root, one container per resource type, one resource per row.

``Root["scope"]`` is the scope container registered by the scope plugin; ``["3"]`` loads row 3
and wraps it in an :class:`Item` (ORM objects never get ``__parent__``). A key that is not a
positive integer, or an unknown id, raises ``KeyError``, which Pyramid turns into a 404.
"""

from pyramid.authorization import ALL_PERMISSIONS, Allow, Everyone

from .security import ADMIN, token_permission_principal
from .settings import is_decimal
from .state import app_state


class Root:
  __name__ = ""
  __parent__ = None
  __acl__ = [(Allow, Everyone, "view"), (Allow, ADMIN, ALL_PERMISSIONS)]

  def __init__(self, request):
    self.request = request

  def __getitem__(self, key: str):
    resource_type = app_state(self.request.registry).resource_types.get(key)
    if resource_type is None:
      raise KeyError(key)
    return resource_type.container(self, resource_type, self.request)


class Container:
  """A resource type's collection. Subclass it to add views' helpers; keep it thin."""

  def __init__(self, parent: Root, resource_type, request):
    self.__parent__ = parent
    self.__name__ = resource_type.name
    self.resource_type = resource_type
    self.request = request

  @property
  def __acl__(self):
    # A token carrying `<type>_api` may write this type and read its internal events.
    return [(Allow, token_permission_principal(self.resource_type.permission), ("edit", "view_internal"))]

  @property
  def service(self):
    return self.resource_type.service(self.request)

  item_class: type = None  # set per resource type by add_resource_type

  def __getitem__(self, key: str):
    if not is_decimal(key) or len(key) > 18:
      raise KeyError(key)
    row = self.service.get(int(key))
    if row is None:
      raise KeyError(key)
    return self.item_class(self, key, row)


class Item:
  """One row of a resource type, placed in the tree."""

  def __init__(self, parent: Container, name: str, row):
    self.__parent__ = parent
    self.__name__ = name
    self.row = row

  @property
  def resource_type(self):
    return self.__parent__.resource_type

  @property
  def service(self):
    return self.__parent__.service


def root_factory(request) -> Root:
  return Root(request)
