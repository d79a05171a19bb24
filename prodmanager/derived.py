"""Derived data kept under the versions of the tables it is read from (docs/performance.md, "Derived data").

A write replaces the content version of the response cache (:mod:`prodmanager.cache`), and every page
is rendered again for its next reader. Much of what a render computes did not change with that
write: creating an incident changes neither the monitors' statuses nor the names of the scopes. Each
table has a version of its own too, replaced by the commits that write it (the same ``after_commit``
hook). :func:`derived` keeps what a computation returns under the versions of the tables it names,
and hands it back while none of them changed: the incidents' levels are read again after an
incident is written, the monitors' are not.

Versions live where the content version lives: in Redis with ``PM_REDIS_URI`` (one hash), else in a
small file of the instance folder mapped in memory by the processes of the host (one slot per table
name, by its hash: two names on one slot only share their replacements), else in the process. A
commit whose tables are not known (a flush without rows) replaces the version named ``*``, which
every key includes, as does a bump of the content version alone (:meth:`ResponseCache.bump`).

The versions are read once per render, by the cache tween, before the render's transaction begins:
data read afterwards is at least as new as they say, so nothing older than them is ever kept under
them. Without that reading (operators, writes, the tests' rolled-back connection) the computation
simply runs. What is kept must be plain data (tuples, dicts, frozen dataclasses — never rows of a
session) that its readers do not modify, and must depend on nothing but the tables named, the
arguments and the process; a value that time changes declares when
(:func:`prodmanager.cache.changes_at`), and is computed again then.
"""

import logging
import mmap
import os
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

from .priority import give_way
from .state import app_state, made_on_first_use

log = logging.getLogger(__name__)

# The version every key includes: replaced when what a commit wrote is not known.
ANY_TABLE = "*"
# The environ key of the versions read for the render (see the module docstring).
SNAPSHOT_KEY = "prodmanager.derived.versions"
# The environ key of the moment the answer being rendered expires (prodmanager.cache.changes_at).
EXPIRES_KEY = "prodmanager.cache.expires"
# The environ key of the names of the tables the answer being rendered read (a set; None once it
# read something whose tables are not known): prodmanager.cache carries an answer over to the next
# content version while none of them was written.
READS_KEY = "prodmanager.cache.reads"
# Computations kept per process (least recently used beyond): each is one value per arguments.
DERIVED_ENTRIES = 256


# A row scope's shards (prodmanager.cache, __row_scope__): the rows of incident 7 and of incident 39
# share the version "incident#7".
ROW_SHARDS = 32


def row_shard(name: str, value) -> str:
  """The version name of the rows of a row scope (``__row_scope__``) whose key is ``value``; None:
  the name every write whose rows are not known replaces, which every row-scoped read names too."""
  return f"{name}#*" if value is None else f"{name}#{value % ROW_SHARDS}"


def row_versions(model, ident: int, members: tuple = ()) -> tuple[str, ...]:
  """The version names that change when row ``ident`` of ``model``, or one of its ``members``'
  rows (the models of the rows that belong to it: an incident's events), is written: the shards of
  its row scope when ``model`` declares one keyed by its id (and the members belong to the same
  scope), else the tables."""
  scope = getattr(model, "__row_scope__", None)
  sharded = scope is not None and scope[1] == "id"
  names = [row_shard(scope[0], ident), row_shard(scope[0], None)] if sharded else [model.__tablename__]
  for member in members:
    member_scope = getattr(member, "__row_scope__", None)
    if not sharded or member_scope is None or member_scope[0] != scope[0]:
      names.append(member.__tablename__)
  return tuple(names)


def table_names(tables: Iterable) -> tuple[str, ...]:
  """Table names from names, Table objects or mapped classes."""
  names = []
  for table in tables:
    if isinstance(table, str):
      names.append(table)
    else:
      names.append(getattr(table, "__tablename__", None) or table.name)
  return tuple(names)


class MemoryTableVersions:
  """The tables' versions of one process."""

  name = "in-process"

  def __init__(self):
    self.values: dict[str, str] = {}
    self.lock = threading.Lock()

  def snapshot(self) -> Callable[[str], str]:
    values = dict(self.values)
    return lambda name: values.get(name, "")

  def bump(self, names: Iterable[str]) -> None:
    with self.lock:
      for name in names:
        self.values[name] = secrets.token_hex(8)


