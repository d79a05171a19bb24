"""Rendered fragments kept by what they are made of (docs/performance.md, "Fragments").

A write replaces the content version of the response cache (:mod:`prodmanager.cache`), and every
page is rendered again for the next reader. Most of a long page did not change with that write: the
summary of 1,000 components lists them all and an incident changes the status of one. :func:`fragment` keeps a
rendered piece under a key made of everything it shows (the values, not ids of the rows), so the next
render reuses the pieces whose values are the same and renders only the others. A key names content,
never a version: a fragment is never stale, it is only not used again once its values changed, and
the least recently used go beyond the budget.

A fragment's render must depend on nothing but its key and the process (templates, translations,
settings): no request state (the language goes in the key), no side effect a cached copy would skip
(an icon added to the page's sprite, :func:`prodmanager.cache.changes_at`). With templates reloaded
on change (development), nothing is kept.

Templates keep a piece with the ``{% fragment key %}...{% endfragment %}`` tag
(:class:`FragmentExtension`): the rows of a list, whose next render after a write differs by one
row. A row in the key stands for its values (:func:`row_values`).
"""

import datetime as dt
import enum
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from jinja2 import nodes
from jinja2.ext import Extension
from sqlalchemy import inspect
from sqlalchemy.orm import DeclarativeBase

from .derived import ANY_TABLE, READS_KEY, SNAPSHOT_KEY
from .priority import give_way
from .state import made_on_first_use

# What the fragments of one process may hold (their text, counted in characters; the keys are about
# as large): the dashboard of 1,000 components is about 500 KB of fragments per language.
FRAGMENT_BUDGET = 2_000_000


class Fragments:
  """A bounded map of rendered fragments, least recently used first, shared by the threads."""

  def __init__(self, budget: int = FRAGMENT_BUDGET, enabled: bool = True):
    self.budget, self.enabled, self.used = budget, enabled, 0
    self.entries: OrderedDict[Hashable, str] = OrderedDict()
    self.sizes: dict[Hashable, int] = {}
    self.lock = threading.Lock()
    self.hits = self.misses = 0

  def clear(self) -> None:
    """Forget every fragment (a test that counts renders starts from none)."""
    with self.lock:
      self.entries.clear()
      self.sizes.clear()
      self.used = 0

  def current(self, key: Hashable, versions: tuple):
    """The piece kept under ``key`` if it was made under ``versions``, else None (a miss): the
    pieces kept by version (:func:`kept_pieces`), one per key, replaced when it changes."""
    if not self.enabled:
      return None
    with self.lock:
      held = self.entries.get(key)
      if held is not None and held[0] == versions:
        self.entries.move_to_end(key)
        self.hits += 1
        return held[1]
      self.misses += 1
    return None

  def replace(self, key: Hashable, versions: tuple, piece, counted: int) -> None:
    """Keep ``piece`` under ``key``, made under ``versions``, in place of the former one."""
    if not self.enabled:
      return
    with self.lock:
      if counted <= self.budget // 4:
        self._keep(key, (versions, piece), counted)
      elif key in self.entries:  # one piece must not push out all the others: the former goes
        del self.entries[key]
        self.used -= self.sizes.pop(key)

  def get(self, key: Hashable, render: Callable[[], str]) -> str:
    """The fragment of ``key``: kept, or ``render()`` now (outside the lock) and kept."""
    give_way()  # a checkpoint of the render (prodmanager.priority)
    if not self.enabled:
      return render()
    with self.lock:
      text = self.entries.get(key)
      if text is not None:
        self.entries.move_to_end(key)
        self.hits += 1
        return text
      self.misses += 1
    text = render()
    if len(text) > self.budget // 4:
      return text  # one fragment must not push out all the others
    with self.lock:
      if key not in self.entries:
        self._keep(key, text, len(text))
    return text

  def _keep(self, key: Hashable, value, counted: int) -> None:
    # Under the lock.
    if key in self.entries:
      self.used -= self.sizes[key]
    self.entries[key] = value
    self.entries.move_to_end(key)
    self.sizes[key] = counted
    self.used += counted
    while self.used > self.budget and self.entries:
      dropped, _value = self.entries.popitem(last=False)
      self.used -= self.sizes.pop(dropped)


