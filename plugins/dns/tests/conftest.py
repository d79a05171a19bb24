"""A local DNS server for the dns integration's tests (dnspython on UDP), and the application with
the dns plugin enabled."""

import socket
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from prodmanager.state import app_state
from prodmanager.testing import make_app, make_client

# name -> {record type: [values]}; a name that is not here answers NXDOMAIN.
ZONE = {
  "www.example.test.": {"A": ["192.0.2.10"]},
  "v6.example.test.": {"AAAA": ["2001:db8::10"]},
  "both.example.test.": {"A": ["192.0.2.11"], "AAAA": ["2001:db8::11"]},
  "empty.example.test.": {"TXT": ['"no address here"']},
  # A chain the server answers in one go (the alias and its target's address).
  "alias.example.test.": {"CNAME": ["www.example.test."]},
  # A chain the server answers one hop at a time (as a forwarder may).
  "hop1.example.test.": {"CNAME": ["hop2.example.test."]},
  "hop2.example.test.": {"CNAME": ["both.example.test."]},
  "dangling.example.test.": {"CNAME": ["nowhere.example.test."]},
  "loop1.example.test.": {"CNAME": ["loop2.example.test."]},
  "loop2.example.test.": {"CNAME": ["loop1.example.test."]},
  **{f"long{index}.example.test.": {"CNAME": [f"long{index + 1}.example.test."]} for index in range(12)},
  "long12.example.test.": {"A": ["192.0.2.12"]},
}
# Answered in one go: the chain, then the target's records.
FULL_CHAINS = {"alias.example.test."}
SILENT = "silent.example.test."  # never answered: the check times out


def answer(query: dns.message.Message) -> dns.message.Message | None:
  question = query.question[0]
  name, rdtype = question.name.to_text(), dns.rdatatype.to_text(question.rdtype)
  if name == SILENT:
    return None
  response = dns.message.make_response(query)
  response.flags |= dns.flags.AA
  records = ZONE.get(name)
  if records is None:
    response.set_rcode(dns.rcode.NXDOMAIN)
    return response
  if rdtype in records:
    response.answer.append(dns.rrset.from_text_list(name, 60, "IN", rdtype, records[rdtype]))
  elif "CNAME" in records:
    target = records["CNAME"][0]
    response.answer.append(dns.rrset.from_text_list(name, 60, "IN", "CNAME", [target]))
    if name in FULL_CHAINS and rdtype in ZONE.get(target, {}):
      response.answer.append(dns.rrset.from_text_list(target, 60, "IN", rdtype, ZONE[target][rdtype]))
  return response


class DnsServer:
  def __init__(self):
    self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    self.socket.bind(("127.0.0.1", 0))
    self.socket.settimeout(0.2)
    self.port = self.socket.getsockname()[1]
    self.queries: list[tuple[str, str]] = []
    self.stopped = threading.Event()
    self.thread = threading.Thread(target=self.serve, daemon=True)
    self.thread.start()

  def serve(self):
    while not self.stopped.is_set():
      try:
        data, client = self.socket.recvfrom(4096)
      except TimeoutError:
        continue
      except OSError:
        return
      query = dns.message.from_wire(data)
      question = query.question[0]
      self.queries.append((question.name.to_text(), dns.rdatatype.to_text(question.rdtype)))
      response = answer(query)
      if response is not None:
        self.socket.sendto(response.to_wire(), client)

  def close(self):
    self.stopped.set()
    self.thread.join(5)
    self.socket.close()


@pytest.fixture(scope="session")
def dns_server():
  server = DnsServer()
  yield server
  server.close()


@pytest.fixture(scope="module")
def dns_app(app_settings, enabled_plugins, dns_server):
  """The test application with the dns plugin enabled, asking the local server."""
  plugins = sorted({*enabled_plugins, "dns"})
  settings = {
    **app_settings,
    "dns.nameservers": "127.0.0.1",
    "dns.port": str(dns_server.port),
    "dns.timeout": "1",
  }
  app = make_app(plugins, settings)
  yield app
  app_state(app.registry).db_engine.dispose()


@pytest.fixture
def dns_registry(dns_app, connection):
  return dns_app.registry


@pytest.fixture
def dns_client(dns_app, connection):
  return make_client(dns_app)
