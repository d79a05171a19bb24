"""Locks shared by the replicas, so that N workers run each job and integration once.

``try_lock(registry, name, ttl)`` is a context manager yielding whether this process holds the lock
``name``; it never waits (a lock held elsewhere means another replica is doing the work). The
backend follows the deployment:

* **Redis** when ``PM_REDIS_URI`` is set: ``SET key token NX PX ttl``, released only by its holder
  (a compare-and-delete script); ``ttl`` bounds how long a crashed holder blocks the others.
* **PostgreSQL** otherwise: a session advisory lock (``pg_try_advisory_lock``) on a connection of
  its own, released by ``pg_advisory_unlock`` or when that connection closes (a crashed holder
  releases it at once).
* **SQLite**: an exclusive ``flock`` on a file next to the database, released when closed (and by
  the kernel when the process dies).

When Redis is configured but unreachable, the database's lock is used instead: the work is not
blocked by a cache outage.
"""

import fcntl
import hashlib
import logging
import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

from .state import app_state

log = logging.getLogger(__name__)

KEY_PREFIX = "prodmanager:lock:"
# Releases the key only if it still holds this holder's token (it may have expired and been taken).
RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
SAFE = re.compile(r"[^A-Za-z0-9_.-]")
# In-memory SQLite databases live in one process: a process-wide lock per name is enough there.
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


def advisory_key(name: str) -> int:
  """A stable signed 64-bit key for ``pg_try_advisory_lock`` (the same in every replica)."""
  digest = hashlib.sha256(f"prodmanager:{name}".encode()).digest()
  return int.from_bytes(digest[:8], "big", signed=True)


def lock_backend(registry) -> str:
  """``redis``, ``postgresql`` or ``sqlite``: what :func:`try_lock` uses first."""
  if registry.settings.get("prodmanager.redis_uri"):
    return "redis"
  return app_state(registry).db_engine.dialect.name


@contextmanager
def try_lock(registry, name: str, ttl: float) -> Iterator[bool]:
  """Hold the lock ``name`` for the block if no one else holds it; yields whether it is held."""
  uri = registry.settings.get("prodmanager.redis_uri")
  if uri:
    # Imported here: redis (with asyncio and cryptography) is 17 MB of a web process that has no Redis.
    import redis

    try:
      client = redis.Redis.from_url(uri, socket_timeout=5, socket_connect_timeout=5)
      token = uuid.uuid4().hex
      acquired = bool(client.set(KEY_PREFIX + name, token, nx=True, px=max(1000, int(ttl * 1000))))
    except redis.RedisError as error:
      log.warning("lock %s: Redis unreachable (%s); using the database's lock instead", name, error)
    else:
      try:
        yield acquired
      finally:
        if acquired:
          try:
            client.eval(RELEASE_SCRIPT, 1, KEY_PREFIX + name, token)
          except redis.RedisError as error:
            log.warning("lock %s: could not release it in Redis (%s); it expires in %d s", name, error, ttl)
        client.close()
      return
  with database_lock(registry, name) as acquired:
    yield acquired


@contextmanager
def database_lock(registry, name: str) -> Iterator[bool]:
  """The database's own lock: an advisory lock on PostgreSQL, a file lock on SQLite."""
  engine = app_state(registry).db_engine
  if engine.dialect.name == "postgresql":
    with postgresql_lock(engine, name) as acquired:
      yield acquired
  elif engine.dialect.name == "sqlite":
    with sqlite_lock(engine, name) as acquired:
      yield acquired
  else:
    raise RuntimeError(f"no lock for the {engine.dialect.name} database; configure PM_REDIS_URI")


@contextmanager
def postgresql_lock(engine, name: str) -> Iterator[bool]:
  key = advisory_key(name)
  # Autocommit: the lock belongs to the connection's session, and no transaction stays open meanwhile.
  with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
    acquired = bool(connection.scalar(select(func.pg_try_advisory_lock(key))))
    try:
      yield acquired
    finally:
      if acquired:
        connection.scalar(select(func.pg_advisory_unlock(key)))


@contextmanager
def sqlite_lock(engine, name: str) -> Iterator[bool]:
  database = engine.url.database
  if not database or database == ":memory:":
    with _memory_lock(name) as acquired:
      yield acquired
    return
  folder = Path(database).resolve().parent / ".prodmanager-locks"
  folder.mkdir(exist_ok=True)
  path = folder / f"{SAFE.sub('_', name)}.lock"
  descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
  try:
    try:
      fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      yield False
      return
    try:
      yield True
    finally:
      fcntl.flock(descriptor, fcntl.LOCK_UN)
  finally:
    os.close(descriptor)


@contextmanager
def _memory_lock(name: str) -> Iterator[bool]:
  with _memory_guard:
    lock = _memory_locks.setdefault(name, threading.Lock())
  acquired = lock.acquire(blocking=False)
  try:
    yield acquired
  finally:
    if acquired:
      lock.release()