def fragments(registry) -> Fragments:
  """The application's fragments (made on first use)."""
  reloading = str(registry.settings.get("pyramid.reload_templates", "")).lower() in ("true", "1", "yes", "on")
  return made_on_first_use(registry, "fragments", lambda: Fragments(enabled=not reloading))


def fragment(request, key: Hashable, render: Callable[[], str]) -> str:
  """``render()``'s text, reused while ``key`` (with the request's language) is the same.

  ``key`` must hold every value the fragment shows (see the module docstring); the language is
  added here. ``render`` returns str or Markup; Markup comes back as Markup.
  """
  return fragments(request.registry).get((request.lang, key), render)


class NotKept(Exception):
  """A key holds something whose content is not known here: the piece is rendered, not kept."""


# Lazy loading that raises: a template cannot show such a relationship unless it was loaded.
RAISING = ("raise", "raise_on_sql")
# How far from the row of a key its loaded relationships are followed (row.scope.group: 2).
ROW_DEPTH = 2


def row_values(row, snapshot=None, depth: int = ROW_DEPTH) -> tuple:
  """Everything a template can show of ``row``, a mapped instance: its class, its columns' values,
  and its relationships — the loaded ones by their rows' values (``ROW_DEPTH`` deep), the others
  by their tables' versions in ``snapshot`` (:mod:`prodmanager.derived`). A relationship loaded
  lazily with ``raise`` counts for nothing when absent: showing it would fail.

  Raises :class:`NotKept` when a version is needed and there is no snapshot. Python properties
  are not columns: a key of a template that shows one (a property that depends on the time) holds
  its value besides the row.
  """
  name, columns, table, relations = _shape(type(row))
  loaded = row.__dict__  # the instance's state: what was loaded, by attribute
  try:
    values = [name, *[loaded[column] for column in columns]]
  except KeyError:  # a deferred or expired column
    values = [
      name,
      *(loaded[column] if column in loaded else _version(snapshot, table) for column in columns),
    ]
  for key, many, raising, target_table in relations:
    if key in loaded:
      target = loaded[key]
      if depth <= 0:
        values.append(_version(snapshot, target_table))
      elif many:
        values.append(tuple(row_values(member, snapshot, depth - 1) for member in target))
      else:
        values.append(None if target is None else row_values(target, snapshot, depth - 1))
    elif not raising:
      values.append(_version(snapshot, target_table))
  return tuple(values)


# Per mapped class: its name, column attributes, table, and relationships (key, whether a
# collection, whether it raises when not loaded, target table); read once, a key is made per row.
_shapes: dict[type, tuple] = {}


def _shape(cls: type) -> tuple:
  shape = _shapes.get(cls)
  if shape is None:
    mapper = inspect(cls)
    relations = tuple(
      (relation.key, relation.uselist, relation.lazy in RAISING, relation.mapper.local_table.name)
      for relation in mapper.relationships
    )
    columns = tuple(prop.key for prop in mapper.column_attrs)
    shape = _shapes[cls] = (cls.__qualname__, columns, mapper.local_table.name, relations)
  return shape


def _version(snapshot, table: str) -> tuple:
  if snapshot is None:
    raise NotKept(table)
  return ("version", table, snapshot(table))


# Values that stand for themselves in a key (hashable, compared by value).
PLAIN = (str, int, float, bool, bytes, dt.datetime, dt.date, dt.timedelta, enum.Enum, type(None))


def key_of(value, snapshot=None):
  """A hashable key of ``value``: plain values as they are, rows by :func:`row_values`, lists,
  tuples, sets and dicts by their members; anything else cannot be told apart by its content."""
  if isinstance(value, PLAIN):
    return value
  if isinstance(value, DeclarativeBase):
    return row_values(value, snapshot)
  if isinstance(value, list | tuple):
    if all(isinstance(member, PLAIN) for member in value):
      return tuple(value)  # a record of values (a timeline's events): the common case
    return tuple(key_of(member, snapshot) for member in value)
  if isinstance(value, dict):
    return ("dict", tuple((key_of(k, snapshot), key_of(v, snapshot)) for k, v in value.items()))
  if isinstance(value, set | frozenset):
    return frozenset(key_of(member, snapshot) for member in value)
  raise TypeError(f"a fragment key cannot hold a {type(value).__name__}")


