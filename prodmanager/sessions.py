"""The signed session cookie, in its four variants: Secure or not, persistent ("remember me") or not.

Pyramid's cookie session factories fix the cookie's parameters when they are created, and offer no
public way to change them for one request. So there is one factory per variant: the scheme of the
request chooses ``Secure`` (a cookie set over HTTPS is never sent back over plain HTTP), and the
session's own ``auth.remember`` flag chooses a cookie kept for :data:`REMEMBER_SECONDS` instead of
one that ends with the browser session. Logging in replaces the request's session with an empty one
of the variant asked for (:meth:`SessionFactories.renew`).
"""

from pyramid.session import SignedCookieSessionFactory

REMEMBER_SECONDS = 7 * 24 * 3600
REISSUE_SECONDS = 600


class SessionFactories:
  """The request's session factory (``config.set_session_factory``), one Pyramid factory per variant."""

  def __init__(self, signing_secret: str, cookie_name: str):
    self.cookie_name = cookie_name
    self.factories = {
      (secure, remember): SignedCookieSessionFactory(
        signing_secret,
        cookie_name=cookie_name,
        secure=secure,
        httponly=True,
        samesite="Lax",
        max_age=REMEMBER_SECONDS if remember else None,
        timeout=REMEMBER_SECONDS,
        reissue_time=REISSUE_SECONDS,
        hashalg="sha512",
      )
      for secure in (False, True)
      for remember in (False, True)
    }

  def factory(self, request, remember: bool):
    return self.factories[(request.scheme == "https", remember)]

  def __call__(self, request):
    session = self.factory(request, remember=False)(request)
    # Read as a plain dict: the session's own accessors may reissue its cookie, and this one is
    # dropped when the session turns out to be a remembered one.
    auth = dict.get(session, "auth") or {}
    if auth.get("remember"):
      session = self.factory(request, remember=True)(request)
    return session

  def renew(self, request, remember: bool):
    """Empty the request's session (a login starts a new one) and make sure its cookie is of the
    variant asked for; returns the session, which is also ``request.session`` from now on."""
    session = request.session
    session.invalidate()
    wanted = self.factory(request, remember)
    if isinstance(session, wanted):
      return session
    # The dropped session may have queued its cookie already: only the new session's is sent.
    cookie_name = self.cookie_name
    request.add_response_callback(lambda _request, response: response.unset_cookie(cookie_name, strict=False))
    session = wanted(request)
    session.invalidate()  # it was read from the same cookie as the dropped one
    request.session = session
    return session
