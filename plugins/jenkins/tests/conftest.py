"""The fake Jenkins (jenkins_fake) as fixtures, and the application with the jenkins plugin
enabled and pointed at it."""

import copy
import ssl

import pytest
import trustme
from jenkins_fake import JOBS, jenkins_settings, serve, stop

from prodmanager.state import app_state
from prodmanager.testing import make_app, make_client


@pytest.fixture(scope="session")
def jenkins_session_server():
  server, thread = serve()
  yield server
  stop(server, thread)


@pytest.fixture
def jenkins_server(jenkins_session_server):
  """The fake Jenkins over HTTP at ``jenkins_server.url``, its jobs as :data:`JOBS` for each test."""
  jenkins_session_server.jobs = copy.deepcopy(JOBS)
  return jenkins_session_server


@pytest.fixture(scope="session")
def certificate_authority():
  return trustme.CA()


@pytest.fixture(scope="session")
def tls_jenkins_session_server(certificate_authority):
  context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
  certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
  server, thread = serve(context, "https")
  yield server
  stop(server, thread)


@pytest.fixture
def tls_jenkins_server(tls_jenkins_session_server):
  """The fake Jenkins over HTTPS, with a certificate of a CA that nobody trusts (trustme), its jobs
  as :data:`JOBS` for each test."""
  tls_jenkins_session_server.jobs = copy.deepcopy(JOBS)
  return tls_jenkins_session_server


@pytest.fixture(scope="module")
def jenkins_app(app_settings, enabled_plugins, jenkins_session_server):
  """The test application with the jenkins plugin enabled too, pointed at the fake Jenkins."""
  plugins = sorted({*enabled_plugins, "jenkins"})
  app = make_app(plugins, {**app_settings, **jenkins_settings(jenkins_session_server.url)})
  yield app
  app_state(app.registry).db_engine.dispose()


@pytest.fixture
def jenkins_registry(jenkins_app, connection):
  """The registry of :func:`jenkins_app`; its sessions work on the test's connection."""
  return jenkins_app.registry


@pytest.fixture
def jenkins_client(jenkins_app, connection):
  return make_client(jenkins_app)


@pytest.fixture
def other_jenkins_app(app_settings, enabled_plugins):
  """``other_jenkins_app(settings, environ)``: one more application with the jenkins plugin, on
  the test's database (and connection), disposed of at the end."""
  apps = []

  def build(settings=None, environ=None):
    app = make_app(sorted({*enabled_plugins, "jenkins"}), {**app_settings, **(settings or {})}, environ)
    apps.append(app)
    return app

  yield build
  for app in apps:
    app_state(app.registry).db_engine.dispose()
