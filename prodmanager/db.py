"""Database: the single declarative base, portable column types, engine and per-request session.

Plugins declare their models on :class:`Base`; they never create an engine. Sessions are joined
to the request's transaction manager (pyramid_tm + zope.sqlalchemy), so application code never
commits: the transaction commits when the view returns without error.
"""

import datetime as dt
import enum
from contextvars import ContextVar

import zope.sqlalchemy
from pyramid.events import NewRequest
from sqlalchemy import DateTime, Enum, MetaData, String, case, create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .priority import give_way
from .state import app_state

NAMING_CONVENTION = {
  "ix": "ix_%(column_0_label)s",
  "uq": "uq_%(table_name)s_%(column_0_name)s",
  "ck": "ck_%(table_name)s_%(constraint_name)s",
  "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
  "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
  """Declarative base shared by the core and every plugin (one metadata, one naming convention)."""

  metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
  return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
  """A timezone-aware UTC timestamp on every backend.

  SQLite has no time zone support, so values are stored as naive UTC there and given their time
  zone back when loaded; comparisons stay correct because every stored value is UTC.
  """

  impl = DateTime(timezone=True)
  cache_ok = True

  def process_bind_param(self, value, dialect):
    if value is None:
      return None
    if value.tzinfo is None:
      raise ValueError("naive datetimes are refused: give a timezone-aware value")
    value = value.astimezone(dt.UTC)
    if dialect.name == "sqlite":
      return value.replace(tzinfo=None)
    return value

  def process_result_value(self, value, dialect):
    if value is None:
      return None
    if value.tzinfo is None:
      return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def enum_column(enum_class: type[enum.Enum]) -> Enum:
  """Store an enum as its lower-case value in a plain string column (no native database enum)."""
  return Enum(
    enum_class,
    native_enum=False,
    create_constraint=False,
    length=max(len(member.value) for member in enum_class) + 4,
    values_callable=lambda members: [member.value for member in members],
    validate_strings=True,
  )


def enum_rank(column, enum_class: type[enum.Enum]):
  """SQL expression of an enum column's declaration rank (0, 1, ...), to order by the enum's order.

  Enums are stored as their string values (:func:`enum_column`), whose alphabetical order means
  nothing; ``ORDER BY enum_rank(Incident.status, IncidentStatus)`` follows the declaration order
  (active < investigating < stable < resolved) on every backend, with the enum as the only source
  of truth. The CASE is evaluated on the rows already selected by the indexed filters and keys.
  """
  key = (column, enum_class)
  expression = _ENUM_RANKS.get(key)
  if expression is None:
    # Built once per column: the CASE of a status is 4 comparisons and their bound values, and the
    # lists and panels of one page asked for it some 40 times (a tenth of a render's statement building).
    cases = [(column == member, rank) for rank, member in enumerate(enum_class)]
    expression = case(*cases, else_=len(enum_class))
    if len(_ENUM_RANKS) < 256:  # the columns of the models; an alias made per request is not kept
      _ENUM_RANKS[key] = expression
  return expression


_ENUM_RANKS: dict = {}


def capped_count(statement, key, cap: int):
  """A statement counting the rows of ``statement`` (a select, its order dropped) up to ``cap + 1``:
  a result above ``cap`` means "more than ``cap``". The rows are taken in ``key`` order (the primary
  key), so that the count reads an index and stops after ``cap + 1`` rows instead of reading the
  whole table (docs/performance.md#query-plans)."""
  rows = statement.with_only_columns(key).order_by(None).order_by(key).limit(cap + 1).subquery()
  return select(func.count()).select_from(rows)


def name_column() -> String:
  return String(255)


def engine_url(uri: str):
  """Map ``postgresql://`` to the psycopg2 driver we ship (SQLAlchemy 2.1 would pick psycopg 3)."""
  url = make_url(uri)
  if url.drivername in ("postgresql", "postgres"):
    url = url.set(drivername="postgresql+psycopg2")
  return url


SQLITE_CACHE_KIB = 512


def _sqlite_pragmas(dbapi_connection, _record):
  # pysqlite's own transaction handling ignores SAVEPOINTs; SQLAlchemy emits BEGIN itself instead
  # (see _sqlite_begin), which makes nested transactions and test rollbacks work.
  dbapi_connection.isolation_level = None
  cursor = dbapi_connection.cursor()
  # WAL lets readers go on while a writer commits; foreign keys are off by default in SQLite.
  cursor.execute("PRAGMA journal_mode=WAL")
  cursor.execute("PRAGMA foreign_keys=ON")
  cursor.execute("PRAGMA busy_timeout=5000")
  # Each connection's page cache (2 MB by default) holds little a later render needs: the operating
  # system caches the file anyway. A serve worker has a connection per thread (docs/performance.md).
  cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
  cursor.close()


# Whether the current thread's transaction is going to write. SQLite allows one writer: a deferred
# transaction that has read and then writes fails at once ("database is locked") when another
# connection committed in between, whatever the busy timeout. Write requests therefore take the
# write lock when they begin (BEGIN IMMEDIATE, which waits up to the busy timeout); reads stay
# deferred so that they never wait for each other.
sqlite_writes: ContextVar[bool] = ContextVar("sqlite_writes", default=False)


def _sqlite_begin(connection):
  connection.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_writes.get() else "BEGIN")


