"""The HTML views of a timeline: the update form of a detail page, editing and deleting comments."""

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response

from ..actions import deferred_config, register, resource_type_named
from ..errors import AppError, localize
from ..views.html import CONFIRM_TEMPLATE, DETAIL_TEMPLATE, ResourceViews

COMMENT_TEMPLATE = "prodmanager:templates/timeline/comment_form.jinja2"
CHECKED = ("on", "true", "1", "yes")


def comment_html_view(context, request):
  """The update form of a detail page (a message, and optionally a new status): back to the page,
  or the page again with every error and what was typed so far (nothing is lost)."""
  try:
    event = context.service.comment(context.row, dict(request.POST))
  except AppError as error:
    values = ResourceViews(context, request).detail()
    values.update(
      comment_errors=localize(request._, error.reasons),
      comment_value=request.POST.get("comment", ""),
      comment_internal=request.POST.get("internal") in CHECKED,
      comment_status=request.POST.get("status"),
    )
    template = context.resource_type.templates.get("detail", DETAIL_TEMPLATE)
    response = render_to_response(template, values, request=request)
    response.status = error.status
    return response
  request.session.flash(
    ("success", request._("flash.update_posted" if event.new_status else "flash.commented"))
  )
  return HTTPSeeOther(request.resource_url(context).rstrip("/") + "#timeline")


def comment_of(context, request):
  """The comment named by the first segment after ``comments/``, or a 404."""
  subpath = request.subpath
  event = context.service.comment_event(context.row, subpath[0]) if subpath else None
  if event is None:
    raise HTTPNotFound()
  return event


def comment_form_values(context, request, event, value=None, internal=None, errors=None) -> dict:
  return {
    "row": context.row,
    "event": event,
    "title": request._("timeline.edit_comment"),
    "value": event.content if value is None else value,
    "internal": event.internal if internal is None else internal,
    "errors": errors or {},
    "action": request.resource_url(context, "comments", str(event.id)),
    "cancel_url": request.resource_url(context).rstrip("/") + "#timeline",
  }


def comment_edit_view(context, request):
  """``GET /<type>/<id>/comments/<event>``: the edit form; ``…/delete``: the confirmation page."""
  event = comment_of(context, request)
  if request.subpath[1:] == ("delete",):
    return render_to_response(CONFIRM_TEMPLATE, delete_values(context, request, event), request=request)
  if request.subpath[1:]:
    raise HTTPNotFound()
  return render_to_response(COMMENT_TEMPLATE, comment_form_values(context, request, event), request=request)


def delete_values(context, request, event) -> dict:
  return {
    "title": request._("timeline.delete_comment"),
    "message": request._("timeline.delete_comment_message"),
    "action_url": request.resource_url(context, "comments", str(event.id), "delete"),
    "cancel_url": request.resource_url(context).rstrip("/") + "#timeline",
    "error": None,
    "blockers": [],
  }


def comment_save_view(context, request):
  """``POST /<type>/<id>/comments/<event>`` saves the edit; ``…/delete`` deletes the comment."""
  event = comment_of(context, request)
  service = context.service
  if request.subpath[1:] == ("delete",):
    service.delete_comment(context.row, event)
    request.session.flash(("success", request._("flash.comment_deleted")))
    return HTTPSeeOther(request.resource_url(context).rstrip("/") + "#timeline")
  if request.subpath[1:]:
    raise HTTPNotFound()
  # An unchecked box is not sent: the form says "public" then.
  data = {"comment": request.POST.get("comment", ""), "internal": request.POST.get("internal") in CHECKED}
  try:
    service.edit_comment(context.row, event, data)
  except AppError as error:
    values = comment_form_values(
      context, request, event, data["comment"], data["internal"], localize(request._, error.reasons)
    )
    response = render_to_response(COMMENT_TEMPLATE, values, request=request)
    response.status = error.status
    return response
  request.session.flash(("success", request._("flash.comment_updated")))
  return HTTPSeeOther(request.resource_url(context).rstrip("/") + f"#event-{event.id}")


def add_timeline_html(config, type_name: str) -> None:
  """Serve ``POST /<type>/<id>/comment`` (the update form of the detail page) and the edit and
  delete pages of comments, ``/<type>/<id>/comments/<event>[/delete]``."""
  nested = deferred_config(config, config.action_info)

  def apply():
    resource_type = resource_type_named(nested, type_name, "add_timeline_html")
    item = resource_type.item
    nested.add_view(comment_html_view, context=item, name="comment", request_method="POST", permission="edit")
    nested.add_view(comment_edit_view, context=item, name="comments", request_method="GET", permission="edit")
    nested.add_view(
      comment_save_view, context=item, name="comments", request_method="POST", permission="edit"
    )

  register(config, ("prodmanager.timeline_html", type_name), apply, what="timeline pages", title=type_name)
