"""The service plugin's pages next to the scope plugin's: badges linking to the filtered monitor
list, and both axes in the navigation."""


def test_service_badges_link_to_the_filtered_monitor_list(webapp, api):
  compute, network = api("service", name="Compute"), api("service", name="Network")
  paris = api("scope", name="Paris")
  api("monitor", name="CPU load", scope=paris["id"], service=compute["id"], status="alert")
  api("monitor", name="Router", scope=paris["id"], service=network["id"], status="alert")
  page = webapp.get("/service")
  link = page.html.select_one(f'a[href="/monitor?service={compute["id"]}&status=alert"]')
  assert link.get_text(" ", strip=True) == "Alert 1"
  listed = webapp.get(link["href"]).html.select("tbody tr td:first-child")
  assert [cell.get_text(strip=True) for cell in listed] == ["CPU load"]


def test_both_axes_are_in_the_navigation_in_order(webapp):
  links = [link["href"] for link in webapp.get("/").html.select("nav.site-nav a")]
  assert [href for href in links if href in ("/scope", "/service", "/monitor")] == [
    "/scope",
    "/service",
    "/monitor",
  ]
