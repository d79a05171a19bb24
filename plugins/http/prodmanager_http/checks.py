"""The http integration's check: one GET per monitor, through one shared ``httpx.Client`` per run.

A monitor's ``external_link`` is the URL. Its ``external_reference``, optional, refines what counts
as up, as URL query parameters: ``status=204`` (exactly this status), ``status=200-299`` (a range),
``keyword=ready`` (the body, read up to 1 MiB, must contain it); ``status=200&keyword=ready``
combines them. Without it, 2xx and 3xx are ok (0.22's rule).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from prodmanager.integrations import Verdict
from prodmanager.settings import parse_bool
from prodmanager.version import __version__

if TYPE_CHECKING:
  import httpx

SETTINGS = (
  "prodmanager.http.timeout",
  "prodmanager.http.verify_cert",
  "prodmanager.http.allow_redirect",
  "prodmanager.http.http_proxy",
  "prodmanager.http.https_proxy",
)
# The body is read only for a keyword, and only this much of it.
MAX_BODY_BYTES = 1024 * 1024
STATUS = re.compile(r"^([1-5]\d\d)(?:-([1-5]\d\d))?$")
OK_RANGE = (200, 399)


def parse_timeout(value: str) -> float:
  try:
    seconds = float(value)
  except ValueError:
    raise ValueError("expected a number of seconds") from None
  if not 0 < seconds <= 300:
    raise ValueError("expected a number of seconds between 0 and 300")
  return seconds


def parse_proxy(value: str) -> str:
  """A proxy URL; ``proxy:3128`` (as many environments write HTTP_PROXY) means ``http://proxy:3128``."""
  if value and "://" not in value:
    value = f"http://{value}"
  if value and (
    urlsplit(value).scheme not in ("http", "https", "socks5", "socks5h") or not urlsplit(value).hostname
  ):
    raise ValueError("expected a proxy URL such as http://proxy:3128, or nothing")
  return value


def declare_settings(config) -> None:
  config.add_setting(
    "prodmanager.http.timeout",
    env="HTTP_TIMEOUT",
    type=parse_timeout,
    default="5",
    description="seconds an HTTP check waits for the connection and for each read",
  )
  config.add_setting(
    "prodmanager.http.verify_cert",
    env="HTTP_VERIFY_CERT",
    type=parse_bool,
    default="true",
    description="HTTP checks verify TLS certificates (false: an invalid certificate is not an alert)",
  )
  config.add_setting(
    "prodmanager.http.allow_redirect",
    env="HTTP_ALLOW_REDIRECT",
    type=parse_bool,
    default="true",
    description="HTTP checks follow redirects (false: the 3xx answer itself is judged)",
  )
  config.add_setting(
    "prodmanager.http.http_proxy",
    env="HTTP_PROXY",
    type=parse_proxy,
    default="",
    description="proxy of the HTTP checks of http:// URLs",
  )
  config.add_setting(
    "prodmanager.http.https_proxy",
    env="HTTPS_PROXY",
    type=parse_proxy,
    default="",
    description="proxy of the HTTP checks of https:// URLs",
  )


# Reached without the proxies (see open_client).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def open_client(context) -> httpx.Client:
  # httpx (18 MB) is imported by the process that runs checks, not by every web process.
  import httpx

  settings = context.settings
  verify = settings["prodmanager.http.verify_cert"]

  def transport(proxy: str) -> httpx.HTTPTransport:
    return httpx.HTTPTransport(verify=verify, proxy=proxy or None)

  # trust_env=False: the proxies are the settings' (HTTP_PROXY, HTTPS_PROXY, or the INI keys), and no
  # other variable of the process (SSL_CERT_FILE, NO_PROXY...) changes what a check sees. This host's
  # loopback is always reached directly: a proxy elsewhere cannot reach it (the demo monitor of
  # `make run` checks http://127.0.0.1:<port>/health, and a machine with HTTP_PROXY set turned it red).
  mounts = {
    "http://": transport(settings["prodmanager.http.http_proxy"]),
    "https://": transport(settings["prodmanager.http.https_proxy"]),
  }
  if settings["prodmanager.http.http_proxy"] or settings["prodmanager.http.https_proxy"]:
    mounts.update({f"all://{host}": transport("") for host in LOOPBACK_HOSTS})
  return httpx.Client(
    timeout=settings["prodmanager.http.timeout"],
    follow_redirects=settings["prodmanager.http.allow_redirect"],
    trust_env=False,
    mounts=mounts,
    headers={"User-Agent": f"ProdManager/{__version__} (http integration)"},
  )


def close_client(client: httpx.Client) -> None:
  client.close()


def expectations(reference: str) -> tuple[tuple[int, int], str | None]:
  """The status range and keyword of a monitor's ``external_reference`` (see the module docstring)."""
  if not reference:
    return OK_RANGE, None
  try:
    values = parse_qs(reference, keep_blank_values=True, strict_parsing=True)
  except ValueError:
    raise ValueError(
      f"external_reference {reference!r}: expected status=<code or range> and/or keyword=<text>"
    ) from None
  unknown = sorted(set(values) - {"status", "keyword"})
  if unknown:
    raise ValueError(
      f"external_reference {reference!r}: unknown {', '.join(unknown)} (expected status, keyword)"
    )
  expected = OK_RANGE
  if "status" in values:
    match = STATUS.match(values["status"][-1])
    if not match:
      raise ValueError(f"external_reference {reference!r}: status expects a code (204) or a range (200-299)")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if high < low:
      raise ValueError(f"external_reference {reference!r}: the status range ends before it starts")
    expected = (low, high)
  keyword = values.get("keyword", [None])[-1]
  if keyword == "":
    raise ValueError(f"external_reference {reference!r}: keyword is empty")
  return expected, keyword


def check(context, monitor):
  """One monitor's answer: None without a URL; ``ValueError`` for a URL or reference that is not
  usable (a configuration mistake: a failure, not an alert)."""
  url = monitor.external_link
  if not url:
    return None
  if urlsplit(url).scheme not in ("http", "https"):
    raise ValueError(f"external_link {url!r}: expected an http:// or https:// URL")
  (low, high), keyword = expectations(monitor.external_reference)
  import httpx  # loaded by open_client (see there)

  client: httpx.Client = context.state
  try:
    with client.stream("GET", url) as response:
      status = response.status_code
      body = read_some(response) if keyword is not None and low <= status <= high else b""
  except httpx.TimeoutException as error:
    return Verdict("alert", f"timeout ({error.__class__.__name__})")
  except httpx.HTTPError as error:
    # Refused connections, TLS failures, too many redirects, invalid answers: the site is not up.
    return Verdict("alert", f"{error.__class__.__name__}: {error}")
  if not low <= status <= high:
    return Verdict(
      "alert", f"HTTP {status}, expected {low}-{high}" if low != high else f"HTTP {status}, expected {low}"
    )
  if keyword is not None and keyword.encode() not in body:
    return Verdict("alert", f"HTTP {status} without {keyword!r}")
  return Verdict("ok", f"HTTP {status}")


def read_some(response: httpx.Response) -> bytes:
  body = b""
  for chunk in response.iter_bytes():
    body += chunk
    if len(body) >= MAX_BODY_BYTES:
      break
  return body[:MAX_BODY_BYTES]