class FileTableVersions:
  """The tables' versions in slots of a file mapped in memory by every process of the host."""

  SLOTS = 128
  SLOT = 16

  def __init__(self, path: Path):
    self.path = path
    self.map = None
    self.fallback = None
    self.lock = threading.Lock()
    self.slots: dict[str, int] = {}

  def _open(self) -> None:
    with self.lock:
      if self.map is not None or self.fallback is not None:
        return
      size = self.SLOTS * self.SLOT
      try:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
          if os.fstat(descriptor).st_size < size:
            os.pwrite(descriptor, secrets.token_hex(size // 2).encode(), 0)
          self.map = mmap.mmap(descriptor, size, access=mmap.ACCESS_WRITE)
        finally:
          os.close(descriptor)
      except OSError:
        self.fallback = MemoryTableVersions()

  def slot(self, name: str) -> int:
    start = self.slots.get(name)
    if start is None:
      # Names are few (the tables and their rows' shards): each one's slot is found once.
      start = self.slots[name] = (zlib.crc32(name.encode()) % self.SLOTS) * self.SLOT
    return start

  def snapshot(self) -> Callable[[str], str]:
    if self.map is None:
      self._open()
      if self.fallback is not None:
        return self.fallback.snapshot()
    data, read = self.map[:], {}

    def version(name: str) -> str:
      # A render asks for the same names again and again (every row of a list asks for "*").
      value = read.get(name)
      if value is None:
        start = self.slot(name)
        value = read[name] = data[start : start + self.SLOT].decode("ascii", "replace")
      return value

    return version

  def bump(self, names: Iterable[str]) -> None:
    if self.map is None:
      self._open()
      if self.fallback is not None:
        return self.fallback.bump(names)
    for name in set(names):
      start = self.slot(name)
      self.map[start : start + self.SLOT] = secrets.token_hex(self.SLOT // 2).encode()
    return None


class RedisTableVersions:
  """The tables' versions in one Redis hash, shared by every process and replica."""

  def __init__(self, client, key: str, errors: tuple):
    self.client, self.key, self.errors = client, key, errors

  def snapshot(self) -> Callable[[str], str] | None:
    try:
      values = self.client.hgetall(self.key)
    except self.errors:
      return None
    decoded = {name.decode(): value.decode() for name, value in values.items()}
    return lambda name: decoded.get(name, "")

  def bump(self, names: Iterable[str]) -> None:
    try:
      self.client.hset(self.key, mapping={name: secrets.token_hex(8) for name in set(names)})
    except self.errors as error:
      # The write is committed: what was derived before it goes within PM_CACHE_MAX_AGE at the
      # latest, as the answers of a content version that could not be replaced.
      log.warning("table versions not replaced (%s): derived data expires within its maximum age", error)


class Derived:
  """What :func:`derived` keeps in one process."""

  def __init__(self, size: int = DERIVED_ENTRIES):
    self.size = size
    self.entries: OrderedDict[Hashable, tuple] = OrderedDict()
    self.lock = threading.Lock()
    self.hits = self.misses = 0

  def clear(self) -> None:
    with self.lock:
      self.entries.clear()

  def get(self, key: Hashable, versions: tuple):
    with self.lock:
      entry = self.entries.get(key)
      if entry is None or entry[0] != versions or min(entry[1], entry[2]) <= time.time():
        self.misses += 1
        return None
      self.entries.move_to_end(key)
      self.hits += 1
      return entry

  def set(self, key: Hashable, versions: tuple, changes: float, deadline: float, value) -> None:
    """Keep ``value`` under ``versions`` until ``changes`` (what it declared with changes_at) or
    ``deadline`` (the cache's maximum age), whichever comes first."""
    with self.lock:
      self.entries[key] = (versions, changes, deadline, value)
      self.entries.move_to_end(key)
      while len(self.entries) > self.size:
        self.entries.popitem(last=False)


def kept(registry) -> Derived:
  """The application's :class:`Derived` (made on first use)."""
  return made_on_first_use(registry, "derived", Derived)


def derived(request, name: str, tables: Iterable, compute: Callable[[], object], *args: Hashable):
  """``compute()``'s value, kept while the versions of ``tables`` stay the same.

  ``name`` and ``args`` identify the computation (``args`` are what it depends on besides the
  tables: a scope's id...); ``tables`` are the tables it reads (names, Table objects or mapped
  classes). See the module docstring for what may be kept.
  """
  give_way()  # a checkpoint of the render (prodmanager.priority)
  environ = getattr(request, "environ", None)  # a script's stand-in for a request may have none
  snapshot = environ.get(SNAPSHOT_KEY) if environ is not None else None
  if snapshot is None:
    return compute()
  names = table_names(tables)
  versions = (snapshot(ANY_TABLE), *(snapshot(table) for table in names))
  reads = environ.get(READS_KEY)
  if reads is not None:
    # Kept or computed now, the answer shows what these tables hold.
    reads.update(names)
  entries = kept(request.registry)
  key = (name, names, args)
  entry = entries.get(key, versions)
  if entry is not None:
    _versions, changes, _deadline, value = entry
    if changes != float("inf"):
      # The answer showing it changes then too (its own maximum age is the cache's business).
      environ[EXPIRES_KEY] = min(environ.get(EXPIRES_KEY, changes), changes)
    return value
  # What the computation declares with changes_at is its own expiry (and still the answer's).
  outer = environ.pop(EXPIRES_KEY, None)
  try:
    value = compute()
    changes = environ.get(EXPIRES_KEY, float("inf"))
  finally:
    inner = environ.pop(EXPIRES_KEY, None)
    moments = [moment for moment in (outer, inner) if moment is not None]
    if moments:
      environ[EXPIRES_KEY] = min(moments)
  entries.set(key, versions, changes, time.time() + app_state(request.registry).cache.max_age, value)
  return value