def get_engine(uri: str, **kwargs) -> Engine:
  """Create the engine for a database URL, with SQLite pragmas or PostgreSQL pool checks."""
  url = engine_url(uri)
  if url.get_backend_name() == "sqlite":
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
  else:
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
  # Each statement is a checkpoint where a page render gives way to a write (prodmanager.priority).
  event.listen(engine, "before_cursor_execute", _give_way)
  return engine


def _give_way(_connection, _cursor, _statement, _parameters, _context, _executemany):
  give_way()


# The connection the sessions of the application work on instead of the engine, while a request runs
# (None: the engine). Only an in-process caller sets it: the tests hand each request the connection of
# their rolled-back transaction (prodmanager.testing.make_client). It covers request.dbsession and the
# sessions the application opens itself during a request (the token record check, for example).
request_connection: ContextVar = ContextVar("request_connection", default=None)


class AppSession(Session):
  """A session that works on :data:`request_connection` when one was handed over."""

  def get_bind(self, mapper=None, **kwargs):
    connection = request_connection.get()
    return connection if connection is not None else super().get_bind(mapper, **kwargs)


# session.info: the rows a transaction read or made that it will use again (keep_row).
KEPT_ROWS = "prodmanager.kept_rows"


def keep_row(session: Session, row) -> None:
  """Keep ``row`` in ``session``'s identity map until its transaction ends.

  SQLAlchemy's identity map holds unchanged rows weakly: a row a write checked (the scope an
  incident names) or made (the incident, once flushed) was forgotten as soon as nothing referred to
  it, and read again by id by what came next in the same transaction (the notification's snapshot).
  """
  if row is not None:
    session.info.setdefault(KEPT_ROWS, []).append(row)


@event.listens_for(Session, "after_transaction_end")
def forget_kept_rows(session: Session, transaction) -> None:
  # Only at the end of the outermost transaction: a savepoint's end keeps them.
  if transaction.parent is None:
    session.info.pop(KEPT_ROWS, None)


def get_tm_session(session_factory: sessionmaker, transaction_manager, request=None) -> Session:
  """A session bound to a transaction manager: it commits or aborts with the transaction."""
  session = session_factory(info={"request": request})
  zope.sqlalchemy.register(session, transaction_manager=transaction_manager)
  return session


def includeme(config):
  """Create the engine and the ``request.dbsession`` request property."""
  settings = config.get_settings()
  settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
  config.include("pyramid_tm")
  engine = settings.get("prodmanager.engine") or get_engine(settings["prodmanager.database_uri"])
  # Tests hand each request a connection inside an outer transaction that they roll back afterwards
  # (request_connection); with "create_savepoint", the application's commits only release
  # savepoints there. On an engine, the mode changes nothing.
  session_factory = sessionmaker(
    bind=engine, class_=AppSession, expire_on_commit=False, join_transaction_mode="create_savepoint"
  )
  app_state(config.registry).db_engine = engine
  app_state(config.registry).db_session_factory = session_factory

  def dbsession(request):
    return get_tm_session(session_factory, request.tm, request)

  def mark_writes(event):
    sqlite_writes.set(event.request.method not in ("GET", "HEAD", "OPTIONS"))
    # Back to deferred once the request is done: work outside requests (CLI, demo data, tests) on
    # this thread must not inherit it.
    event.request.add_finished_callback(lambda request: sqlite_writes.set(False))

  config.add_request_method(dbsession, reify=True)
  config.add_subscriber(mark_writes, NewRequest)
