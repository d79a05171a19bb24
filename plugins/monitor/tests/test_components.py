"""The components under the status banner: scopes with their services and their status colour."""


def groups_of(page):
  return {
    group.select_one("summary .component-name").get_text(): (
      group.select_one("summary .component-status").get_text(strip=True),
      {
        item.select_one(".component-name").get_text(): item.select_one(".component-status").get_text(
          strip=True
        )
        for item in group.select(".component")
      },
    )
    for group in page.html.select("details.component-group")
  }


def test_dashboard_lists_scopes_with_their_services(webapp, world):
  world.monitor("Paris compute", "ok", scope=world.paris, service=world.compute)
  world.monitor("Paris network 1", "alert", scope=world.paris, service=world.network)
  world.monitor("Paris network 2", "ok", scope=world.paris, service=world.network)
  world.monitor("Lyon compute", "warning", scope=world.lyon, service=world.compute)
  page = webapp.get("/")
  groups = groups_of(page)
  assert groups["Paris DC"] == ("Partial outage", {"Compute": "Operational", "Network": "Partial outage"})
  assert groups["Lyon DC"] == ("Degraded", {"Compute": "Degraded"})
  # Collapsible without JavaScript; the pair links to its monitors.
  paris = page.html.select("details.component-group")[[*groups].index("Paris DC")]
  assert (
    paris.select_one(".component a")["href"] == f"/monitor?scope={world.paris.id}&service={world.compute.id}"
  )
  # The panel comes right under the banner.
  main = page.html.select_one("main")
  assert [element.get("aria-labelledby") or "banner" for element in main.select(".banner, section.panel")][
    :2
  ] == [
    "banner",
    "panel-components",
  ]


def test_a_scope_without_monitors_says_so(webapp, world):
  world.monitor("Paris compute", "ok", scope=world.paris, service=world.compute)
  groups = groups_of(webapp.get("/"))
  assert groups["Lyon DC"] == ("No monitors", {})
  lyon = webapp.get(f"/scope/{world.lyon.id}")
  assert lyon.html.select_one(".banner")["class"] == ["banner", "banner-none"]
  assert "All systems operational" not in lyon.text


def test_scope_and_service_pages_list_the_other_axis(webapp, world):
  world.monitor("Paris compute", "ok", scope=world.paris, service=world.compute)
  world.monitor("Lyon compute", "alert", scope=world.lyon, service=world.compute)
  paris = webapp.get(f"/scope/{world.paris.id}")
  assert [item.get_text(" ", strip=True) for item in paris.html.select(".panel-components .component")] == [
    "Compute Operational"
  ]
  compute = webapp.get(f"/service/{world.compute.id}")
  assert [item.get_text(" ", strip=True) for item in compute.html.select(".panel-components .component")] == [
    "Lyon DC Outage",
    "Paris DC Operational",
  ]


def test_components_in_french(webapp, world):
  world.monitor("Paris compute", "warning", scope=world.paris, service=world.compute)
  page = webapp.get("/", headers={"Accept-Language": "fr"})
  assert page.html.select_one("#panel-components").get_text() == "Composants"
  assert groups_of(page)["Paris DC"][0] == "Dégradé"


def test_components_follow_every_change_of_what_they_show(webapp, world, dbsession, registry):
  # The pieces are kept by their content (prodmanager.fragments): a status, a name or a language
  # that changed is rendered anew, the other scopes' pieces are reused.
  from prodmanager.fragments import fragments

  paris = world.monitor("Paris compute", "ok", scope=world.paris, service=world.compute)
  world.monitor("Lyon compute", "ok", scope=world.lyon, service=world.compute)
  kept = fragments(registry)
  assert kept.enabled
  kept.clear()  # another test of this process may have rendered the same pieces
  assert groups_of(webapp.get("/"))["Paris DC"] == ("Operational", {"Compute": "Operational"})
  misses = kept.misses
  paris.status = type(paris.status)("alert")
  dbsession.flush()
  groups = groups_of(webapp.get("/"))
  assert groups["Paris DC"] == ("Outage", {"Compute": "Outage"})
  assert groups["Lyon DC"] == ("Operational", {"Compute": "Operational"})
  assert kept.misses == misses + 1  # Paris only: Lyon's piece was the same
  world.compute.name = "Compute nodes"
  dbsession.flush()
  assert groups_of(webapp.get("/"))["Lyon DC"] == ("Operational", {"Compute nodes": "Operational"})
  scope_page = webapp.get(f"/scope/{world.paris.id}")
  assert [
    item.get_text(" ", strip=True) for item in scope_page.html.select(".panel-components .component")
  ] == ["Compute nodes Outage"]
  assert groups_of(webapp.get("/", headers={"Accept-Language": "fr"}))["Paris DC"][0] == "En panne"
  assert groups_of(webapp.get("/"))["Paris DC"][0] == "Outage"


def test_a_dashboard_of_many_components_lists_only_those_not_operational(
  webapp, world, registry, monkeypatch
):
  # Beyond PM_MONITOR_DASHBOARD_SERVICES_MAX components in all, each scope says how many services it
  # has and lists those a reader looks for; its page lists them all.
  world.monitor("Paris compute", "ok", scope=world.paris, service=world.compute)
  world.monitor("Paris network", "alert", scope=world.paris, service=world.network)
  world.monitor("Lyon compute", "ok", scope=world.lyon, service=world.compute)
  full = webapp.get("/")
  assert "not operational" not in full.text
  assert groups_of(full)["Lyon DC"] == ("Operational", {"Compute": "Operational"})
  monkeypatch.setitem(registry.settings, "prodmanager.monitor.dashboard_services_max", 2)
  page = webapp.get("/")
  assert "Each scope lists its services that are not operational" in page.text
  groups = groups_of(page)
  assert groups["Paris DC"] == ("Outage", {"Network": "Outage"})
  assert groups["Lyon DC"] == ("Operational", {})
  counts = {
    group.select_one("summary .component-name").get_text(): group.select_one(".component-count").get_text()
    for group in page.html.select("details.component-group")
  }
  assert counts == {"Lyon DC": "1 service", "Paris DC": "2 services"}
  lyon = page.html.select("details.component-group")[[*groups].index("Lyon DC")]
  assert "No service affected" in lyon.get_text()
  assert lyon.select_one(".component-link a")["href"] == f"/scope/{world.lyon.id}"
  # A scope's page still lists all its services.
  paris = webapp.get(f"/scope/{world.paris.id}")
  assert [item.get_text(" ", strip=True) for item in paris.html.select(".panel-components .component")] == [
    "Compute Operational",
    "Network Outage",
  ]


def test_the_dashboard_limit_is_a_number_of_components(build_app):
  import pytest

  from prodmanager.settings import ConfigurationError

  with pytest.raises(ConfigurationError, match="PM_MONITOR_DASHBOARD_SERVICES_MAX|dashboard_services_max"):
    build_app(**{"prodmanager.monitor.dashboard_services_max": "-1"})
  with pytest.raises(ConfigurationError, match="dashboard_services_max"):
    build_app(**{"prodmanager.monitor.dashboard_services_max": "many"})
