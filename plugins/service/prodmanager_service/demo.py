"""Demo services: a cloud provider's catalogue."""

from prodmanager.groups import demo_group_loader

from .models import Service

CATALOGUE = (
  ("Databases", "PaaS"),
  ("Compute", "IaaS"),
  ("Object Storage", "PaaS"),
  ("Block Storage", "IaaS"),
  ("Kubernetes", "PaaS"),
  ("Serverless Container", "PaaS"),
  ("Serverless Function", "PaaS"),
  ("Load Balancer", "PaaS"),
)
SERVICES = [(name, f"{name} {kind} services") for name, kind in CATALOGUE]

load = demo_group_loader(Service, SERVICES)
