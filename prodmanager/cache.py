"""Cached public reads (docs/performance.md#what-makes-public-reads-cheap).

Anonymous ``GET``/``HEAD`` answers (pages, ``/api`` reads, ``/api/v2``, feeds, calendars, badges)
are kept, gzip-compressed, under a key made of the **content version** and of what the answer
depends on (scheme, host, path and query, language). The content version is a token replaced after
every committed write of any session the core hands out (web, API, CLI, worker, integrations: an
``after_commit`` hook on :func:`prodmanager.db` 's session factory), so an answer rendered before a
write is never served after it: its key names an old version.

Where the version lives decides who sees a write at once:

* with Redis (``PM_REDIS_URI``), in Redis: every process and replica reads it on each request (one
  ``GET``), and the answers are shared through Redis too;
* without, in a small file of the instance folder, mapped in memory by every process of the host
  (the ``serve`` workers, the CLI, the worker), and answers in files of the instance folder that
  the processes of the host share (:class:`FileStore`), with a copy in each process;
* when the instance folder cannot be written, in the process.

A request is anonymous when it carries neither the session cookie nor an API credential
(``Authorization``, ``X-PRIVATE-TOKEN``, ``X-ProdManager-Secret``); an operator's requests never read nor write the cache.
Only what every anonymous reader sees is kept: a ``200`` that sets no cookie, is not marked
``no-store``/``private`` and has one of the public content types. Content that changes with time
(an announcement starting in ten minutes, a maintenance becoming overdue) calls :func:`changes_at`
while it renders; the answer expires then, and at the latest after ``PM_CACHE_MAX_AGE`` seconds.

An answer is also kept as the newest of its request, with the versions of the tables its render
read (every statement's, and the derived data's): after a write that wrote none of them, the next
reader gets it under the new version without a render (``carried_over`` in the tween).

ETags are derived from the version (weak: one tag for the gzip and identity bodies), so a
conditional request costs the version and entry lookups, not a render. Answers that are not cached
are gzip-compressed too when the client accepts it and they are worth it.
"""

import contextlib
import dataclasses
import datetime as dt
import enum
import fcntl
import gzip
import hashlib
import io
import json
import logging
import mmap
import os
import secrets
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import urlparse

from pyramid.response import Response
from sqlalchemy import Table, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, Grouping
from sqlalchemy.sql.expression import CTE, Alias, ScalarSelect, Select, TableClause, TextClause

from .db import Base, request_connection
from .derived import (
  ANY_TABLE,
  EXPIRES_KEY,
  READS_KEY,
  SNAPSHOT_KEY,
  FileTableVersions,
  MemoryTableVersions,
  RedisTableVersions,
  row_shard,
)
from .metrics import ROUTE_ENVIRON_KEY, route_template
from .priority import giving_way, urgent
from .rendering import AUTO_RELOAD_COOKIE
from .state import app_state
from .tokens import SECRET_HEADER, TOUCH_KEY, CheckedTokens, TokenRecord
from .version import __version__

log = logging.getLogger(__name__)

SESSION_KEY = "prodmanager.content_version"
WROTE_KEY = "prodmanager.content_version.wrote"
TABLES_KEY = "prodmanager.content_version.tables"  # the names of the tables the session wrote
TOKENS_WROTE_KEY = "prodmanager.token_version.wrote"
SKIP_KEY = "prodmanager.cache.skip"
CACHED_TYPES = frozenset(
  (
    "text/html",
    "application/json",
    "application/atom+xml",
    "application/rss+xml",
    "application/xml",
    "text/calendar",
    "image/svg+xml",
    "text/css",
    "text/plain",
  )
)
COMPRESSED_TYPES = CACHED_TYPES | {"application/javascript", "text/javascript"}
# Not worth a gzip header and the CPU below this size.
MIN_COMPRESS_BYTES = 512
# From this size, bodies are compressed at the fastest level (compress).
FAST_COMPRESS_BYTES = 64 * 1024
# Paths whose answer must reflect this instant (probes, metrics) or a login flow.
UNCACHED_PREFIXES = ("/health", "/metrics", "/login", "/logout", "/static/", "/vendor/")
KEPT_HEADERS = frozenset(("content-type", "cache-control", "link", "x-total-count", "content-disposition"))
DROPPED_HEADERS = frozenset(("content-length", "content-encoding", "etag", "date", "vary", "set-cookie"))
VARY = "Accept-Encoding, Accept-Language, Cookie"
REDIS_TIMEOUT_SECONDS = 0.5
# What the answers kept in one process may hold, both bodies counted: the working set of one content
# version (the Statuspage summary of 1,000 components is 440 KB, its gzip about 40 KB).
MEMORY_BUDGET_BYTES = 16 * 1024 * 1024
# The headers, ETag and bookkeeping of an entry, roughly.
ENTRY_OVERHEAD_BYTES = 512
# From this size, a cached body is handed to the server's wsgi.file_wrapper (cache_tween_factory).
FILE_WRAPPER_MIN_BYTES = 32 * 1024
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
# How long a reader waits for the render of the same answer by another thread.
RENDER_WAIT_SECONDS = 10
# Renders of cacheable answers running at once in a process. They are CPU work under one GIL: more
# at once only makes each take longer, and every other thread (a write, /health) waits for the GIL
# behind them. One at a time: under the mixed load of the benchmark, two at once made writes wait
# longer (create p50 25–32 → 35–38 ms) and the slowest reads too (p99 645–722 → 909–1,030 ms),
# for the same throughput.
RENDERS_AT_ONCE = 1
# How often a reader looks whether another process has stored the answer it is rendering.
CLAIM_POLL_SECONDS = 0.01
# Files of the shared store are removed once expired, or this long after their version was replaced.
FILE_CLEAN_SECONDS = 10
# Where a store keeps the newest answer of each request, whatever its version (carried_over).
LATEST_PREFIX = "latest-"
# The newest answers a process keeps in memory: at most this many, holding at most this share of
# its store's budget.
LATEST_ENTRIES = 256
LATEST_SHARE = 4


# The WSGI environ of the anonymous answer being rendered on this thread, when it may be cached.
rendering: ContextVar[dict | None] = ContextVar("prodmanager_cache_rendering", default=None)
# While a :func:`one_version_change` block runs on this thread: the caches its commits would have
# bumped, with what they wrote (content, tokens).
deferred: ContextVar[dict | None] = ContextVar("prodmanager_cache_deferred", default=None)


