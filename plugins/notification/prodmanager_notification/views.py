"""The visitors' pages: subscribe, confirm, manage, unsubscribe, and 0.22's two form routes.

``POST /notification/suscribe`` and ``POST /notification/unsuscribe`` keep 0.22's spelling and its
field ``email``, and answer as 0.22 did (back to ``/notification`` with a message); they now start
a double opt-in, and the unsubscribe form mails the address its unsubscribe link.
"""

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from prodmanager.state import app_state
from prodmanager.views.errors import html_error

from . import subscriptions
from .settings import mail_settings

TEMPLATES = "prodmanager_notification:templates/"


def models(request):
  types = app_state(request.registry).resource_types
  return types["scope"].service.model, types["service"].service.model, types["incident"].service.model


def int_list(values) -> list[int]:
  return sorted(
    {int(value) for value in values if isinstance(value, str) and value.isascii() and value.isdigit()}
  )


def choices(request) -> dict:
  scope_model, service_model, _incident = models(request)
  session = request.dbsession
  return {
    "kinds": subscriptions.visitor_kinds(request.registry),
    "scopes": list(session.scalars(select(scope_model).order_by(scope_model.name, scope_model.id))),
    "services": list(session.scalars(select(service_model).order_by(service_model.name, service_model.id))),
  }


def page_values(request, **extra) -> dict:
  return {
    "mail_enabled": mail_settings(request.registry.settings).enabled,
    "email": "",
    "error": None,
    **choices(request),
    **extra,
  }


def page(request):
  return page_values(request)


def render_page(request, status: int, **extra):
  from pyramid.renderers import render_to_response

  response = render_to_response(TEMPLATES + "page.jinja2", page_values(request, **extra), request=request)
  response.status = status
  return response


def subscribe(request):
  """``POST /notification/suscribe`` (0.22's route): ``email``, optional ``kinds``, ``scopes``,
  ``services`` (several values each), or ``incident`` to follow one incident."""
  _ = request._
  raw = request.POST.get("email", "")
  email = subscriptions.normalise_email(raw)
  incident = None
  if request.POST.get("incident"):
    ids = int_list([request.POST.get("incident")])
    incident = request.dbsession.get(models(request)[2], ids[0]) if ids else None
    if incident is None:
      return render_page(request, 400, email=raw, error=_("notification.unknown_incident"))
  if email is None:
    return render_page(request, 400, email=raw, error=_("notification.invalid_email"))
  if not subscriptions.client_allowed(request):
    return html_error(request, 429, _("notification.too_many_requests"))
  back = f"/incident/{incident.id}" if incident is not None else "/notification"
  if not mail_settings(request.registry.settings).enabled:
    request.session.flash(("warning", _("notification.mail_disabled")))
    return HTTPSeeOther(back)
  kinds = [
    kind for kind in request.POST.getall("kinds") if kind in subscriptions.visitor_kinds(request.registry)
  ]
  subscriptions.request_subscription(
    request,
    email,
    kinds,
    int_list(request.POST.getall("scopes")),
    int_list(request.POST.getall("services")),
    incident,
  )
  request.session.flash(("success", _("notification.check_mailbox")))
  return HTTPSeeOther(back)


def unsubscribe_request(request):
  """``POST /notification/unsuscribe`` (0.22's route): the address is mailed its unsubscribe link."""
  _ = request._
  raw = request.POST.get("email", "")
  email = subscriptions.normalise_email(raw)
  if email is None:
    return render_page(request, 400, unsubscribe_email=raw, unsubscribe_error=_("notification.invalid_email"))
  if not subscriptions.client_allowed(request):
    return html_error(request, 429, _("notification.too_many_requests"))
  subscriptions.request_unsubscription(request, email)
  request.session.flash(("success", _("notification.unsubscribe_mailed")))
  return HTTPSeeOther("/notification")


def confirm_form(request):
  """The page of a confirmation link: one button (a mail scanner following links confirms nothing)."""
  return {"token": request.matchdict["token"], "invalid": False}


def confirm(request):
  _ = request._
  subscriber = subscriptions.confirm(request, request.matchdict["token"])
  if subscriber is None:
    request.response.status = 400
    return {"token": "", "invalid": True}
  request.session.flash(("success", _("notification.confirmed")))
  return HTTPSeeOther(f"/notification/manage/{subscriber.token}")


def manage_values(request, subscriber) -> dict:
  incident_model = models(request)[2]
  return {
    "subscriber": subscriber,
    "followed": subscriptions.followed(request.dbsession, subscriber, incident_model),
    **choices(request),
  }


def manage_page(request):
  subscriber = subscriptions.find_by_token(request.dbsession, request.matchdict["token"])
  if subscriber is None:
    return html_error(request, 404, request._("notification.unknown_link"))
  return manage_values(request, subscriber)


def manage(request):
  subscriber = subscriptions.find_by_token(request.dbsession, request.matchdict["token"])
  if subscriber is None:
    return html_error(request, 404, request._("notification.unknown_link"))
  subscriptions.update_filters(
    request,
    subscriber,
    request.POST.get("all_events") in ("on", "true", "1"),
    request.POST.getall("kinds"),
    int_list(request.POST.getall("scopes")),
    int_list(request.POST.getall("services")),
    int_list(request.POST.getall("unfollow")),
  )
  request.session.flash(("success", request._("notification.saved")))
  return HTTPSeeOther(f"/notification/manage/{subscriber.token}")


def unsubscribe_form(request):
  return {"token": request.matchdict["token"], "done": False}


def unsubscribe(request):
  """One-click unsubscribe (RFC 8058: mail clients POST ``List-Unsubscribe=One-Click`` without
  cookies, so no CSRF token), and the button of the unsubscribe page. The same answer for a token
  that is unknown or already used."""
  subscriptions.unsubscribe(request.dbsession, request.matchdict["token"])
  return {"token": "", "done": True}


def includeme(config):
  config.add_route("notification", "/notification")
  config.add_route("notification.subscribe", "/notification/suscribe")
  config.add_route("notification.subscribe_spelled", "/notification/subscribe")
  config.add_route("notification.unsubscribe_request", "/notification/unsuscribe")
  config.add_route("notification.confirm", "/notification/confirm/{token}")
  config.add_route("notification.manage", "/notification/manage/{token}")
  config.add_route("notification.unsubscribe", "/notification/unsubscribe/{token}")
  public = {"permission": NO_PERMISSION_REQUIRED}
  config.add_view(
    page, route_name="notification", request_method="GET", renderer=TEMPLATES + "page.jinja2", **public
  )
  for route in ("notification.subscribe", "notification.subscribe_spelled"):
    config.add_view(subscribe, route_name=route, request_method="POST", **public)
  config.add_view(
    unsubscribe_request, route_name="notification.unsubscribe_request", request_method="POST", **public
  )
  # The pages behind a signed link: a form on GET, its action on POST (the manage action redirects).
  signed_pages = (
    ("notification.confirm", confirm_form, confirm, "confirm.jinja2"),
    ("notification.manage", manage_page, manage, "manage.jinja2"),
    ("notification.unsubscribe", unsubscribe_form, unsubscribe, "unsubscribe.jinja2"),
  )
  for route, form, action, template in signed_pages:
    renderer = TEMPLATES + template
    config.add_view(form, route_name=route, request_method="GET", renderer=renderer, **public)
    posted = {} if action is manage else {"renderer": renderer}
    # One-click unsubscribe (RFC 8058) is posted by mail clients, which carry no CSRF token.
    if action is unsubscribe:
      posted["require_csrf"] = False
    config.add_view(action, route_name=route, request_method="POST", **posted, **public)
