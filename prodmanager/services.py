"""Generic domain services: validation, create/update/delete, filtered and paginated lists.

A plugin subclasses :class:`ResourceService`, declares its fields, filters and orders, and adds
its own rules in the hooks (``prepare_create``, ``prepare_update``, ``after_change``). HTML views and
the JSON API both call the same service, so a rule holds on every path.
"""

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import IntegrityError

from .db import capped_count, keep_row
from .derived import row_versions, table_names
from .errors import Conflict, Message, NotAllowed, ValidationFailed, reason
from .fields import DateTime as DateTimeField
from .fields import Field, format_datetime, parse_datetime
from .settings import is_decimal
from .state import app_state
from .text import check_text

MAX_PAGE = 10_000_000
MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 20
# The HTML lists count at most this many rows past the start of the page shown ("Page 1 of 50+"):
# an exact total reads every matching row, whose number only grows (docs/performance.md#query-plans).
COUNT_CAP = 1000
MAX_FILTER_VALUES = 50


@dataclass
class Filter:
  """A list filter: ``kind`` is ``enum``, ``int``, ``text``, ``after`` (>=) or ``before`` (<)."""

  name: str
  column: Any
  kind: str = "text"
  enum: Any = None
  model: Any = None  # for ``int`` filters on references: the model offered in the HTML filter control
  prefix: str = ""  # translation prefix of enum values (defaults to the filter name)

  def parse(self, raw: str):
    if self.kind == "enum":
      values = [member.value for member in self.enum]
      if raw.lower() not in values:
        raise ValueError(Message("validation.choice", choices=", ".join(values)))
      return self.enum(raw.lower())
    if self.kind == "int":
      if not is_decimal(raw) or len(raw) > 18:
        raise ValueError(Message("validation.positive_id"))
      return int(raw)
    if self.kind in ("after", "before"):
      return parse_datetime(raw)
    if len(raw) > 255:
      raise ValueError(Message("validation.max_length", max=255))
    return check_text(raw)

  def clause(self, values: list):
    if self.kind == "after":
      return self.column >= max(values)
    if self.kind == "before":
      return self.column < min(values)
    return self.column.in_(values)


@dataclass
class Page:
  items: list
  page: int
  per_page: int
  total: int
  # ``total`` is a lower bound: there are more rows than it says (a capped count).
  capped: bool = False

  @property
  def pages(self) -> int:
    if self.per_page == 0:
      return 1 if self.total else 0
    return math.ceil(self.total / self.per_page)

  @property
  def prev_page(self) -> int | None:
    return self.page - 1 if self.page > 1 else None

  @property
  def next_page(self) -> int | None:
    return self.page + 1 if self.page < self.pages else None


def parse_int_param(params, name: str, default: int, minimum: int, maximum: int) -> int:
  raw = params.get(name)
  if raw is None or raw == "":
    return default
  raw = raw.strip()
  if not is_decimal(raw.lstrip("-")) or len(raw) > 12:
    raise ValidationFailed(Message("validation.list_parameters"), {name: [Message("validation.integer")]})
  value = int(raw)
  if not minimum <= value <= maximum:
    raise ValidationFailed(
      Message("validation.list_parameters"),
      {name: [Message("validation.integer_between", minimum=minimum, maximum=maximum)]},
    )
  return value


