"""YAML read and written with libyaml's C classes when PyYAML has them (ten times faster than the
pure-Python ones): the API document's fragments and translations are read, and the composed document
written, each time an application is built (every server process, CLI command and test app)."""

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load(stream):
  """``yaml.safe_load``: plain data only (no tags that build Python objects)."""
  return yaml.load(stream, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def dump(data) -> str:
  """``yaml.safe_dump`` in the document's order, non-ASCII text as it is."""
  return yaml.dump(data, Dumper=SAFE_DUMPER, sort_keys=False, allow_unicode=True)
