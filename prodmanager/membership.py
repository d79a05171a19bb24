"""Rows that belong to one row of each of several grouping axes, declared once.

A type whose rows each belong to, say, a scope and a service needs the same pieces on every layer:
a foreign key and a relationship per axis, a required reference field, a list filter and eager
loading per axis, the ids and links in its JSON object, the dependents that forbid deleting a
parent that still has rows, and often a count shown on the parents. :class:`Membership` holds them
all; the plugin names its axes once (their models, keyed by type name) and uses the pieces::

  # models.py
  PAIR = Membership(scope=Scope, service=Service)

  class Thing(PAIR.columns(), Base):
    __tablename__ = "thing"
    __table_args__ = (PAIR.index("thing"),)

  # services.py
  class ThingService(MemberService):
    membership = PAIR
    fields = (Text("name", required=True), *PAIR.fields())

    @classmethod
    def filter_declarations(cls):
      return [*PAIR.filters(Thing)]

    def serialize(self, row, extra):
      return {"id": row.id, **PAIR.ids(row), "links": {"self": ..., **PAIR.links(self.request, row)}}

  # includeme
  PAIR.register(config, "thing", Thing, label="things", count=Count("things_count", link="things"))

Nothing here names an axis: the core knows grouping axes only as what the plugins declare. The
columns are named ``<axis>_id`` (the convention :func:`prodmanager.panels.restrict` relies on) and
reference ``<axis>.id`` with ``ON DELETE RESTRICT``: deleting a parent goes through its service,
which refuses while dependents remain.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import ForeignKey, Index, func, select
from sqlalchemy.orm import declared_attr, joinedload, mapped_column, relationship

from .actions import caller_config
from .fields import Reference
from .services import Filter, ResourceService
from .urls import api_url


@dataclass(frozen=True)
class Count:
  """A count of the member rows that each parent row has, shown on the parents' objects.

  ``key`` is the value's name on the parent (``things_count``); ``link`` names the URL of the
  member list filtered on the parent under the parent's ``links``. With ``by`` (an enum attribute
  of the member model), the value is a count per enum value (``{"ok": 3, ...}``, every value
  present) instead of one number. ``title`` and ``cell`` add a column to the parents' HTML list
  (see :func:`prodmanager.directives.add_aggregate`).
  """

  key: str
  link: str = ""
  by: str = ""
  title: str = ""
  cell: str = ""


class Membership:
  """The grouping axes a type's rows belong to: ``Membership(scope=Scope, service=Service)``."""

  def __init__(self, **parents: type):
    if not parents:
      raise ValueError("Membership needs at least one grouping axis")
    self.parents = parents

  @property
  def names(self) -> tuple[str, ...]:
    return tuple(self.parents)

  @staticmethod
  def column_name(axis: str) -> str:
    return f"{axis}_id"

  # -- model -----------------------------------------------------------------------------------

  def columns(self) -> type:
    """A model mixin: per axis, a required indexed ``<axis>_id`` foreign key and a ``<axis>``
    relationship that must be loaded eagerly (``lazy="raise"``: no hidden query per row)."""
    namespace = {}
    for axis, parent in self.parents.items():

      def foreign_key(cls, axis=axis):
        return mapped_column(ForeignKey(f"{axis}.id", ondelete="RESTRICT"), nullable=False, index=True)

      def parent_row(cls, parent=parent):
        return relationship(parent, lazy="raise")

      namespace[self.column_name(axis)] = declared_attr(foreign_key)
      namespace[axis] = declared_attr(parent_row)
    return type("MemberColumns", (), namespace)

  def index(self, table: str) -> Index:
    """The composite index on the axes' columns (``ix_<table>_<axis>_<axis>``), for the lists and
    panels restricted to one pair."""
    return Index(f"ix_{table}_{'_'.join(self.names)}", *(self.column_name(axis) for axis in self.names))

  # -- service ---------------------------------------------------------------------------------

  def fields(self) -> tuple[Reference, ...]:
    """A required reference per axis: ``{"scope": 3}`` in, ``scope_id = 3`` on the row."""
    return tuple(
      Reference(axis, required=True, model=parent, attribute=self.column_name(axis))
      for axis, parent in self.parents.items()
    )

  def filters(self, model: type) -> list[Filter]:
    """A list filter per axis (``?scope=3&scope=4``), offering the parents in the HTML filters."""
    return [
      Filter(axis, getattr(model, self.column_name(axis)), "int", model=parent)
      for axis, parent in self.parents.items()
    ]

  def eager(self, model: type) -> list:
    """Loader options of the parents, for lists and single rows (their names and links)."""
    return [joinedload(getattr(model, axis)) for axis in self.names]

  def where(self, model: type, **ids) -> list:
    """Clauses keeping the rows of the given parent ids (``scope=3``); ``None`` ids keep all."""
    return [
      getattr(model, self.column_name(axis)) == ident for axis, ident in ids.items() if ident is not None
    ]

  def ids(self, row) -> dict:
    """The parents' ids under the axes' names, as the JSON objects show them."""
    return {axis: getattr(row, self.column_name(axis)) for axis in self.names}

  def links(self, request, row) -> dict:
    """The API URLs of the parents, for the ``links`` of the JSON objects."""
    return {axis: api_url(request, axis, getattr(row, self.column_name(axis))) for axis in self.names}

  # -- registration ----------------------------------------------------------------------------

  def register(self, config, type_name: str, model: type, *, label: str, count: Count | None = None) -> None:
    """Declare, on every axis, the dependents ``label`` (a parent with rows of ``model`` cannot be
    deleted) and, with ``count``, the count aggregate, its schema, link and list column. Their
    origin is the line that called this method (the plugin's), as for a directive."""
    config = caller_config(config)
    for axis in self.names:
      column = getattr(model, self.column_name(axis))
      config.add_dependent(
        axis, label, row_counter(model, column), title=f"nav.{type_name}", href=page_href(type_name, axis)
      )
      if count is not None:
        by = getattr(model, count.by) if count.by else None
        config.add_aggregate(
          axis,
          count.key,
          count_provider(column, by),
          count_default(by),
          schema=count_schema(by),
          link=count.link,
          href=list_href(type_name, axis) if count.link else None,
          title=count.title,
          cell=count.cell,
          tables=(model,),
        )


