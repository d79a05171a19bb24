"""Code and docstrings cite the project's own docs (``docs/<page>.md#<section>``), which exist.

The specification the code was written from is not in the repository: a reader of the code (or of
a plugin) must find the rule it implements in docs/, the pages users and plugin authors read.
"""

import re
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SOURCES = [
  path
  for folder in ("prodmanager", "plugins", "tests")
  for path in sorted((REPOSITORY / folder).rglob("*"))
  if path.suffix in (".py", ".jinja2", ".yaml") and ".egg-info" not in str(path) and path.is_file()
]
# The specification's files, or its numbered sections ("§5.4"), which only it has.
SPEC_FILE = re.compile(r"\b(product|architecture|quality)\.md\b|§\s*\d")
CITATION = re.compile(r"docs/([a-z0-9-]+\.md)(?:#([a-z0-9-]+))?")


def anchors(page: Path) -> set[str]:
  """The section ids mkdocs gives the headings of a page (lowercase words joined by dashes)."""
  ids = set()
  for line in page.read_text(encoding="utf-8").splitlines():
    if line.startswith("#") and not line.startswith("#!"):
      title = re.sub(r"[^\w\s-]", "", line.lstrip("#").strip().lower())
      ids.add(re.sub(r"[\s]+", "-", title.strip()))
  return ids


def test_no_source_cites_a_specification_file():
  citing = [
    str(path.relative_to(REPOSITORY))
    for path in SOURCES
    if path.name != Path(__file__).name and SPEC_FILE.search(path.read_text(encoding="utf-8"))
  ]
  assert citing == []


def test_every_cited_docs_section_exists():
  broken = []
  for path in SOURCES:
    for page, anchor in CITATION.findall(path.read_text(encoding="utf-8")):
      target = REPOSITORY / "docs" / page
      if not target.is_file() or (anchor and anchor not in anchors(target)):
        broken.append(f"{path.relative_to(REPOSITORY)}: docs/{page}{'#' + anchor if anchor else ''}")
  assert broken == []
  assert any(CITATION.search(path.read_text(encoding="utf-8")) for path in SOURCES)
