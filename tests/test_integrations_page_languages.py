"""/integrations in French: the first-party integrations' descriptions come from their plugins'
catalogues (they were English on the French page); an integration without one keeps the
description given to ``add_integration``."""

import pytest

from prodmanager.state import app_state
from prodmanager.testing import TEST_SECRET, make_app, make_client

FIRST_PARTY = ("datadog", "dns", "http", "jenkins")


@pytest.fixture(scope="module")
def integrations_app(app_settings, enabled_plugins):
  app = make_app(sorted({*enabled_plugins, *FIRST_PARTY}), app_settings)
  yield app
  app_state(app.registry).db_engine.dispose()


@pytest.fixture
def client(integrations_app, connection):
  client = make_client(integrations_app)
  form = client.get("/login").forms["login-form"]
  form["secret"] = TEST_SECRET
  form.submit(status=303)
  return client


def descriptions(client, lang: str) -> dict[str, str]:
  page = client.get("/integrations", headers={"Accept-Language": lang})
  rows = page.html.select("table.integrations-table")[0].select("tbody th")
  return {
    row.contents[0].strip(): row.select_one(".integration-description").get_text(strip=True) for row in rows
  }


def test_the_descriptions_follow_the_page_language(client):
  english, french = descriptions(client, "en"), descriptions(client, "fr")
  assert set(english) == set(french) >= set(FIRST_PARTY)
  assert english["http"].startswith("GET of each monitor's external link")
  assert french["http"].startswith("GET du lien externe de chaque moniteur")
  assert french["dns"].startswith("Recherche A/AAAA")
  assert french["jenkins"].startswith("dernier build terminé")
  assert french["datadog"].startswith("état global du moniteur Datadog")
  for name in FIRST_PARTY:
    assert french[name] != english[name]


def test_an_integration_without_translation_keeps_its_description(client, integrations_app):
  from prodmanager.views.integrations import description

  class Untranslated:
    name = "statuscake"
    description = "uptime of each StatusCake test"

  request = type("Request", (), {"registry": integrations_app.registry, "_": None})()
  assert description(request, Untranslated()) == "uptime of each StatusCake test"
