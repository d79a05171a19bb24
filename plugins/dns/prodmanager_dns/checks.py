"""The dns integration's check: A and AAAA lookups of a monitor's ``external_reference``.

A CNAME is followed: the nameserver usually sends the chain with the addresses; when it sends only
the alias, the runner asks again for its target, at most ``MAX_CNAME_HOPS`` times (a longer chain
or a loop is an alert). An address is ``ok``; no address (NXDOMAIN, no A/AAAA record, a chain
that ends nowhere), an unreachable or failing nameserver, or a timeout is ``alert``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from prodmanager.integrations import Verdict

if TYPE_CHECKING:
  import dns.name
  import dns.resolver

SETTINGS = ("prodmanager.dns.nameservers", "prodmanager.dns.port", "prodmanager.dns.timeout")
MAX_CNAME_HOPS = 8
# Record types by name: dnspython (13 MB) is imported by the process that runs checks (make_resolver),
# not by every web process.
ADDRESS_TYPES = ("A", "AAAA")
# One label of a host name, IDNA-encoded (an internationalised name arrives as xn--...).
HOST_LABEL = re.compile(rb"^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$")


def parse_nameservers(value: str) -> list[str]:
  servers = [part.strip() for part in value.split(",") if part.strip()]
  for server in servers:
    try:
      ipaddress.ip_address(server)
    except ValueError:
      raise ValueError(
        f"expected IP addresses separated by commas ({server!r} is not one), or nothing"
      ) from None
  return servers


def parse_port(value: str) -> int:
  try:
    port = int(value)
  except ValueError:
    raise ValueError("expected a port number") from None
  if not 1 <= port <= 65535:
    raise ValueError("expected a port number between 1 and 65535")
  return port


def parse_timeout(value: str) -> float:
  try:
    seconds = float(value)
  except ValueError:
    raise ValueError("expected a number of seconds") from None
  if not 0 < seconds <= 60:
    raise ValueError("expected a number of seconds between 0 and 60")
  return seconds


def declare_settings(config) -> None:
  config.add_setting(
    "prodmanager.dns.nameservers",
    env="DNS_NAMESERVERS",
    type=parse_nameservers,
    default="",
    description="nameservers of the DNS checks, separated by commas; empty means the system's (resolv.conf)",
  )
  config.add_setting(
    "prodmanager.dns.port",
    env="DNS_PORT",
    type=parse_port,
    default="53",
    description="port of the nameservers of the DNS checks",
  )
  config.add_setting(
    "prodmanager.dns.timeout",
    env="DNS_TIMEOUT",
    type=parse_timeout,
    default="5",
    description="seconds a DNS check waits for its answers (every lookup of a name together)",
  )


def make_resolver(context) -> dns.resolver.Resolver:
  import dns.resolver  # see ADDRESS_TYPES

  settings = context.settings
  servers = settings["prodmanager.dns.nameservers"]
  resolver = dns.resolver.Resolver(configure=not servers)
  if servers:
    resolver.nameservers = servers
  resolver.port = settings["prodmanager.dns.port"]
  resolver.lifetime = settings["prodmanager.dns.timeout"]
  resolver.timeout = min(resolver.timeout, resolver.lifetime)
  return resolver


def check(context, monitor):
  name = monitor.external_reference.strip()
  if not name:
    return None
  # Loaded by make_resolver already (see ADDRESS_TYPES).
  import dns.exception
  import dns.name
  import dns.resolver

  try:
    qname = dns.name.from_text(name)
  except dns.exception.DNSException as error:
    raise ValueError(f"external_reference {name!r} is not a host name: {error}") from None
  # dnspython takes any bytes as a label ("not a host!" is a name to it): a host name's labels, once
  # IDNA-encoded, are letters, digits, hyphens (and underscores), not a typo to report as "no such domain".
  if not all(HOST_LABEL.match(label) for label in qname.labels if label):
    raise ValueError(
      f"external_reference {name!r} is not a host name: letters, digits and hyphens between dots"
    )
  try:
    addresses, canonical = resolve(context.state, qname)
  except dns.resolver.NXDOMAIN:
    return Verdict("alert", f"{name}: no such domain")
  except dns.exception.Timeout:
    return Verdict("alert", f"{name}: no answer in time")
  except (dns.resolver.NoNameservers, dns.resolver.YXDOMAIN, dns.exception.DNSException) as error:
    return Verdict("alert", f"{name}: {error.__class__.__name__}: {error}")
  except CnameChainError as error:
    return Verdict("alert", str(error))
  if not addresses:
    return Verdict(
      "alert", f"{name}: no A or AAAA record" + (f" (via {canonical})" if canonical != qname else "")
    )
  return Verdict("ok", f"{name}: {', '.join(addresses)}")


class CnameChainError(Exception):
  """A CNAME chain too long, or looping."""


def resolve(resolver: dns.resolver.Resolver, qname: dns.name.Name) -> tuple[list[str], dns.name.Name]:
  """The A and AAAA addresses of ``qname`` and the name that holds them, following CNAMEs."""
  seen = [qname]
  current = qname
  while True:
    addresses = []
    alias = None
    for rdtype in ADDRESS_TYPES:
      answer = resolver.resolve(current, rdtype, raise_on_no_answer=False, search=False)
      if answer.rrset is not None:
        addresses += [record.address for record in answer.rrset]
      elif answer.canonical_name != current:
        # The nameserver gave a chain that ends without addresses of this type.
        alias = answer.canonical_name
    if addresses:
      return addresses, current
    if alias is None:
      answer = resolver.resolve(current, "CNAME", raise_on_no_answer=False, search=False)
      if answer.rrset is None:
        return [], current
      alias = answer.rrset[0].target
    if alias in seen:
      raise CnameChainError(f"{qname}: CNAME loop through {alias}")
    if len(seen) > MAX_CNAME_HOPS:
      raise CnameChainError(f"{qname}: CNAME chain longer than {MAX_CNAME_HOPS}")
    seen.append(alias)
    current = alias
