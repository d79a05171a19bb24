"""The page block follows PM_SITE_NAME and PM_PUBLIC_URL, never a forged Host header."""

from prodmanager_statuspage.payload import page_id


def site_client(build_app, connection, **overrides):
  client = build_app(**overrides)
  client.extra_environ["HTTP_HOST"] = "attacker.example"
  return client


def test_page_block_of_a_named_site_behind_its_public_url(build_app, connection, world):
  incident = world.incident(service=world.network, created=True)
  client = site_client(
    build_app, connection, site_name="Acme Status", public_url="https://status.example.com"
  )
  summary = client.get("/api/v2/summary.json").json
  assert summary["page"]["id"] == "acme-status"
  assert summary["page"]["name"] == "Acme Status"
  assert summary["page"]["url"] == "https://status.example.com"
  (listed,) = summary["incidents"]
  assert listed["shortlink"] == f"https://status.example.com/incident/{incident.id}"
  assert listed["page_id"] == "acme-status"
  assert "attacker.example" not in client.get("/api/v2/incidents.json").text


def test_page_block_without_identity_settings_follows_the_request(build_app, connection):
  page = site_client(build_app, connection).get("/api/v2/status.json").json["page"]
  assert (page["id"], page["name"], page["url"]) == ("prodmanager", "ProdManager", "http://attacker.example")


def test_page_id_of_names_without_ascii_letters_is_stable_and_distinct():
  assert page_id("État — Production 2") == "tat-production-2"
  assert page_id("運用状況") == page_id("運用状況") != page_id("稼働状況")
  assert page_id("運用状況").startswith("site-")
  assert page_id("") == "prodmanager"
