"""Test data of the example plugin: ``make.runbook(...)`` (``prodmanager.testing`` collects the
factories of the enabled plugins' ``testing`` modules)."""

from prodmanager.testing import factory

from .models import Runbook


@factory
def runbook(make, name="Runbook", service=None, **values) -> Runbook:
  """A runbook added directly, for the test's first service unless given."""
  values.setdefault("description", "")
  return make.add(Runbook, name=name, service_id=(service or make.default("service")).id, **values)
