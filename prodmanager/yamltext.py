"""YAML read and written with libyaml's C classes when PyYAML has them: the API document's fragments
and the translations are read, and the composed document written, each time an application is built
(every server process, CLI command and test application).

A file read is kept per process by its path, size and modification time, as JSON text: the next
application built reads it back with the C JSON decoder (YAML's constructors are Python, and each
reader gets data of its own to change)."""

import json
import threading
from pathlib import Path

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

_read: dict[tuple, str] = {}
_lock = threading.Lock()


def load(stream):
  """``yaml.safe_load``: plain data only (no tags that build Python objects)."""
  return yaml.load(stream, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def load_file(path: Path):
  """The data of a YAML file (a new copy at each call)."""
  status = path.stat()
  key = (str(path), status.st_size, status.st_mtime_ns)
  with _lock:
    text = _read.get(key)
  if text is not None:
    return json.loads(text)
  with path.open(encoding="utf-8") as stream:
    data = load(stream)
  try:
    text = json.dumps(data)
  except (TypeError, ValueError):
    return data  # a date or another value JSON has no word for: read each time
  with _lock:
    _read[key] = text
  return data


def dump(data) -> str:
  """``yaml.safe_dump`` in the document's order, non-ASCII text as it is."""
  return yaml.dump(data, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True)