class ResourceService:
  """CRUD and listing for one resource type. Subclasses set the class attributes below."""

  model: Any = None
  type_name: str = ""
  fields: tuple[Field, ...] = ()
  unique: tuple[str, ...] = ("name",)
  search_columns: tuple[str, ...] = ("name", "description")
  default_sort: str = "name"
  weather_field: str = "status"
  # Whether a row's JSON object shows nothing but the row, its parents, its aggregates (and, for a
  # timeline, its events) and the site's address (no property that time changes): the anonymous
  # lists of the API then keep each row's object (serialized_versions).
  keeps_serialized: bool = False

  def __init__(self, request):
    self.request = request
    self.db = request.dbsession

  # -- reading ---------------------------------------------------------------------------------

  @classmethod
  def filter_declarations(cls) -> list[Filter]:
    """The list filters of this type (query parameters, also used by the HTML lists)."""
    return []

  @classmethod
  def sort_orders(cls) -> dict[str, list]:
    """Named orders for ``sort``; ``default_sort`` names the default order of the list."""
    return {
      "name": [cls.model.name.asc(), cls.model.id.asc()],
      "-name": [cls.model.name.desc(), cls.model.id.desc()],
    }

  @classmethod
  def sort_names(cls) -> list[str]:
    return list(cls.sort_orders())

  def get(self, ident: int):
    return self.db.get(self.model, ident)

  def parse_list_params(self, params) -> tuple[list, dict]:
    """Validate list query parameters; every invalid value is a 400 naming the parameter."""
    clauses, reasons, applied = [], {}, {}
    for flt in self.filter_declarations():
      raw_values = [value.strip() for value in params.getall(flt.name) if value.strip() != ""]
      if not raw_values:
        continue
      if len(raw_values) > MAX_FILTER_VALUES:
        reasons[flt.name] = [Message("validation.too_many_values", limit=MAX_FILTER_VALUES)]
        continue
      try:
        values = [flt.parse(raw) for raw in raw_values]
      except ValueError as error:
        reasons[flt.name] = [reason(error)]
        continue
      applied[flt.name] = raw_values
      clauses.append(flt.clause(values))
    query, query_error = (params.get("q") or "").strip(), None
    try:
      check_text(query)
    except ValueError as error:
      query_error = reason(error)
    if len(query) > 255:
      reasons["q"] = [Message("validation.max_length", max=255)]
    elif query_error:
      reasons["q"] = [query_error]
    elif query:
      applied["q"] = [query]
      pattern = f"%{query.lower()}%"
      clauses.append(
        or_(*[func.lower(getattr(self.model, column)).like(pattern) for column in self.search_columns])
      )
    sort = params.get("sort") or self.default_sort
    if sort not in self.sort_orders():
      reasons["sort"] = [Message("validation.choice", choices=", ".join(self.sort_names()))]
    if reasons:
      raise ValidationFailed(Message("validation.list_parameters"), reasons)
    return clauses, {"applied": applied, "sort": sort}

  def list(
    self, params, default_per_page: int = DEFAULT_PER_PAGE, count_cap: int | None = None
  ) -> tuple[Page, dict]:
    """One page of rows for the query parameters: two queries (count and rows) whatever the page size.

    The total is exact (the API's ``x-total``, which 0.22's client reads), unless ``count_cap`` is
    given: then no more than ``count_cap`` rows past the start of the page are counted, and a list
    that has more is a ``capped`` page whose total is that bound (the HTML lists).
    """
    page = parse_int_param(params, "page", 1, 1, MAX_PAGE)
    per_page = parse_int_param(params, "per_page", default_per_page, 0, MAX_PER_PAGE)
    clauses, state = self.parse_list_params(params)
    capped = False
    if count_cap is None:
      total = self.db.scalar(select(func.count()).select_from(self.model).where(*clauses))
    else:
      bound = (page - 1) * per_page + count_cap
      total = self.db.scalar(capped_count(select(self.model.id).where(*clauses), self.model.id, bound))
      capped = total > bound
      total = min(total, bound)
    items = []
    if per_page:
      statement = (
        select(self.model)
        .where(*clauses)
        .order_by(*self.sort_orders()[state["sort"]])
        .limit(per_page)
        .offset((page - 1) * per_page)
      )
      items = list(self.db.scalars(self.load_options(statement)))
    return Page(items, page, per_page, total, capped), state

  def weather(self, params) -> dict:
    """``GET /api/weather/<type>``: rows per value of ``weather_field`` (an enum column), every
    value present, with the list filters; one grouped query."""
    column = getattr(self.model, self.weather_field)
    clauses, _ = self.parse_list_params(params)
    rows = self.db.execute(select(column, func.count()).where(*clauses).group_by(column)).all()
    counts = {member.value: 0 for member in column.type.enum_class}
    counts.update({value.value: count for value, count in rows})
    return counts

  def load_options(self, statement):
    """Add eager loading to list queries (no N+1); override where rows show related rows."""
    return statement

  # -- writing ---------------------------------------------------------------------------------

  def type_label(self) -> Message | str:
    """The type's name in messages: ``<type>.singular`` of the plugin's catalogue, or the type's
    name when the plugin has none."""
    key = f"{self.type_name}.singular"
    if key in app_state(self.request.registry).catalogues.messages["en"]:
      return Message(key)
    return self.type_name

  def failure_message(self, row) -> Message:
    """ "Incident creation failed" / "Incident update failed", translated where it is shown."""
    return Message(
      "validation.update_failed" if row is not None else "validation.creation_failed", type=self.type_label()
    )

  def field_label(self, name: str) -> Message:
    """The label of field ``name``, for messages that name another field."""
    for field in self.fields:
      if field.name == name:
        return field.label_message()
    return Message(f"fields.{name}")

  def validate(self, data: dict, row=None) -> dict:
    """Parse the fields present in ``data``; on create (no ``row``) required fields must be there.

    Every error of the data is reported at once: the cross-field rules of :meth:`check` run on the
    fields that are valid even when others are not, so that a missing choice does not hide a date
    in the wrong order until the next attempt.
    """
    values, reasons = {}, {}
    for field in self.fields:
      present = field.name in data
      raw = data.get(field.name)
      if not present or field.empty(raw):
        if row is None and field.required:
          reasons[field.name] = [Message("validation.required")]
        elif present and row is not None and field.required:
          reasons[field.name] = [Message("validation.cannot_be_emptied")]
        elif present or row is None:
          values[field.name] = field.empty_value()
        continue
      try:
        values[field.name] = field.parse(raw, self)
      except ValueError as error:
        reasons[field.name] = [reason(error)]
    for name, messages in self.check(values, row).items():
      if name not in reasons:  # a field whose value is refused is not compared with others
        reasons[name] = messages
    message = self.failure_message(row)
    if reasons:
      raise ValidationFailed(message, reasons)
    conflicts = self.check_unique(values, row)
    if conflicts:
      raise Conflict(message, conflicts)  # docs/api.md#errors: a unique conflict is a 409
    return values

  def check(self, values: dict, row) -> dict:
    """Cross-field rules; returns reasons (empty when valid)."""
    return {}

  def check_date_order(self, values: dict, row, start: str, end: str) -> dict:
    """Reasons naming ``end`` when it is before ``start`` (end ≥ start rules, docs/user-guide.md#maintenances, docs/user-guide.md#announcements).

    On update, a value left out of ``values`` is the row's current one, so that a request changing
    only one of the two dates is checked against the other.
    """

    def current(name):
      if name in values:
        return values[name]
      return getattr(row, self.attribute(name), None) if row is not None else None

    start_value, end_value = current(start), current(end)
    if start_value is not None and end_value is not None and end_value < start_value:
      return {end: [Message("validation.not_before", other=self.field_label(start))]}
    return {}

  def check_unique(self, values: dict, row) -> dict:
    """Values of ``unique`` columns already used by another row; returns reasons (empty when none)."""
    reasons = {}
    for column in self.unique:
      if column in values and values[column] is not None:
        statement = select(self.model.id).where(getattr(self.model, self.attribute(column)) == values[column])
        if row is not None:
          statement = statement.where(self.model.id != row.id)
        if self.db.scalar(statement.limit(1)) is not None:
          reasons[column] = [
            Message("validation.unique", type=self.type_label(), field=self.field_label(column))
          ]
    return reasons

  def attribute(self, name: str) -> str:
    for field in self.fields:
      if field.name == name:
        return field.attr
    return name

  def create(self, data: dict):
    values = self.validate(data)
    row = self.model()
    self.prepare_create(row, values)
    for key, value in values.items():
      setattr(row, self.attribute(key), value)
    self.db.add(row)
    self.flush()
    keep_row(self.db, row)  # the commit's hooks read it again (prodmanager.db.keep_row)
    self.after_change(row, None)
    return row

  def update(self, row, data: dict) -> dict:
    """Apply the fields present in ``data``; fields left out keep their value. Returns the changes."""
    values = self.validate(data, row)
    before = {key: getattr(row, self.attribute(key)) for key in values}
    self.keep_unchanged_dates(values, before)
    self.prepare_update(row, values)
    changes = {}
    for key, value in values.items():
      old = before.get(key, getattr(row, self.attribute(key), None))
      if old != value:
        changes[key] = (old, value)
        setattr(row, self.attribute(key), value)
    if changes:
      self.flush()
      self.after_change(row, changes)
    return changes

  def delete(self, row) -> None:
    """Delete ``row``, or refuse (403) while dependents remain: the error lists them
    (``reasons``, and ``blockers``: ``(title, count, href)`` for the page's links)."""
    reasons, blockers = {}, []
    for dependent in app_state(self.request.registry).dependents.of(self.type_name):
      count = dependent.counter(self.db, row.id)
      if count:
        label = dependent.label
        title = Message(dependent.title) if dependent.title else label
        reasons[label] = [Message("validation.still_has", count=count, title=title)]
        href = dependent.href(self.request, row.id) if dependent.href else None
        blockers.append((title, count, href))
    if reasons:
      error = NotAllowed(Message("validation.deletion_refused", type=self.type_label()), reasons)
      error.blockers = blockers
      raise error
    self.db.delete(row)
    self.flush()

  def flush(self) -> None:
    try:
      with self.db.begin_nested():
        self.db.flush()
    except IntegrityError:
      raise Conflict(
        Message("validation.conflicts", type=self.type_label()),
        {self.type_name: [Message("validation.conflict")]},
      ) from None

  def keep_unchanged_dates(self, values: dict, stored: dict) -> None:
    """A date sent back equal, to the minute, to the stored one is unchanged and keeps its seconds.

    Dates go out at the API's minute precision, and come back that way from the update form and
    from 0.22's client (which re-sends every attribute): without this, every such update would
    cut the seconds off and record a change nobody made.
    """
    for field in self.fields:
      if not isinstance(field, DateTimeField):
        continue
      value, current = values.get(field.name), stored.get(field.name)
      if value is not None and current is not None and format_datetime(value) == format_datetime(current):
        values[field.name] = current

  def prepare_create(self, row, values: dict) -> None:
    """Hook: set server-side values (dates, default status) before the row is added."""

  def prepare_update(self, row, values: dict) -> None:
    """Hook: adjust values derived from the update (milestone dates...)."""

  def after_change(self, row, changes: dict | None) -> None:
    """Hook: called after create (``changes`` is None) and after an update that changed something."""

  # -- output ----------------------------------------------------------------------------------

  def aggregates(self, rows: list) -> dict[int, dict]:
    """Computed values per row from every registered aggregate provider: one query per provider."""
    ids = [row.id for row in rows]
    result = {ident: {} for ident in ids}
    for aggregate in app_state(self.request.registry).aggregates.of(self.type_name):
      values = aggregate.values(self.request, self.type_name, ids)
      for ident in ids:
        value = values.get(ident)
        result[ident][aggregate.key] = aggregate.default() if value is None else value
    return result

  def with_aggregates(self, row, extra: dict, data: dict) -> dict:
    """``data`` (a row's JSON object) with the documented aggregates other plugins add to this type
    and their links (``add_aggregate(schema=..., link=...)``); the type itself names none of them."""
    links = data.setdefault("links", {})
    for aggregate in app_state(self.request.registry).aggregates.of(self.type_name):
      if aggregate.schema is None:
        continue
      data[aggregate.key] = extra.get(aggregate.key, aggregate.default())
      if aggregate.link:
        links[aggregate.link] = aggregate.href(self.request, row)
    return data

  def serialized_versions(self, rows) -> "list[tuple[str, ...]] | None":
    """Per row, the names of the versions (:mod:`prodmanager.derived`) that change when what its
    JSON object shows changes: its own rows' (:func:`~prodmanager.derived.row_versions`), its
    parents' tables, its aggregates' tables. None when the objects are not kept: the type does
    not say they may be (``keeps_serialized``), or an aggregate does not name its tables."""
    if not self.keeps_serialized:
      return None
    shared = list(self.serialized_tables())
    for aggregate in app_state(self.request.registry).aggregates.of(self.type_name):
      if not aggregate.tables:
        return None
      shared.extend(table_names(aggregate.tables))
    members = self.serialized_members()
    return [(*shared, *row_versions(self.model, row.id, members)) for row in rows]

  def serialized_tables(self) -> tuple[str, ...]:
    """The tables a row's object shows besides its own rows and aggregates: its parents'."""
    return tuple(relation.mapper.local_table.name for relation in inspect(self.model).relationships)

  def serialized_members(self) -> tuple:
    """The models of the rows that belong to a row and that its object shows (a timeline's events)."""
    return ()

  def serialize(self, row, extra: dict) -> dict:
    """The JSON object of a row (0.22 shape); ``extra`` holds its aggregates."""
    return {"id": row.id}
