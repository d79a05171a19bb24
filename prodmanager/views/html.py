"""The standard HTML pages of a resource type, by traversal, and the home page.

``config.add_html_crud("scope")`` gives ``/scope`` (list with filters and pagination),
``/scope/3`` (detail), ``/scope/create``, ``/scope/3/update`` and ``/scope/3/delete`` (a
confirmation page, then a POST). Plugins choose their own list and detail templates; the forms are
generated from the service's field declarations.
"""

import datetime as dt
import re
import zoneinfo
from urllib.parse import urlencode

from markupsafe import Markup
from pyramid.httpexceptions import HTTPSeeOther
from sqlalchemy import select

from ..actions import deferred_config, register, resource_type_named
from ..derived import derived
from ..errors import AppError, ValidationFailed, localize
from ..fields import Boolean, Choice, DateTime, Reference, Text, Url
from ..resources import Root
from ..services import COUNT_CAP, Page
from ..state import app_state
from .pages import PageValues

LIST_TEMPLATE = "prodmanager:templates/resource/list.jinja2"
DETAIL_TEMPLATE = "prodmanager:templates/resource/detail.jinja2"
FORM_TEMPLATE = "prodmanager:templates/resource/form.jinja2"
CONFIRM_TEMPLATE = "prodmanager:templates/pages/confirm_delete.jinja2"


class Pager:
  """Links of a paginated list, keeping the current filters."""

  def __init__(self, request, page):
    self.request = request
    self.page = page.page
    self.pages = page.pages
    self.total = page.total
    self.capped = page.capped  # more pages than ``pages`` (a capped count): the last one is unknown
    self.prev_url = self.url_for(page.prev_page) if page.prev_page else None
    self.next_url = self.url_for(page.next_page) if page.next_page else None

  def url_for(self, number: int) -> str:
    params = [(key, value) for key, value in self.request.GET.items() if key != "page"]
    params.append(("page", str(number)))
    return f"{self.request.path}?{urlencode(params)}"


def reference_options(request, model) -> list[tuple[str, str]]:
  """The (id, name) choices of a reference, by name: kept while its table is not written
  (prodmanager.derived; the filters of every list page offer the scopes and services)."""

  def read():
    rows = request.dbsession.execute(select(model.id, model.name).order_by(model.name)).all()
    return tuple((str(ident), name) for ident, name in rows)

  return list(derived(request, "reference-options", (model,), read))  # a list: forms add to it


def instance_zone(request) -> zoneinfo.ZoneInfo:
  return zoneinfo.ZoneInfo(request.registry.settings["prodmanager.timezone"])


def widget_value(value, zone: zoneinfo.ZoneInfo | None = None) -> str:
  if value is None:
    return ""
  if hasattr(value, "value"):
    return value.value
  if isinstance(value, dt.datetime):
    # Forms show dates in the instance time zone, like the pages do.
    return (value.astimezone(zone) if zone and value.tzinfo else value).strftime("%Y-%m-%dT%H:%M")
  return str(value)


NAIVE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")


def form_data(request, service_class) -> dict:
  """The submitted form, with dates typed without an offset read in the instance time zone.

  (The API keeps 0.22's rule: a date without an offset is UTC. A browser's datetime-local input
  has no offset, and people type the local time they read on the pages.)
  """
  data = dict(request.POST)
  zone = instance_zone(request)
  for field in service_class.fields:
    raw = data.get(field.name)
    if isinstance(field, DateTime) and isinstance(raw, str) and NAIVE_DATE.match(raw.strip()):
      try:
        naive = dt.datetime.fromisoformat(raw.strip().replace(" ", "T"))
      except ValueError:
        continue  # left as typed: the field reports the error
      data[field.name] = naive.replace(tzinfo=zone).isoformat()
  return data


