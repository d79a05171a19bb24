"""Demo scopes: three datacenters in each of three regions."""

from prodmanager.groups import demo_group_loader

from .models import Scope

REGIONS = ("France", "West-US", "Japan")
SCOPES = [
  (f"{region} DC0{zone}", f"{region} datacenter - zone 0{zone}") for region in REGIONS for zone in (1, 2, 3)
]

load = demo_group_loader(Scope, SCOPES)
