"""The core's modules import each other without cycles, at the top of the module.

A function-local import of the core by the core hides a dependency (or a cycle) from the reader;
it is kept only where a comment on the line, or just above it, says why.
"""

import ast
from pathlib import Path

import prodmanager

ROOT = Path(prodmanager.__file__).parent
# A pytest plugin (the ``pytest11`` entry point): every pytest run of the environment imports it at
# startup, so it imports the application only when a fixture asks for it.
LAZY_BY_DESIGN = {"prodmanager.testing"}


def module_name(path: Path) -> str:
  parts = ["prodmanager", *path.relative_to(ROOT).with_suffix("").parts]
  return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def imported_modules(module: str, node) -> list[str]:
  """The core modules an import statement of ``module`` loads (ignoring implicit parent packages)."""
  if isinstance(node, ast.Import):
    return [alias.name for alias in node.names if alias.name in MODULES]
  if node.level:
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
      package = package.rpartition(".")[0]
    base = f"{package}.{node.module}" if node.module else package
  else:
    base = node.module or ""
  if base not in MODULES:
    return []
  targets = (f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names)
  return list(dict.fromkeys(targets))


def imports_of(module: str):
  """``(lineno, targets, local)`` for every import of the core in ``module``."""
  tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
  local = set()
  for function in ast.walk(tree):
    if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
      local.update(id(node) for node in ast.walk(function))
  for node in ast.walk(tree):
    if isinstance(node, ast.Import | ast.ImportFrom):
      targets = imported_modules(module, node)
      if targets:
        yield node.lineno, targets, id(node) in local


def explained(lines: list[str], lineno: int) -> bool:
  """A comment on the import's line, or on the lines just above it (past the imports of its block)."""
  if "#" in lines[lineno - 1]:
    return True
  index = lineno - 2
  while index >= 0 and lines[index].strip().startswith(("from ", "import ")):
    index -= 1
  return index >= 0 and lines[index].strip().startswith("#")


def test_the_core_imports_the_core_at_the_top_of_its_modules():
  unexplained = []
  for module, path in MODULES.items():
    if module in LAZY_BY_DESIGN:
      continue
    lines = path.read_text(encoding="utf-8").splitlines()
    for lineno, targets, local in imports_of(module):
      if local and not explained(lines, lineno):
        unexplained.append(f"{path.relative_to(ROOT.parent)}:{lineno} imports {', '.join(targets)}")
  assert unexplained == [], "function-local imports of the core without a comment saying why"


def test_the_core_has_no_import_cycle():
  graph = {module: set() for module in MODULES}
  for module in MODULES:
    for _lineno, targets, _local in imports_of(module):
      graph[module].update(target for target in targets if target != module)
  cycles, stack, state = [], [], {}

  def visit(module):
    state[module] = "open"
    stack.append(module)
    for target in sorted(graph[module]):
      if state.get(target) == "open":
        cycles.append(" -> ".join(stack[stack.index(target) :] + [target]))
      elif target not in state:
        visit(target)
    stack.pop()
    state[module] = "done"

  for module in sorted(graph):
    if module not in state:
      visit(module)
  assert cycles == []


def test_a_local_import_needs_a_comment_on_or_just_above_it():
  lines = [
    "def f():",
    "  from .tokens import check_record",
    "  # why",
    "  from .db import Base",
    "  from .x import y",
  ]
  assert not explained(lines, 2)
  assert explained(lines, 4)
  assert explained(lines, 5)  # same block of imports as the commented one