def form_widgets(request, service_class, values: dict, errors: dict, creating: bool = False) -> list[dict]:
  """Describe the inputs of a form from the field declarations (the template draws them).

  A field's ``help`` (a translation key) is shown under it; on a create form, a field declared
  with ``create_help`` shows that one instead ("empty: now").
  """
  widgets = []
  for field in service_class.fields:
    help_key = (field.create_help if creating else "") or field.help
    widget = {
      "name": field.name,
      "label": request._(field.label or f"fields.{field.name}"),
      "required": field.required,
      "value": widget_value(values.get(field.name), instance_zone(request)),
      "errors": errors.get(field.name, []),
      "options": None,
      "help": request._(help_key) if help_key else "",
    }
    if isinstance(field, Text):
      widget["type"] = "textarea" if field.multiline else "text"
      widget["maxlength"] = field.max_length
      widget["minlength"] = field.min_length
    elif isinstance(field, Url):
      widget["type"] = "url"
    elif isinstance(field, Choice):
      widget["type"] = "select"
      widget["options"] = [
        (m.value, request._(f"{field.prefix or field.name}.{m.value}")) for m in field.enum
      ]
    elif isinstance(field, Reference):
      widget["type"] = "select"
      widget["options"] = reference_options(request, field.model)
    elif isinstance(field, DateTime):
      widget["type"] = "datetime-local"
      widget["label"] = f"{widget['label']} ({request.registry.settings['prodmanager.timezone']})"
    elif isinstance(field, Boolean):
      widget["type"] = "checkbox"
    widgets.append(widget)
  return widgets


def filter_widgets(request, service_class) -> list[dict]:
  widgets = []
  for flt in service_class.filter_declarations():
    widget = {
      "name": flt.name,
      "label": request._(f"fields.{flt.name}"),
      "values": request.GET.getall(flt.name),
      "options": None,
      "type": "text",
    }
    if flt.kind == "enum":
      widget["type"] = "select"
      widget["options"] = [(m.value, request._(f"{flt.prefix or flt.name}.{m.value}")) for m in flt.enum]
    elif flt.kind == "int" and flt.model is not None:
      widget["type"] = "select"
      widget["options"] = reference_options(request, flt.model)
    elif flt.kind in ("after", "before"):
      widget["type"] = "datetime-local"
    widgets.append(widget)
  return widgets


class ResourceViews:
  """List, detail and forms of one resource type; the service does the work."""

  def __init__(self, context, request):
    self.context = context
    self.request = request
    self.resource_type = context.resource_type
    self.service = context.service
    self.page_values = (self.resource_type.page_values or PageValues)(request, self.service)
    self._ = request._

  def base(self, **values) -> dict:
    return {
      "resource_type": self.resource_type,
      "can_edit": self.request.has_permission("edit", self.context),
      "title": self._(self.resource_type.title),
      **values,
    }

  def list(self):
    errors = {}
    try:
      page, state = self.service.list(self.request.GET, count_cap=COUNT_CAP)
    except ValidationFailed as error:
      errors = localize(self._, error.reasons)
      page, state = Page([], 1, 0, 0), {"applied": {}}
      self.request.response.status = 400
    extras = self.service.aggregates(page.items)
    list_context = self.page_values.list_values(page.items)
    row_keys = {row.id: self.page_values.row_key(row, extras[row.id], list_context) for row in page.items}
    return self.base(
      rows=page.items,
      extras=extras,
      page=page,
      pager=Pager(self.request, page),
      filters=filter_widgets(self.request, self.service),
      filter_errors=errors,
      query=self.request.GET.get("q", ""),
      applied=state["applied"],
      list_context=list_context,
      row_keys=row_keys,
    )

  def detail(self):
    row = self.context.row
    extra = self.service.aggregates([row])[row.id]
    panels = [
      Markup(panel.render(self.request, row))
      for panel in app_state(self.request.registry).detail_panels.of(self.resource_type.name)
    ]
    values = self.base(
      row=row,
      extra=extra,
      title=row.name,
      detail_context=self.page_values.detail_values(row),
      detail_panels=[panel for panel in panels if panel],
    )
    timeline = getattr(self.service, "timeline_values", None)  # a TimelineService
    if timeline is not None:
      values["timeline"] = timeline(row, extra.get("events", []))
    return values

  def form(self, values: dict, errors: dict | None = None, message: str | None = None, row=None):
    """The create or update form; ``errors`` (per field) and ``message`` are translated here, and
    a reason about no field of the form (a conflict) is shown with the message at the top."""
    errors = localize(self._, errors or {})
    message = localize(self._, message)
    names = {field.name for field in self.service.fields}
    others = [text for key, texts in errors.items() if key not in names for text in texts]
    return self.base(
      row=row,
      widgets=form_widgets(self.request, self.service, values, errors, row is None),
      message=[message, *others] if message and others else message,
      action=self.request.path,
      title=self._("actions.update" if row else "actions.create") + " — " + self._(self.resource_type.title),
    )

  def create_form(self):
    """The create form: the fields' defaults (a new incident is ``active``), then the query's values."""
    values = {field.name: field.default for field in self.service.fields if field.default is not None}
    values.update(self.request.GET.items())
    return self.form(values)

  def create(self):
    try:
      row = self.service.create(form_data(self.request, self.service))
    except AppError as error:
      self.request.response.status = error.status
      return self.form(dict(self.request.POST), error.reasons, error.message)
    self.request.session.flash(("success", self._("flash.created", name=row.name)))
    return HTTPSeeOther(self.request.resource_url(self.context, str(row.id)))

  def update_form(self):
    row = self.context.row
    return self.form({field.name: getattr(row, field.attr, None) for field in self.service.fields}, row=row)

  def update(self):
    row = self.context.row
    try:
      self.service.update(row, form_data(self.request, self.service))
    except AppError as error:
      self.request.response.status = error.status
      return self.form(dict(self.request.POST), error.reasons, error.message, row=row)
    self.request.session.flash(("success", self._("flash.updated", name=row.name)))
    return HTTPSeeOther(self.request.resource_url(self.context).rstrip("/"))

  def delete_form(self, message=None):
    row = self.context.row
    return {
      "title": self._("confirm.delete_title"),
      "message": message or self._("confirm.delete_message", name=row.name),
      "action_url": self.request.resource_url(self.context, "delete"),
      "cancel_url": self.request.resource_url(self.context),
      "error": None,
      "blockers": [],
    }

  def delete(self):
    """Delete after the confirmation; a refusal shows what blocks it, with links to those rows,
    and no Delete button (it would be refused again)."""
    row = self.context.row
    name = row.name
    try:
      self.service.delete(row)
    except AppError as error:
      self.request.response.status = error.status
      values = self.delete_form()
      values["error"] = localize(self._, error.message)
      values["blockers"] = [
        {"title": localize(self._, title), "count": count, "href": href}
        for title, count, href in getattr(error, "blockers", [])
      ]
      if not values["blockers"]:
        values["error"] = [
          values["error"],
          *(text for texts in localize(self._, error.reasons).values() for text in texts),
        ]
      return values
    self.request.session.flash(("success", self._("flash.deleted", name=name)))
    return HTTPSeeOther(self.request.resource_url(self.context.__parent__).rstrip("/"))


