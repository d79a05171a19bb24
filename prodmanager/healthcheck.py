"""``python -m prodmanager.healthcheck``: exit 0 when the local server answers ``/health``, else 1.

The container image's ``HEALTHCHECK`` (Dockerfile): the slim image has no curl, and the address is
the one ``prodmanager serve`` listens on, read from the same variables (``HOST`` or ``SERVER``, and
``PORT``); an address of every interface (``0.0.0.0``, ``::``) is reached on the loopback."""

import os
import sys
import urllib.request

TIMEOUT = 4  # seconds: below the image's HEALTHCHECK --timeout, so that a hung server fails cleanly
EVERY_INTERFACE = {"", "0.0.0.0", "::", "[::]", "*"}


def health_url(environ=os.environ) -> str:
  """The URL of /health on the address ``prodmanager serve`` listens on."""
  host = (environ.get("HOST") or environ.get("SERVER") or "").strip()
  if host in EVERY_INTERFACE:
    host = "127.0.0.1" if host in ("", "0.0.0.0", "*") else "::1"
  host = host.strip("[]")
  if ":" in host:
    host = f"[{host}]"
  port = (environ.get("PORT") or "8080").strip()
  return f"http://{host}:{port}/health"


def main(environ=os.environ) -> int:
  url = health_url(environ)
  try:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
      body = response.read(64)
  except OSError as error:
    print(f"unhealthy: {url}: {error}", file=sys.stderr)
    return 1
  if body != b"OK":
    print(f"unhealthy: {url} answered {body!r}", file=sys.stderr)
    return 1
  return 0


if __name__ == "__main__":
  sys.exit(main())