def changes_at(moment: dt.datetime | None, request=None) -> None:
  """Declare that the answer being rendered changes at ``moment`` (a future time): it expires then.

  Models, views and panels call it for content that time alone changes: an upcoming announcement
  starts, a scheduled maintenance becomes overdue. Past moments and None are ignored; without a
  ``request``, the answer being rendered on this thread is meant (none outside a cacheable render).
  """
  environ = request.environ if request is not None else rendering.get()
  if moment is None or environ is None:
    return
  stamp = moment.timestamp()
  if stamp <= time.time():
    return
  environ[EXPIRES_KEY] = min(environ.get(EXPIRES_KEY, stamp), stamp)


def do_not_cache(request) -> None:
  """Keep the answer being rendered out of the cache (it depends on more than its URL)."""
  request.environ[SKIP_KEY] = True


class BackendError(Exception):
  pass


# -- content versions ---------------------------------------------------------------------------


class MemoryVersion:
  """The version of one process: writes of other processes are not seen."""

  name = "in-process"

  def __init__(self):
    self.value = secrets.token_hex(8)

  def current(self) -> str:
    return self.value

  def bump(self) -> None:
    self.value = secrets.token_hex(8)


class FileVersion:
  """A 16-character token in a file, mapped in memory: every process of the host reads it for free.

  The file is created on first use (not when the configuration is read: a command refused for a
  bad setting leaves no instance folder behind); if it cannot be, the process keeps its own version.
  """

  SIZE = 16

  def __init__(self, path: Path):
    self.path = path
    self.name = f"file {path}"
    self.map = None
    self.fallback = None
    self.lock = threading.Lock()

  def _open(self):
    with self.lock:
      if self.map is not None or self.fallback is not None:
        return
      try:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
          if os.fstat(descriptor).st_size < self.SIZE:
            os.pwrite(descriptor, secrets.token_hex(self.SIZE // 2).encode(), 0)
          self.map = mmap.mmap(descriptor, self.SIZE, access=mmap.ACCESS_WRITE)
        finally:
          os.close(descriptor)
      except OSError as error:
        log.warning("content version kept in the process (%s): other processes' writes are not seen", error)
        self.fallback = MemoryVersion()

  def current(self) -> str:
    if self.map is None:
      self._open()
      if self.fallback is not None:
        return self.fallback.current()
    return self.map[: self.SIZE].decode("ascii", "replace")

  def bump(self) -> None:
    if self.map is None:
      self._open()
      if self.fallback is not None:
        return self.fallback.bump()
    # One 16-byte store into the shared page: readers see the old token or the new one.
    self.map[: self.SIZE] = secrets.token_hex(self.SIZE // 2).encode()
    return None


class RedisVersion:
  """The version in Redis, shared by every process and replica using the same server."""

  def __init__(self, client, key: str, where: str, errors: tuple):
    self.client, self.key, self.errors = client, key, errors
    self.name = where

  def current(self) -> str:
    try:
      value = self.client.get(self.key)
    except self.errors as error:
      raise BackendError(str(error)) from error
    if value is None:
      # First use (or Redis lost its data): a fresh version, which nothing was stored under.
      value = secrets.token_hex(8).encode()
      try:
        if not self.client.set(self.key, value, nx=True):
          value = self.client.get(self.key) or value
      except self.errors as error:
        raise BackendError(str(error)) from error
    return value.decode()

  def bump(self) -> None:
    try:
      self.client.set(self.key, secrets.token_hex(8))
    except self.errors as error:
      raise BackendError(str(error)) from error


# -- stores of answers --------------------------------------------------------------------------


class Entry:
  """One cached answer: headers, gzip body, when it expires, its ETag, its metrics route, and the
  versions of the tables its render read (None: not known), by name."""

  __slots__ = ("body", "etag", "expires", "headers", "plain", "route", "size", "tables")

  def __init__(
    self,
    headers: list,
    body: bytes,
    expires: float,
    etag: str,
    route: str,
    size: int,
    tables: dict[str, str] | None = None,
  ):
    self.headers, self.body, self.expires, self.etag, self.route, self.size = (
      headers,
      body,
      expires,
      etag,
      route,
      size,
    )
    self.tables = tables
    self.plain = None  # the identity body, decompressed once for clients that do not accept gzip

  def copy(self) -> "Entry":
    """The same answer without its identity body (kept apart from the store's budget)."""
    return Entry(self.headers, self.body, self.expires, self.etag, self.route, self.size, self.tables)

  def encode(self) -> bytes:
    meta = {
      "h": self.headers,
      "x": self.expires,
      "e": self.etag,
      "r": self.route,
      "s": self.size,
      "t": self.tables,
    }
    return json.dumps(meta).encode() + b"\n" + self.body

  @classmethod
  def decode(cls, data: bytes) -> "Entry":
    meta, _, body = data.partition(b"\n")
    meta = json.loads(meta)
    headers = [tuple(pair) for pair in meta["h"]]
    return cls(headers, body, meta["x"], meta["e"], meta["r"], meta["s"], meta.get("t"))


def key_version(key: str) -> str:
  return key.partition(":")[0]


class MemoryStore:
  """Answers kept in this process, bounded by the bytes they hold (both bodies of each entry).

  Only the entries of the newest content version are kept: a version is a random token never used
  again, so once a request has named a new one, the answers of the old are garbage (after a burst of
  writes they were most of the memory). Beyond the budget, the least recently used go.
  """

  def __init__(self, budget: int = MEMORY_BUDGET_BYTES):
    self.budget, self.used = budget, 0
    self.entries: OrderedDict[str, Entry] = OrderedDict()
    self.charged: dict[str, int] = {}  # key -> the bytes counted in self.used for its entry
    self.version = None
    self.lock = threading.Lock()
    # digest -> the newest answer kept for that request, whatever its version (carried_over).
    self.latest: OrderedDict[str, Entry] = OrderedDict()
    self.latest_used = 0

  def latest_answer(self, digest: str) -> Entry | None:
    """The newest answer kept for the request of ``digest``, of any version (see carried_over)."""
    with self.lock:
      entry = self.latest.get(digest)
      if entry is not None and entry.expires <= time.time():
        self.latest_used -= len(self.latest.pop(digest).body)
        return None
      # A copy: the identity body its next reader may attach belongs to the copy the store counts.
      return entry.copy() if entry is not None else None

  def keep_latest(self, digest: str, entry: Entry) -> None:
    if len(entry.body) > self.budget // LATEST_SHARE:
      return
    with self.lock:
      dropped = self.latest.pop(digest, None)
      if dropped is not None:
        self.latest_used -= len(dropped.body)
      self.latest[digest] = entry = entry.copy()
      self.latest_used += len(entry.body)
      while self.latest_used > self.budget // LATEST_SHARE or len(self.latest) > LATEST_ENTRIES:
        _digest, dropped = self.latest.popitem(last=False)
        self.latest_used -= len(dropped.body)

  def get(self, key: str) -> Entry | None:
    with self.lock:
      self._see(key_version(key))
      entry = self.entries.get(key)
      if entry is None:
        return None
      if entry.expires <= time.time():
        self._drop(key)
        return None
      self.entries.move_to_end(key)
      return entry

  def set(self, key: str, entry: Entry) -> None:
    with self.lock:
      if key_version(key) != self.version:
        # A render that began before a write and ended after it: its answer is already stale.
        return
      if key in self.entries:
        self._drop(key)
      self.entries[key] = entry
      self.charged[key] = charge = len(entry.body) + ENTRY_OVERHEAD_BYTES
      self.used += charge
      self._trim()

  def identity(self, key: str, entry: Entry) -> bytes:
    """The entry's uncompressed body, made once and counted (clients that do not ask for gzip)."""
    plain = entry.plain
    if plain is not None:
      return plain
    plain = gzip.decompress(entry.body)
    with self.lock:
      if entry.plain is None:
        entry.plain = plain
        if self.entries.get(key) is entry:
          self.charged[key] += len(plain)
          self.used += len(plain)
          self._trim()
    return entry.plain

  def _see(self, version: str) -> None:
    if version == self.version:
      return
    self.version = version
    for key in [key for key in self.entries if key_version(key) != version]:
      self._drop(key)

  def _trim(self) -> None:
    while self.used > self.budget and self.entries:
      self._drop(next(iter(self.entries)))

  def _drop(self, key: str) -> None:
    del self.entries[key]
    self.used -= self.charged.pop(key)

  # One process: the in-process single flight of the cache tween is all there is to it.
  def claim(self, key: str) -> bool:
    return True

  def release(self, key: str) -> None:
    return None


class FileStore:
  """Answers shared by the processes of one host through files of the instance folder (the ``serve``
  workers render an answer once, not once each), with a copy in each process for repeated reads.

  The process that renders an answer holds an ``flock`` on the answer's lock file meanwhile
  (:meth:`claim`): the readers of the other processes wait for its file instead of rendering it
  too. The kernel drops the lock of a process that dies. When the folder cannot be written, each
  process keeps its answers (a :class:`MemoryStore`).
  """

  def __init__(self, folder: Path, max_age: int):
    self.folder, self.max_age = folder, max_age
    self.local = MemoryStore(MEMORY_BUDGET_BYTES // 2)
    self.fallback: MemoryStore | None = None
    self.ready = False
    self.locks: dict[str, int] = {}  # key -> descriptor of its locked file, while this process renders it
    self.lock = threading.Lock()
    self.cleaned = time.monotonic()

  def _usable(self) -> bool:
    if not self.ready:
      with self.lock:
        if not self.ready and self.fallback is None:
          try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            self.ready = True
          except OSError as error:
            log.warning("cached answers kept in the process (%s): each process renders its own", error)
            self.fallback = self.local
    return self.fallback is None

  def path(self, key: str) -> Path:
    # Keys are "<version>:<digest>", both hexadecimal.
    return self.folder / key.replace(":", "-")

  def latest_answer(self, digest: str) -> Entry | None:
    """The newest answer a process of the host kept for the request of ``digest``."""
    if not self._usable():
      return self.local.latest_answer(digest)
    return self._read(self.folder / f"{LATEST_PREFIX}{digest}")

  def keep_latest(self, digest: str, entry: Entry) -> None:
    if not self._usable():
      self.local.keep_latest(digest, entry)
      return
    self._write(self.folder / f"{LATEST_PREFIX}{digest}", entry)

  @staticmethod
  def _read(path: Path) -> Entry | None:
    try:
      entry = Entry.decode(path.read_bytes())
    except (OSError, ValueError, KeyError):
      # Absent, or written by a process stopped half-way (files are renamed into place, so rarely).
      return None
    return entry if entry.expires > time.time() else None

  def get(self, key: str) -> Entry | None:
    entry = self.local.get(key)
    if entry is not None or not self._usable():
      return entry
    entry = self._read(self.path(key))
    if entry is not None:
      self.local.set(key, entry)
    return entry

  def identity(self, key: str, entry: Entry) -> bytes:
    return self.local.identity(key, entry)

  def set(self, key: str, entry: Entry) -> None:
    self.local.set(key, entry)
    if not self._usable():
      return
    self._write(self.path(key), entry)
    if time.monotonic() - self.cleaned > FILE_CLEAN_SECONDS:
      self.cleaned = time.monotonic()
      self.clean(key.partition(":")[0])

  def _write(self, path: Path, entry: Entry) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
      temporary.write_bytes(entry.encode())
      os.replace(temporary, path)
    except OSError as error:
      log.warning("cached answer not shared (%s)", error)

  def clean(self, version: str) -> None:
    """Remove expired answers, and those of other versions that nobody reads any more."""
    now = time.time()
    try:
      names = os.listdir(self.folder)
    except OSError:
      return
    for name in names:
      path = self.folder / name
      try:
        age = now - path.stat().st_mtime
        # The newest answer of a request serves whatever the version: it goes once expired.
        old = not name.startswith((version, LATEST_PREFIX)) and age > FILE_CLEAN_SECONDS
        if age > self.max_age + 1 or old:
          path.unlink()
      except OSError:
        pass  # another process removed it first

  def claim(self, key: str) -> bool:
    """Whether this process may render ``key``: no other process of the host is rendering it."""
    if not self._usable():
      return True
    try:
      descriptor = os.open(self.path(key).with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
      return True
    try:
      fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
      os.close(descriptor)
      return False
    self.locks[key] = descriptor
    return True

  def release(self, key: str) -> None:
    descriptor = self.locks.pop(key, None)
    if descriptor is None:
      return
    try:
      # Removed before it is let go: a process that opens the name afterwards locks a new file,
      # and finds the answer stored first.
      self.path(key).with_suffix(".lock").unlink()
    except OSError:
      pass
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    os.close(descriptor)


class RedisStore:
  """Answers in Redis (shared by the replicas), with a copy in the process for repeated reads."""

  def __init__(self, client, prefix: str, errors: tuple):
    self.client, self.prefix, self.errors = client, prefix, errors
    self.local = MemoryStore(MEMORY_BUDGET_BYTES // 2)

  def get(self, key: str) -> Entry | None:
    entry = self.local.get(key)
    if entry is not None:
      return entry
    entry = self._read(self.prefix + key)
    if entry is not None:
      self.local.set(key, entry)
    return entry

  def _read(self, name: str) -> Entry | None:
    try:
      data = self.client.get(name)
    except self.errors as error:
      raise BackendError(str(error)) from error
    if data is None:
      return None
    entry = Entry.decode(data)
    return entry if entry.expires > time.time() else None

  def identity(self, key: str, entry: Entry) -> bytes:
    return self.local.identity(key, entry)

  def set(self, key: str, entry: Entry) -> None:
    self.local.set(key, entry)
    self._write(self.prefix + key, entry)

  def _write(self, name: str, entry: Entry) -> None:
    ttl = max(1, int(entry.expires - time.time()) + 1)
    try:
      self.client.set(name, entry.encode(), ex=ttl)
    except self.errors as error:
      raise BackendError(str(error)) from error

  def latest_answer(self, digest: str) -> Entry | None:
    """The newest answer a process or replica kept for the request of ``digest``."""
    return self._read(f"{self.prefix}{LATEST_PREFIX}{digest}")

  def keep_latest(self, digest: str, entry: Entry) -> None:
    self._write(f"{self.prefix}{LATEST_PREFIX}{digest}", entry)

  def claim(self, key: str) -> bool:
    """Whether this process may render ``key``: no other process or replica is rendering it (a
    short lock in Redis, which lapses by itself if its holder dies)."""
    try:
      return bool(self.client.set(f"{self.prefix}render:{key}", b"1", nx=True, px=RENDER_WAIT_SECONDS * 1000))
    except self.errors as error:
      raise BackendError(str(error)) from error

  def release(self, key: str) -> None:
    try:
      self.client.delete(f"{self.prefix}render:{key}")
    except self.errors as error:
      log.warning("render lock not released (%s): it lapses within %d s", error, RENDER_WAIT_SECONDS)


# -- the cache ----------------------------------------------------------------------------------


class ResponseCache:
  """The application's content version and store (``app_state(registry).cache``), and the token
  version: replaced after the commits that write the token table (prodmanager.tokens.CheckedTokens)."""

  def __init__(self, version, store, max_age: int, prefix: str, tokens=None, tables=None):
    self.version, self.store, self.max_age, self.prefix = version, store, max_age, prefix
    self.tokens = tokens
    # The versions of the tables, for derived data (prodmanager.derived).
    self.tables = tables if tables is not None else MemoryTableVersions()

  def bump(self, content: bool = True, tokens: bool = False, tables=None) -> None:
    """Replace the content version (and the versions of ``tables``, the names of the tables
    written; None: not known, every table's), and the token version when ``tokens``."""
    if content:
      # The tables first: a reader of the new content version never derives from their old ones.
      self.tables.bump(tables if tables else (ANY_TABLE,))
    try:
      if content:
        self.version.bump()
    except BackendError as error:
      # The write is committed; readers of a stale version expire with max_age at the latest.
      log.warning("content version not bumped (%s): cached answers expire within %d s", error, self.max_age)
    if tokens and self.tokens is not None:
      try:
        self.tokens.bump()
      except BackendError as error:
        # Tokens checked lately are checked again within a minute at the latest (their last use).
        log.warning("token version not bumped (%s)", error)


def redis_client(uri: str):
  import redis
  from redis.backoff import NoBackoff
  from redis.retry import Retry

  client = redis.Redis.from_url(
    uri,
    socket_timeout=REDIS_TIMEOUT_SECONDS,
    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    retry=Retry(NoBackoff(), 0),
    retry_on_timeout=False,
  )
  parsed = urlparse(uri)
  where = parsed.path if parsed.scheme == "unix" else f"{parsed.hostname}:{parsed.port or 6379}{parsed.path}"
  return client, f"Redis at {where}", (redis.RedisError, OSError)


def _plain(value):
  """A setting's value as JSON the same in every process (sets sorted, enums by value), or None
  for what has no such form (functions, objects)."""
  if value is None or isinstance(value, (str, int, float, bool)):
    return value
  if isinstance(value, enum.Enum):
    return _plain(value.value)
  if isinstance(value, (list, tuple)):
    return [_plain(item) for item in value]
  if isinstance(value, (set, frozenset)):
    return sorted(json.dumps(_plain(item), sort_keys=True) for item in value)
  if isinstance(value, dict):
    return {str(key): _plain(item) for key, item in value.items()}
  if dataclasses.is_dataclass(value) and not isinstance(value, type):
    return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
  if isinstance(value, (Path, dt.date, dt.time, dt.timedelta)):
    return str(value)
  return None


def settings_fingerprint(settings) -> str:
  """A digest of ProdManager's settings (the database, the site's name and logo, every plugin's):
  an answer rendered under other settings is never served, as after a restart with a new
  PM_SITE_LOGO, while the processes and replicas of one deployment, which share their settings,
  share their answers."""
  plain = {key: _plain(value) for key, value in settings.items() if key.startswith("prodmanager.")}
  return hashlib.blake2b(json.dumps(plain, sort_keys=True).encode(), digest_size=6).hexdigest()


def make_cache(settings) -> ResponseCache:
  # INI only (several test applications share one Redis under their own prefix).
  prefix = settings.get("prodmanager.cache_key_prefix") or "pm:cache:"
  # A release renders differently (rolling upgrades), and so do other settings: their answers
  # never mix.
  fingerprint = settings_fingerprint(settings)
  store_prefix = f"{prefix}{__version__}:{fingerprint}:"
  max_age = settings["prodmanager.cache_max_age"]
  uri = settings["prodmanager.redis_uri"]
  if uri:
    client, where, errors = redis_client(uri)
    return ResponseCache(
      RedisVersion(client, prefix + "version", where, errors),
      RedisStore(client, store_prefix, errors),
      max_age,
      store_prefix,
      RedisVersion(client, prefix + "token-version", where, errors),
      RedisTableVersions(client, prefix + "table-versions", errors),
    )
  instance = Path(settings["prodmanager.instance_path"])
  version = FileVersion(instance / "content-version")
  # The release and the settings (the database among them) in the folder's name, as in Redis's
  # prefix: a folder that served another database or configuration never answers for this one.
  store = FileStore(instance / "cache" / f"{__version__}-{fingerprint}", max_age)
  return ResponseCache(
    version,
    store,
    max_age,
    store_prefix,
    FileVersion(instance / "token-version"),
    FileTableVersions(instance / "table-versions"),
  )


# Tables that no cacheable answer shows: the worker's schedule, the integrations' run records (the
# operators' /integrations page and /metrics, never cached) and the token records (listed to the
# administrator only; their writes replace the token version instead). A commit writing only these
# keeps the content version: the worker records a schedule or a run every few seconds, and each
# bump made every process render every page again.
UNSHOWN_TABLES = frozenset(("worker_schedule", "integration_run", TokenRecord.__tablename__))


def _written(session) -> set[str]:
  """The names of what the session's transaction wrote so far (tables, row shards)."""
  return session.info.setdefault(TABLES_KEY, set())


def _noted(session, table) -> None:
  name = getattr(table, "name", None)
  if name not in UNSHOWN_TABLES:
    session.info[WROTE_KEY] = True
    _written(session).add(name or ANY_TABLE)
  if name == TokenRecord.__tablename__ and not session.info.get(TOUCH_KEY):
    session.info[TOKENS_WROTE_KEY] = True


def _wrote(session, *_args) -> None:
  # after_flush still lists what the flush wrote, and the attributes' history what they held.
  rows = (*session.new, *session.dirty, *session.deleted)
  if not rows:
    session.info[WROTE_KEY] = True
    _written(session).add(ANY_TABLE)
  for row in rows:
    mapper = getattr(row, "__mapper__", None)
    for table in _written_tables(mapper):
      _noted(session, table)
    scope = getattr(mapper, "class_", None) and getattr(mapper.class_, "__row_scope__", None)
    if scope is not None:
      _written(session).update(_written_shards(row, *scope))


def _written_shards(row, name: str, column: str) -> set[str]:
  """The row scope's shards a written row changes: those of the values its ``column`` held before
  the flush and holds after it (an event moved to another incident changes both), or every shard
  when they are not known."""
  try:
    history = inspect(row).attrs[column].history
  except (KeyError, AttributeError):
    return {row_shard(name, None)}
  values = [*history.added, *history.unchanged, *history.deleted]
  if not values:
    return {row_shard(name, None)}
  return {row_shard(name, value) for value in values}


_MAPPED_TABLES: dict = {}


def _written_tables(mapper) -> tuple:
  """The tables a row of ``mapper`` writes: every table its class maps (joined inheritance) and the
  association tables of its relationships (a collection changed marks the row dirty, not the
  association's rows). ``(None,)`` for an object that is not mapped: not known."""
  if mapper is None:
    return (None,)
  tables = _MAPPED_TABLES.get(mapper)
  if tables is None:
    secondary = [rel.secondary for rel in mapper.relationships if rel.secondary is not None]
    tables = _MAPPED_TABLES[mapper] = (*mapper.tables, *secondary)
  return tables


def _orm_execute(state) -> None:
  if state.is_insert or state.is_update or state.is_delete:
    table = getattr(state.statement, "table", None)
    _noted(state.session, table)
    scope = row_scopes().get(getattr(table, "name", None))
    if scope is not None:
      # A statement's rows are not known: every row of the scope may have changed.
      _written(state.session).add(row_shard(scope[0], None))


def _after_commit(session) -> None:
  if session.in_nested_transaction():
    # SQLAlchemy sends after_commit when a savepoint is released too (every service flush): bumping
    # then, before the data is committed, let a reader render the old data under the new version.
    return
  tokens = session.info.pop(TOKENS_WROTE_KEY, False)
  content = session.info.pop(WROTE_KEY, False)
  tables = session.info.pop(TABLES_KEY, set())
  if content or tokens:
    cache = session.info.get(SESSION_KEY)
    if cache is None:
      return
    held = deferred.get()
    if held is not None:
      was = held.get(cache, (False, False, set()))
      held[cache] = (was[0] or content, was[1] or tokens, was[2] | tables)
      return
    cache.bump(content=content, tokens=tokens, tables=tables or None)


@contextlib.contextmanager
def one_version_change():
  """The commits made on this thread inside the block replace the content version once, when it
  ends (also when it raises: what was committed is announced), instead of once each.

  For a job that writes what it derives in many short transactions (the availability roll-ups of
  10,000 monitors are 100 batches): its result appears at once, and the readers render each page
  again once, not after every batch.
  """
  if deferred.get() is not None:
    yield  # an outer block announces everything
    return
  held: dict = {}
  reset = deferred.set(held)
  try:
    yield
  finally:
    deferred.reset(reset)
    for cache, (content, tokens, tables) in held.items():
      cache.bump(content=content, tokens=tokens, tables=tables or None)


def _after_rollback(session) -> None:
  if not session.in_nested_transaction():
    session.info.pop(WROTE_KEY, None)
    session.info.pop(TOKENS_WROTE_KEY, None)
    session.info.pop(TABLES_KEY, None)


# Every Session: only those of an application with a cache (SESSION_KEY in their info) bump it.
event.listen(Session, "after_flush", _wrote)
event.listen(Session, "do_orm_execute", _orm_execute)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)


def compiled_tables(compiled) -> frozenset[str] | None:
  """The names of the tables a compiled statement reads, or None when they are not known (text in
  it). The ORM's compile state holds the statement as it is sent, its eager joins included. Found
  once per compiled statement: SQLAlchemy keeps those in its cache, and a render runs dozens."""
  try:
    return compiled._prodmanager_tables
  except AttributeError:
    pass
  statement = getattr(getattr(compiled, "compile_state", None), "statement", None)
  if statement is None:
    statement = getattr(compiled, "statement", None)
  names: set[str] | None = set() if statement is not None else None
  for element in visitors.iterate(statement) if statement is not None else ():
    if isinstance(element, TextClause):
      names = None
      break
    if isinstance(element, TableClause):
      names.add(element.name)
  tables = frozenset(names) if names is not None else None
  try:
    compiled._prodmanager_tables = tables
  except AttributeError:  # a compiler with slots: found again next time
    pass
  return tables


# A statement reading the rows of more ids than this (an IN list) reads their tables as a whole.
MAX_SHARDS_READ = 4


_ROW_SCOPES: list = [0, {}]  # [mappers counted, {table name: (row scope, column)}]


def row_scopes() -> dict[str, tuple[str, str]]:
  """Table name -> (row scope, column) of the mapped classes that declare ``__row_scope__``.

  A model declares ``__row_scope__ = (name, column)``: its rows belong to the rows of ``name``
  keyed by ``column`` (an incident by its ``id``, its events by their ``parent_id``). A render
  reading only the rows of some keys (``WHERE id = :id``, ``WHERE parent_id IN (...)``) notes their
  shards rather than the table, and a write notes the shards of the rows it wrote: an incident's
  page is carried over when another incident is created (docs/performance.md). Found again when
  more classes are mapped (a plugin imported later)."""
  mappers = Base.registry.mappers
  if len(mappers) != _ROW_SCOPES[0]:
    scopes = {}
    for mapper in mappers:
      scope = getattr(mapper.class_, "__row_scope__", None)
      if scope is not None:
        for table in mapper.tables:
          scopes[table.name] = scope
    _ROW_SCOPES[:] = [len(mappers), scopes]
  return _ROW_SCOPES[1]


def compiled_rows(compiled) -> dict[str, tuple[str, str, bool]]:
  """Table name -> (row scope, bound parameter, whether it expands) for the tables of a compiled
  statement whose rows it restricts to the keys of that parameter (a top-level ``column = :p`` or
  ``column IN (:p)`` of the scope's column); empty when there is none. Found once per compiled
  statement.

  Only a plain statement qualifies: one with a nested select (a subquery, a scalar one, a CTE) or
  an alias of a scoped table may read other rows of it, and reads its tables as a whole.
  """
  try:
    return compiled._prodmanager_rows
  except AttributeError:
    pass
  found: dict[str, tuple[str, str, bool]] = {}
  statement = getattr(getattr(compiled, "compile_state", None), "statement", None)
  if statement is None:
    statement = getattr(compiled, "statement", None)
  scopes = row_scopes()
  where = getattr(statement, "whereclause", None) if isinstance(statement, Select) else None
  if where is not None and _plain_select(statement, scopes):
    conjuncts = where.clauses if getattr(where, "operator", None) is operators.and_ else (where,)
    names = getattr(compiled, "bind_names", {})
    for clause in conjuncts:
      if not isinstance(clause, BinaryExpression) or clause.operator not in (operators.eq, operators.in_op):
        continue
      left, right = clause.left, clause.right
      table = getattr(getattr(left, "table", None), "name", None)
      scope = scopes.get(table)
      if scope is None or not isinstance(left.table, Table) or left.name != scope[1]:
        continue
      if isinstance(right, Grouping):  # IN (:p) of an expanding parameter
        right = right.element
      if isinstance(right, BindParameter) and right in names:
        found[table] = (scope[0], names[right], bool(right.expanding))
  try:
    compiled._prodmanager_rows = found
  except AttributeError:
    pass
  return found


def bound_values(parameters: dict, name: str, expanding: bool) -> list | None:
  """The values a statement's parameter ``name`` is sent with: an expanding one (``IN``) is sent
  as ``name_1``, ``name_2``... by then. None when they are not found."""
  if not expanding:
    return [parameters[name]] if name in parameters else None
  values = []
  while (key := f"{name}_{len(values) + 1}") in parameters:
    values.append(parameters[key])
    if len(values) > MAX_SHARDS_READ:
      break
  return values or None


def _plain_select(statement, scopes: dict) -> bool:
  for element in visitors.iterate(statement):
    if element is statement:
      continue
    if isinstance(element, (Select, CTE, ScalarSelect)):
      return False
    if isinstance(element, Alias) and getattr(element.original, "name", None) in scopes:
      return False
  return True


# Statements that read no table, sent as SQL of their own (SQLite's engine begins its transactions so).
TRANSACTION_STATEMENTS = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


def _read(_connection, _cursor, statement, _parameters, context, _executemany) -> None:
  """Note the tables each statement of a render reads (READS_KEY): its answer is carried over to
  the next content version while none of them is written (the tween's carried_over)."""
  environ = rendering.get()
  if environ is None:
    return
  reads = environ.get(READS_KEY)
  if reads is None:
    return
  compiled = getattr(context, "compiled", None)
  if compiled is None and statement.lstrip()[:9].upper().startswith(TRANSACTION_STATEMENTS):
    return
  tables = compiled_tables(compiled) if compiled is not None else None
  if tables is None:
    environ[READS_KEY] = None  # SQL of its own: what the answer shows is not known
    return
  restricted = compiled_rows(compiled)
  if not restricted:
    reads.update(tables)
    return
  parameters = (getattr(context, "compiled_parameters", None) or [{}])[0]
  for table in tables:
    bound = restricted.get(table)
    values = bound_values(parameters, *bound[1:]) if bound is not None else None
    if not values or len(values) > MAX_SHARDS_READ or not all(isinstance(value, int) for value in values):
      reads.add(table)
    else:
      # The rows of one incident (or a few): the answer is kept across writes of the others.
      reads.update(row_shard(bound[0], value) for value in values)
      reads.add(row_shard(bound[0], None))


event.listen(Engine, "before_cursor_execute", _read)


def accepts_gzip(request) -> bool:
  return "gzip" in request.environ.get("HTTP_ACCEPT_ENCODING", "")


def compress(body: bytes) -> bytes:
  # Large bodies (a Statuspage summary of 1,000 components is 440 KB) at the fastest level: after
  # each write the answer is compressed again, and level 6 took three times as long for 8 % less.
  level = 1 if len(body) >= FAST_COMPRESS_BYTES else 6
  return gzip.compress(body, compresslevel=level, mtime=0)


# Every way a request can carry a credential: an API token (two headers) or the administrator
# secret. A request with any of them is an operator's or a script's: it neither reads nor fills.
CREDENTIAL_ENVIRON_KEYS = (
  "HTTP_AUTHORIZATION",
  "HTTP_X_PRIVATE_TOKEN",
  "HTTP_" + SECRET_HEADER.upper().replace("-", "_"),
)


def anonymous(request, cookie_name: str) -> bool:
  environ = request.environ
  if any(key in environ for key in CREDENTIAL_ENVIRON_KEYS):
    return False
  cookies = environ.get("HTTP_COOKIE", "")
  return not cookies or cookie_name not in request.cookies


def cacheable_response(request, response) -> bool:
  if response.status_code != 200 or request.environ.get(SKIP_KEY):
    return False
  if "Set-Cookie" in response.headers or response.content_type not in CACHED_TYPES:
    return False
  if response.content_encoding or response.app_iter is None or hasattr(response, "_app_iter_file"):
    return False
  control = response.headers.get("Cache-Control", "")
  return "no-store" not in control and "private" not in control


# Static files compressed once per process: (path, ETag) -> gzip body.
_static_bodies: dict[tuple, bytes] = {}
STATIC_COMPRESS_MAX_BYTES = 2 * 1024 * 1024


def static_headers(request, response) -> None:
  """A fingerprinted static URL (``?v=``, prodmanager.rendering.ContentFingerprint) never changes."""
  if response.status_code == 200 and "v=" in request.query_string:
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"


def gzip_response(request, response) -> None:
  """Compress an answer that is not cached, when the client accepts it and it is worth it."""
  if not accepts_gzip(request) or response.content_encoding or response.status_code != 200:
    return
  if response.content_type not in COMPRESSED_TYPES:
    return
  if hasattr(response, "_app_iter_file"):
    # A static file: compressed once, then served from memory.
    length = response.content_length or 0
    if not MIN_COMPRESS_BYTES <= length <= STATIC_COMPRESS_MAX_BYTES:
      return
    key = (request.path_info, response.etag, length)
    compressed = _static_bodies.get(key)
    if compressed is None:
      compressed = _static_bodies[key] = compress(response.body)
    response.app_iter = [compressed]
    response.content_length = len(compressed)
    response.content_encoding = "gzip"
    response.vary = merge_vary(response.vary, "Accept-Encoding")
    return
  body = response.body
  if len(body) < MIN_COMPRESS_BYTES:
    return
  response.body = compress(body)
  response.content_encoding = "gzip"
  response.vary = merge_vary(response.vary, "Accept-Encoding")


def merge_vary(current, extra: str) -> tuple:
  values = list(current or ())
  for value in extra.split(", "):
    if value not in values:
      values.append(value)
  return tuple(values)


def cache_tween_factory(handler, registry):
  """Answer anonymous reads from the cache, fill it, and gzip what it does not hold."""
  settings = registry.settings
  cookie_name = settings["prodmanager.session_cookie_name"]
  cache: ResponseCache | None = app_state(registry).cache
  limited = settings["prodmanager.api_ratelimit_enabled"]
  renders: dict[str, threading.Event] = {}  # key -> set when its render is done
  renders_lock = threading.Lock()
  render_slots = threading.BoundedSemaphore(RENDERS_AT_ONCE)
  # digest -> [lock held while its answer renders, threads using it]: one render of a URL at a time
  # whatever the version (see the tween).
  url_renders: dict[str, list] = {}

  def url_lock(digest: str, taking: bool) -> threading.Lock:
    with renders_lock:
      held = url_renders.setdefault(digest, [threading.Lock(), 0])
      held[1] += 1 if taking else -1
      if not held[1]:
        del url_renders[digest]
      return held[0]

  def answer(request, key: str, entry: Entry) -> Response:
    request.environ[ROUTE_ENVIRON_KEY] = entry.route
    if entry.etag[3:-1] in request.if_none_match:
      response = Response(status=304, headerlist=[("ETag", entry.etag), ("Vary", VARY)])
      return response
    response = Response(headerlist=[*entry.headers, ("ETag", entry.etag), ("Vary", VARY)])
    if accepts_gzip(request):
      body = entry.body
      response.content_encoding = "gzip"
    else:
      body = cache.store.identity(key, entry)
    wrapper = request.environ.get("wsgi.file_wrapper")
    if wrapper is not None and len(body) >= FILE_WRAPPER_MIN_BYTES:
      # The server's file wrapper sends the stored bytes as they are (waitress appends the wrapper
      # to its output and reads the whole body in one piece): no copy into its buffers first.
      response.app_iter = wrapper(io.BytesIO(body), len(body))
      response.content_length = len(body)
    else:
      response.body = body
    return response

  def carried_over(digest: str, snapshot) -> Entry | None:
    """The newest answer kept for this request when none of the tables its render read was written
    since (their versions in ``snapshot``, read after the content version of the key it is wanted
    for), else None.

    A write replaces the versions of the tables it wrote before the content version, so a reader
    that names the new content version reads the new table versions too. The answer's render read
    its versions before its transaction began: a write it did not see replaced one of them
    afterwards. The same versions mean that every write announced since wrote other tables: an
    incident created leaves the maintenance list as it was, and it is not rendered again.
    """
    if snapshot is None:
      return None
    try:
      entry = cache.store.latest_answer(digest)
    except BackendError:
      return None
    if entry is None or entry.tables is None:
      return None
    if all(snapshot(name) == version for name, version in entry.tables.items()):
      return entry
    return None

  def keep(entry: Entry, key: str, also: str | None, latest: bool) -> None:
    """Store ``entry`` under ``key`` and ``also`` (a newer version's key, when not None), and as
    the newest answer of its request when ``latest``."""
    try:
      cache.store.set(key, entry)
      if also is not None:
        cache.store.set(also, entry)
      if latest:
        cache.store.keep_latest(key.rpartition(":")[2], entry)
    except BackendError as error:
      log.warning("cache store unavailable (%s): answer not kept", error)

  def store(request, response, key: str, version: str, also: str | None = None) -> None:
    """Keep the answer under ``key`` (and ``also``: the key of a newer version, when the render
    began after it was current), and as the newest of its request, with the versions of the tables
    it read (carried_over)."""
    environ = request.environ
    expires = min(time.time() + cache.max_age, environ.get(EXPIRES_KEY, float("inf")))
    body = response.body
    headers = [(name, value) for name, value in response.headerlist if name.lower() in KEPT_HEADERS]
    if not any(name.lower() == "cache-control" for name, _ in headers):
      # Browsers and proxies keep the answer but ask again each time: a 304 is cheap.
      headers.append(("Cache-Control", "no-cache"))
      response.headers["Cache-Control"] = "no-cache"
    etag = f'W/"{version}-{key.rpartition(":")[2][:12]}-{int(time.time() * 1000) % 10**10}"'
    route = route_template(request, 200)
    reads, snapshot = environ.get(READS_KEY), environ.get(SNAPSHOT_KEY)
    tables = None
    if reads is not None and snapshot is not None:
      tables = {name: snapshot(name) for name in sorted({*reads, ANY_TABLE})}
    entry = Entry(headers, compress(body), expires, etag, route, len(body), tables)
    keep(entry, key, also, latest=tables is not None)
    response.etag = etag.removeprefix("W/").strip('"')
    response.headers["ETag"] = etag
    response.conditional_response = True
    response.vary = merge_vary(response.vary, VARY)
    if accepts_gzip(request):
      # The bytes just kept, as the next reader gets them (answer()): not compressed a second time.
      response.body = entry.body
      response.content_encoding = "gzip"

  def claim_or_wait(key: str) -> tuple[Entry | None, bool]:
    """(the answer another process rendered, False), or (None, whether this process claimed the
    render). After RENDER_WAIT_SECONDS without an answer, the reader renders it anyway."""
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while True:
      try:
        claimed = cache.store.claim(key)
      except BackendError:
        return None, False
      try:
        # Its renderer may have stored it and let go since this reader looked.
        entry = cache.store.get(key)
      except BackendError:
        entry = None
      if entry is not None or claimed:
        if entry is not None and claimed:
          cache.store.release(key)
        return entry, claimed and entry is None
      if time.monotonic() >= deadline:
        return None, False
      time.sleep(CLAIM_POLL_SECONDS)

  def tween(request):
    if request.path_info == "/health" and not request.query_string and request.method in ("GET", "HEAD"):
      # The liveness probe: the process answers. It needs no session, transaction or validation, and
      # orchestrators and load balancers call it more than anything else.
      request.environ[ROUTE_ENVIRON_KEY] = "/health"
      return Response("OK", content_type="text/plain", charset="utf-8")
    if (
      cache is None
      or cache.max_age <= 0
      or request.method not in ("GET", "HEAD")
      or request.path_info.startswith(UNCACHED_PREFIXES)
      or request_connection.get() is not None  # a test's rolled-back transaction: see the docstring
      or not anonymous(request, cookie_name)
      or (limited and request.path_info.startswith("/api"))  # each read counts against the limit
    ):
      if request.method in READ_METHODS:
        response = handler(request)
      else:
        # A write: the renders of this process give way to it (prodmanager.priority).
        with urgent():
          response = handler(request)
      if request.path_info.startswith(("/static/", "/vendor/")):
        static_headers(request, response)
      gzip_response(request, response)
      return response
    environ = request.environ
    raw = "\0".join(
      (
        request.scheme,
        environ.get("HTTP_HOST", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        request.lang,  # the Accept-Language header or the language switcher's cookie
        # The footer's auto-reload toggle (a cookie) changes the page: one entry per state.
        "reload" if request.cookies.get(AUTO_RELOAD_COOKIE) == "on" else "",
      )
    )
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    try:
      version = cache.version.current()
      key = f"{version}:{digest}"
      entry = cache.store.get(key)
    except BackendError as error:
      log.warning("cache unavailable (%s): answering without it", error)
      response = handler(request)
      gzip_response(request, response)
      return response
    if entry is not None:
      return answer(request, key, entry)
    # One render per answer at a time in this process: right after a write every reader misses at
    # once, and N threads rendering the same page would each take N times longer. The others wait
    # for the first one's answer (and render themselves if it was not kept, or takes too long).
    with renders_lock:
      leader = key not in renders
      done = renders.setdefault(key, threading.Event())
    claimed = False
    if not leader:
      done.wait(RENDER_WAIT_SECONDS)
      try:
        entry = cache.store.get(key)
      except BackendError:
        entry = None
      if entry is not None:
        return answer(request, key, entry)
    else:
      # The same across the processes sharing the store: one of them renders, the others wait.
      entry, claimed = claim_or_wait(key)
      if entry is not None:
        with renders_lock:
          renders.pop(key, None)
        done.set()
        return answer(request, key, entry)
    # One render of a URL at a time, whatever the version: after a write during a slow render, the
    # next one starts when it ends (rather than beside it, halving the CPU each gets). It starts after
    # the newest write, so its answer is also kept under the version current when it starts.
    lock = url_lock(digest, taking=True)
    serialized = lock.acquire(timeout=RENDER_WAIT_SECONDS)
    reset = rendering.set(environ)
    found, fresh_claimed = key, False
    try:
      with render_slots, giving_way():
        entry = None
        if serialized:
          # The render this one waited for may have kept this very answer: it is kept under the
          # version current when a render starts too. If not, and a write came since this reader did,
          # the answer of the newest version is good for this reader too: this render claims it, so
          # that the readers of the other processes wait for it rather than render it themselves.
          # The claim is only tried, never waited for (two processes waiting for each other's claims
          # while each holds its URL's lock would both wait the whole RENDER_WAIT_SECONDS).
          try:
            entry = cache.store.get(key)
            if entry is None:
              fresh = cache.version.current()
              if fresh != version:
                found = f"{fresh}:{digest}"
                with renders_lock:
                  led_here = found in renders  # its reader here waits for this URL's lock
                fresh_claimed = not led_here and cache.store.claim(found)
                entry = cache.store.get(found)
                if entry is not None:
                  cache.store.set(key, entry)  # newer, good for the readers waiting for this key
          except BackendError:
            entry = None
        if entry is not None:
          response = answer(request, found, entry)
        elif (kept := carried_over(digest, snapshot := cache.tables.snapshot())) is not None:
          # The same answer under this version (and the newer one this render would be kept under).
          keep(kept, key, found if found != key else None, latest=False)
          response = answer(request, key, kept)
        else:
          # Read before the render's transaction begins (prodmanager.derived), and what the render
          # reads noted as it goes (READS_KEY).
          environ[SNAPSHOT_KEY] = snapshot
          environ[READS_KEY] = set()
          response = handler(request)
          if cacheable_response(request, response):
            store(request, response, key, version, found if found != key else None)
          gzip_response(request, response)
    finally:
      rendering.reset(reset)
      if serialized:
        lock.release()
      url_lock(digest, taking=False)
      if claimed:
        cache.store.release(key)
      if fresh_claimed:
        cache.store.release(found)
      if leader:
        with renders_lock:
          renders.pop(key, None)
        done.set()
    return response

  return tween


def includeme(config):
  """Create the application's cache and hand it to every session of the session factory."""
  state = app_state(config.registry)
  cache = make_cache(config.get_settings())
  state.cache = cache
  if cache.max_age > 0 and state.tokens is not None:
    # Token records checked lately are not read again until the token table is written.
    state.tokens.checked = CheckedTokens(cache.tokens)
  factory = state.db_session_factory
  factory.configure(info={**factory.kw.get("info", {}), SESSION_KEY: cache})
