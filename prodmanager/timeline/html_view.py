"""The HTML view of a timeline: the comment form of a detail page."""

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response

from ..actions import deferred_config, register, resource_type_named
from ..errors import AppError
from ..views.html import DETAIL_TEMPLATE, ResourceViews


def comment_html_view(context, request):
  """The comment form of a detail page: back to the page, or the page again with the errors and
  the text typed so far (nothing is lost)."""
  try:
    context.service.comment(context.row, dict(request.POST))
  except AppError as error:
    values = ResourceViews(context, request).detail()
    values.update(
      comment_errors=error.reasons,
      comment_value=request.POST.get("comment", ""),
      comment_internal=request.POST.get("internal") in ("on", "true", "1", "yes"),
    )
    template = context.resource_type.templates.get("detail", DETAIL_TEMPLATE)
    response = render_to_response(template, values, request=request)
    response.status = error.status
    return response
  request.session.flash(("success", request._("flash.commented")))
  return HTTPSeeOther(request.resource_url(context).rstrip("/") + "#timeline")


def add_timeline_html(config, type_name: str) -> None:
  """Serve ``POST /<type>/<id>/comment`` (the comment form of the detail page)."""
  nested = deferred_config(config, config.action_info)

  def apply():
    resource_type = resource_type_named(nested, type_name, "add_timeline_html")
    nested.add_view(
      comment_html_view, context=resource_type.item, name="comment", request_method="POST", permission="edit"
    )

  register(config, ("prodmanager.timeline_html", type_name), apply, what="timeline pages", title=type_name)