def add_html_crud(config, type_name: str, page_values: type[PageValues] = PageValues) -> None:
  """Serve the standard HTML pages of a registered resource type (see the module docstring);
  ``page_values`` (a :class:`~prodmanager.views.pages.PageValues` subclass) gives their extra
  template values."""
  nested = deferred_config(config, config.action_info)

  def add(context, attr, name="", method="GET", renderer=FORM_TEMPLATE, permission="edit"):
    nested.add_view(
      ResourceViews,
      attr=attr,
      context=context,
      name=name,
      request_method=method,
      renderer=renderer,
      permission=permission,
    )

  def apply():
    resource_type = resource_type_named(nested, type_name, "add_html_crud")
    resource_type.page_values = page_values
    container, item = resource_type.container, resource_type.item
    list_template = resource_type.templates.get("list", LIST_TEMPLATE)
    detail_template = resource_type.templates.get("detail", DETAIL_TEMPLATE)
    add(container, "list", renderer=list_template, permission="view")
    add(item, "detail", renderer=detail_template, permission="view")
    add(container, "create_form", "create")
    add(container, "create", "create", "POST")
    add(item, "update_form", "update")
    add(item, "update", "update", "POST")
    add(item, "delete_form", "delete", renderer=CONFIRM_TEMPLATE)
    add(item, "delete", "delete", "POST", renderer=CONFIRM_TEMPLATE)

  register(config, ("prodmanager.html_crud", type_name), apply, what="html crud", title=type_name)


def home(context, request):
  """The dashboard: every panel registered by the plugins, in order; empty panels render nothing."""
  panels = [Markup(panel.render(request)) for panel in app_state(request.registry).dashboard_panels]
  return {"panels": [panel for panel in panels if panel.strip()]}


def includeme(config):
  config.add_directive("add_html_crud", add_html_crud)
  config.add_view(home, context=Root, renderer="prodmanager:templates/pages/home.jinja2", permission="view")