class FragmentExtension(Extension):
  """``{% fragment key %}...{% endfragment %}``: the body rendered once per value of ``key`` (and
  language and site address), then kept (:func:`fragment`).

  ``key`` must hold everything the body shows besides what its rows hold (:func:`row_values`): a
  value of the page's context the body reads, a property of a row. A key of ``none`` keeps
  nothing (the body is rendered every time): a template may keep its rows on some pages only. A
  body with a form (its CSRF token belongs to one session) is never kept.
  """

  tags = {"fragment"}

  def parse(self, parser):
    lineno = next(parser.stream).lineno
    key = parser.parse_expression()
    body = parser.parse_statements(("name:endfragment",), drop_needle=True)
    place = nodes.Const(f"{parser.name}:{lineno}")
    call = self.call_method("_kept", [place, key, nodes.ContextReference()])
    return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

  def _kept(self, place: str, key, context, caller):
    request = context.get("request")
    if key is None or request is None:
      return caller()
    try:
      held = key_of(key, request.environ.get(SNAPSHOT_KEY))
    except NotKept:
      return caller()
    # The page's template and address (a base template's tag draws its children's blocks, links
    # are relative to the page's resource), and an operator's page may show more than a reader's.
    where = (place, context.name, request.host_url, request.script_name, request.path)
    where += (bool(context.get("is_logged_in")),)
    return fragment(request, (*where, held), caller)


def json_size(value) -> int:
  """About the characters of ``value`` in JSON, for the fragments' budget."""
  if isinstance(value, dict):
    return 2 + sum(len(str(key)) + 4 + json_size(member) for key, member in value.items())
  if isinstance(value, list | tuple):
    return 2 + sum(json_size(member) + 1 for member in value)
  return len(str(value)) + 2


def kept_pieces(request, where: tuple, items: list, make: Callable, size: Callable = len) -> list | None:
  """Pieces kept under versions (:mod:`prodmanager.derived`) rather than values: per item
  ``(ident, names)``, the piece of ``ident`` kept under the versions of ``names`` in the render's
  snapshot (read before its transaction began: what it reads is at least as new), and ``where``
  (what else the pieces depend on: the page, the site's address, the language). ``make(missing)``
  receives the items not kept, reads what they need at once, and returns the function that makes
  the piece of one ident. None without a snapshot (an operator's page, a test's connection). One
  piece is kept per ident, replaced when its versions change: a write replaces the version of a
  shard of rows, and the pieces of its other rows would otherwise pile up under the old one.

  The names are noted as read by the answer (as a derived value's tables): a kept piece is shown as
  if its rows were read, and the answer is not carried over their writes. The version of ``*``
  (a write whose tables are not known) is part of every piece's: the callers need not name it.
  """
  environ = request.environ
  snapshot = environ.get(SNAPSHOT_KEY)
  if snapshot is None:
    return None
  reads = environ.get(READS_KEY)
  kept = fragments(request.registry)
  # Every piece holds the version that a write whose tables are not known replaces (text SQL).
  anything = snapshot(ANY_TABLE)
  if reads is not None:
    reads.add(ANY_TABLE)
  keys, versions, found = [], [], []
  for ident, names in items:
    if reads is not None:
      reads.update(names)
    key, made_under = (*where, request.lang, ident), (anything, *(snapshot(name) for name in names))
    keys.append(key)
    versions.append(made_under)
    found.append(kept.current(key, made_under))
  missing = [item for item, piece in zip(items, found, strict=True) if piece is None]
  if missing:
    give_way()  # a checkpoint of the render (prodmanager.priority)
    piece_of = make(missing)
    for index, (ident, _names) in enumerate(items):
      if found[index] is None:
        found[index] = piece = piece_of(ident)
        kept.replace(keys[index], versions[index], piece, size(piece))
  return found
