"""Signed, expiring tokens for the confirmation links of the double opt-in.

A token is ``<payload>.<signature>``: the payload is compact JSON (base64url) holding what the
visitor asked for and an expiry (``exp``, seconds since the epoch); the signature is HMAC-SHA256
with a key derived from the administrator secret for this purpose only
(:func:`prodmanager.security.derive_key`), so a token is neither forgeable nor usable elsewhere.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time

from prodmanager.security import derive_key

PURPOSE = "notification-confirm"


class BadToken(Exception):
  """The token is malformed, forged or expired."""


def _encode(raw: bytes) -> str:
  return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
  return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: str) -> str:
  return _encode(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def sign(secret: str, data: dict, max_age: int, now: float | None = None) -> str:
  """A token carrying ``data`` for ``max_age`` seconds."""
  now = time.time() if now is None else now
  body = json.dumps({**data, "exp": int(now + max_age)}, separators=(",", ":"), sort_keys=True)
  payload = _encode(body.encode("utf-8"))
  return f"{payload}.{_signature(derive_key(secret, PURPOSE), payload)}"


def unsign(secret: str, token: str, now: float | None = None) -> dict:
  """The data of a valid token; :class:`BadToken` otherwise."""
  now = time.time() if now is None else now
  if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
    raise BadToken("malformed")
  payload, signature = token.split(".")
  try:
    expected = _signature(derive_key(secret, PURPOSE), payload)
  except UnicodeEncodeError:
    raise BadToken("malformed") from None
  if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "surrogatepass")):
    raise BadToken("bad signature")
  try:
    data = json.loads(_decode(payload))
  except (binascii.Error, ValueError, UnicodeDecodeError):
    raise BadToken("malformed") from None
  if not isinstance(data, dict) or not isinstance(data.get("exp"), int):
    raise BadToken("malformed")
  if data.pop("exp") < now:
    raise BadToken("expired")
  return data
