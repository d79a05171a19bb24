"""The operators' page (``/notification/admin``): subscribers, webhooks, the deliveries to do and
those that failed with their last error, "retry now"; and the links visitors see (navigation,
footer, dashboard, incident pages)."""

import secrets

from markupsafe import Markup
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render
from sqlalchemy import func, select

from prodmanager.db import utcnow
from prodmanager.errors import ValidationFailed

from .api import apply_webhook
from .delivery import retry_now
from .models import Channel, Delivery, DeliveryStatus, Flavour, Message, Subscriber
from .settings import mail_settings
from .views import TEMPLATES, choices, int_list

LISTED = 100  # rows per section of the page


def counts(session) -> dict[str, int]:
  found = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
  return {status.value: found.get(status, 0) for status in DeliveryStatus}


def deliveries(session, status: DeliveryStatus) -> list:
  return list(
    session.scalars(
      select(Delivery)
      .join(Message)
      .where(Delivery.status == status)
      .order_by(Delivery.id.desc())
      .limit(LISTED)
    )
  )


def admin_values(request, **extra) -> dict:
  session = request.dbsession
  return {
    "mail_enabled": mail_settings(request.registry.settings).enabled,
    "counts": counts(session),
    "subscribers": list(
      session.scalars(
        select(Subscriber).where(Subscriber.channel == Channel.EMAIL).order_by(Subscriber.email).limit(LISTED)
      )
    ),
    "subscriber_total": session.scalar(
      select(func.count()).select_from(Subscriber).where(Subscriber.channel == Channel.EMAIL)
    ),
    "webhooks": list(
      session.scalars(select(Subscriber).where(Subscriber.channel == Channel.WEBHOOK).order_by(Subscriber.id))
    ),
    "pending": deliveries(session, DeliveryStatus.PENDING),
    "failed": deliveries(session, DeliveryStatus.FAILED),
    "flavours": [flavour.value for flavour in Flavour],
    "webhook_kinds": ["incident", "maintenance", "announcement", "monitor"],
    "form": {},
    "errors": {},
    **choices(request),
    **extra,
  }


def admin_page(request):
  return admin_values(request)


def retry(request):
  ids = int_list(request.POST.getall("delivery")) or None
  changed = retry_now(request.dbsession, ids)
  request.session.flash(("success", request._("notification.admin.retried") + f" ({changed})"))
  return HTTPSeeOther("/notification/admin")


def add_webhook(request):
  data = {
    "name": request.POST.get("name", ""),
    "url": request.POST.get("url", ""),
    "flavour": request.POST.get("flavour")
    if request.POST.get("flavour") in [f.value for f in Flavour]
    else "json",
    "secret": request.POST.get("secret", ""),
    "kinds": [
      kind
      for kind in request.POST.getall("kinds")
      if kind in ("incident", "maintenance", "announcement", "monitor")
    ],
    "scopes": int_list(request.POST.getall("scopes")),
    "services": int_list(request.POST.getall("services")),
  }
  row = Subscriber(
    channel=Channel.WEBHOOK, all_events=True, kinds="", confirmed_at=utcnow(), token=secrets.token_urlsafe(32)
  )
  try:
    apply_webhook(request, row, data, creating=True)
  except ValidationFailed as error:
    from pyramid.renderers import render_to_response

    response = render_to_response(
      TEMPLATES + "admin.jinja2", admin_values(request, form=data, errors=error.reasons), request=request
    )
    response.status = 400
    return response
  request.dbsession.add(row)
  request.dbsession.flush()
  request.session.flash(("success", request._("notification.admin.webhook_added")))
  return HTTPSeeOther("/notification/admin")


def delete_subscriber(request):
  ids = int_list([request.matchdict["id"]])
  row = request.dbsession.get(Subscriber, ids[0]) if ids else None
  if row is not None:
    request.dbsession.delete(row)
    request.dbsession.flush()
  request.session.flash(("success", request._("notification.admin.deleted")))
  return HTTPSeeOther("/notification/admin")


# -- links for visitors ----------------------------------------------------------------------------


def dashboard_panel(request, **groups):
  """A short invitation on the dashboard (and scope/service pages) while mail is enabled."""
  if groups or not mail_settings(request.registry.settings).enabled:
    return ""
  return Markup(render(TEMPLATES + "dashboard_panel.jinja2", {}, request=request))


def incident_panel(request, row):
  """ "Follow this incident" on an incident's page while mail is enabled."""
  if not mail_settings(request.registry.settings).enabled:
    return ""
  return Markup(render(TEMPLATES + "follow_panel.jinja2", {"incident": row}, request=request))


def includeme(config):
  config.add_route("notification.admin", "/notification/admin")
  config.add_route("notification.admin_retry", "/notification/admin/retry")
  config.add_route("notification.admin_webhook", "/notification/admin/webhook")
  config.add_route("notification.admin_delete", "/notification/admin/subscriber/{id}/delete")
  # Operators only: "edit" on the root is the administrator's (the session); tokens never reach pages.
  operator = {"permission": "edit"}
  config.add_view(
    admin_page,
    route_name="notification.admin",
    request_method="GET",
    renderer=TEMPLATES + "admin.jinja2",
    **operator,
  )
  config.add_view(retry, route_name="notification.admin_retry", request_method="POST", **operator)
  config.add_view(add_webhook, route_name="notification.admin_webhook", request_method="POST", **operator)
  config.add_view(
    delete_subscriber, route_name="notification.admin_delete", request_method="POST", **operator
  )
  config.add_navigation("notification", "nav.notification", "/notification", icon="notification", order=90)
  config.add_footer_link("notification", "notification.subscribe_link", "/notification", icon="notification")
  config.add_dashboard_panel("notification", dashboard_panel, order=95)
  config.add_detail_panel("incident", "notification", incident_panel, order=90)