class MemberService(ResourceService):
  """A :class:`~prodmanager.services.ResourceService` whose rows belong to grouping axes: set
  ``membership``; lists and single rows load their parents in the same query."""

  membership: Membership

  def load_options(self, statement):
    return statement.options(*self.membership.eager(self.model))

  def get(self, ident: int):
    return self.db.get(self.model, ident, options=self.membership.eager(self.model))


def enum_values(by) -> list[str]:
  return [member.value for member in by.type.enum_class]


def row_counter(model: type, column) -> Callable:
  def counter(db, ident):
    return db.scalar(select(func.count()).select_from(model).where(column == ident))

  return counter


def count_provider(column, by=None) -> Callable:
  """``{parent id: count}`` (or ``{parent id: {value: count}}`` with ``by``) in one grouped query."""
  if by is None:

    def provider(db, ids):
      return dict(db.execute(select(column, func.count()).where(column.in_(ids)).group_by(column)).all())

    return provider

  def provider_by(db, ids):
    rows = db.execute(select(column, by, func.count()).where(column.in_(ids)).group_by(column, by)).all()
    counts = {}
    for ident, value, number in rows:
      counts.setdefault(ident, dict.fromkeys(enum_values(by), 0))[value.value] = number
    return counts

  return provider_by


def count_default(by=None) -> Callable:
  if by is None:
    return lambda: 0
  return lambda: dict.fromkeys(enum_values(by), 0)


def count_schema(by=None) -> dict:
  count = {"type": "integer", "minimum": 0}
  if by is None:
    return count
  values = enum_values(by)
  return {"type": "object", "required": values, "properties": dict.fromkeys(values, count)}


def page_href(type_name: str, axis: str) -> Callable:
  """The member type's HTML list filtered on one parent row (the refused delete links to it)."""

  def href(request, ident) -> str:
    return f"/{type_name}?{urlencode({axis: ident})}"

  return href


def list_href(type_name: str, axis: str) -> Callable:
  """The member type's API list filtered on one parent row."""

  def href(request, row) -> str:
    return api_url(request, type_name, **{axis: row.id})

  return href
