"""The application's registered state is one typed object (prodmanager.state), never loose string
keys of the Pyramid registry."""

import pytest

from prodmanager.security import derive_key
from prodmanager.state import KEY, AppState, app_state
from prodmanager.testing import TEST_SECRET

# What the registry holds does not depend on the database.
pytestmark = pytest.mark.one_backend


def test_the_registry_holds_one_key_of_ours(registry):
  assert list(registry) == [KEY]
  assert isinstance(app_state(registry), AppState)


def test_the_login_session_key_is_typed_state_derived_from_the_secret(registry):
  key = app_state(registry).session_record_key
  assert key == derive_key(TEST_SECRET, "login-session")
  assert isinstance(key, bytes) and key != derive_key(TEST_SECRET, "session")


def test_an_attribute_nobody_set_is_an_attribute_error():
  with pytest.raises(AttributeError):
    _ = AppState().session_record_key
