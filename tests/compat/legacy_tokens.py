"""Tokens minted exactly as ProdManager 0.22 minted them (its ``generate_jwt``, ProdManager/helpers/auth.py).

0.22 minted with PyJWT, signed with ``PM_SECRET_KEY`` itself and the algorithm of
``PM_JWT_ALGORITHM``, with the claims iss (``PM_JWT_ISSUER``), aud (the name), sub (the description),
nbf and exp (its form's naive datetimes, read as UTC), iat (``datetime.utcnow()``), jti (a uuid4),
version 1 and permissions (``<type>_api`` names).
"""

import datetime as dt
import uuid
import warnings

import jwt as pyjwt

from prodmanager.testing import TEST_SECRET

ALL = ["announcement_api", "incident_api", "maintenance_api", "monitor_api", "scope_api", "service_api"]


def naive_utc(delta: dt.timedelta = dt.timedelta(0)) -> dt.datetime:
  """What 0.22's forms and ``datetime.utcnow()`` gave: a naive datetime in UTC, to the second."""
  return (dt.datetime.now(dt.UTC) + delta).replace(tzinfo=None, microsecond=0)


def mint_022(
  permissions=ALL,
  name="oldscript",
  description="a script of the 0.22 days",
  not_before: dt.datetime | None = None,
  expiration: dt.datetime | None = None,
  secret: str = TEST_SECRET,
  issuer: str = "ProdManager",
  algorithm: str = "HS256",
) -> str:
  """A token minted as 0.22's ``generate_jwt`` did (ProdManager/helpers/auth.py)."""
  with warnings.catch_warnings():
    # PyJWT warns about HMAC keys shorter than the hash; 0.22 signed with whatever secret it had.
    warnings.simplefilter("ignore")
    return pyjwt.encode(
      payload=dict(
        iss=issuer,
        aud=name,
        sub=description,
        nbf=not_before or naive_utc(-dt.timedelta(minutes=1)),
        exp=expiration or naive_utc(dt.timedelta(days=365)),
        iat=naive_utc(),
        jti=str(uuid.uuid4()),
        version=1,
        permissions=permissions,
      ),
      key=secret,
      algorithm=algorithm,
    )
