"""A ProdManager 0.22 database recognised from its alembic revisions, and what to tell about it."""

from ..settings import ConfigurationError
from . import schema

DOC = "docs/upgrading.md, section 'Their data'"
COMMAND = "prodmanager migrate --upgrade-0.22"


class LegacyDatabase(ConfigurationError):
  """A 0.22 database where ours was expected (the message says how to upgrade it)."""


def legacy_revisions(revisions) -> list[str]:
  """The revisions of 0.22's chain among ``revisions`` (those of ``alembic_version``)."""
  return sorted(revision for revision in revisions if revision in schema.REVISIONS)


def explain(revisions) -> str:
  """Why ``migrate`` stops on a 0.22 database, and what to run."""
  found = legacy_revisions(revisions)
  versions = ", ".join(f"{revision} ({schema.REVISIONS[revision]})" for revision in found)
  if schema.HEAD not in found:
    return (
      f"this is a ProdManager 0.x database at the revision {versions}, older than 0.22's "
      f"({schema.HEAD}): upgrade it with ProdManager 0.22 first (`flask db upgrade`), then run `{COMMAND}`. "
      f"See {DOC}."
    )
  return (
    f"this is a ProdManager 0.22 database (alembic revision {versions}). Upgrade it in place with "
    f"`{COMMAND}` (SQLite: a backup copy of the file is written first; PostgreSQL: one transaction, "
    f"all or nothing; `serve` does it by itself in standalone mode), or import it into another database "
    f"with `prodmanager import --from URL`. See {DOC}."
  )


def check_source(revisions) -> None:
  found = legacy_revisions(revisions)
  if schema.HEAD in found:
    return
  if found:
    raise LegacyDatabase(explain(revisions))
  raise ConfigurationError(
    f"not a ProdManager 0.22 database: its alembic revisions are {', '.join(sorted(revisions)) or 'none'} "
    f"(0.22's is {schema.HEAD}). See {DOC}."
  )
