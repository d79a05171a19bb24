"""Public history feeds: ``/history.atom`` and ``/history.rss`` (docs/user-guide.md#feeds).

Plugins contribute entries with ``config.add_history_source(source, name="incidents")``;
``source(request, scope_id, service_id, limit)`` returns up to ``limit`` :class:`HistoryEntry`
objects, newest first, public information only (never an internal comment or diff). The core
merges the sources, keeps the newest 50 and renders them with feedgen. Entry ids are stable URLs
(``<site>/history/<source id>``, built from the row and event ids), so feed readers never show an
entry twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyramid.response import Response

from .actions import callable_name, register
from .derived import derived
from .errors import ValidationFailed
from .markdown import render_markdown
from .settings import is_decimal
from .state import app_state
from .text import xml_text

# feedgen (10 MB with lxml) is imported at the first feed a process renders (build_feed): a web
# process whose feeds are answered from the cache never loads it.
if TYPE_CHECKING:
  from feedgen.feed import FeedGenerator

FEED_SIZE = 50


@dataclass(frozen=True)
class HistoryEntry:
  id: str  # stable: "<type>-3-event-12"
  title: str
  content: str  # Markdown (rendered and sanitised in the feed)
  link: str  # absolute URL of the page
  updated: dt.datetime


@dataclass(frozen=True)
class HistorySource:
  name: str
  source: Callable[..., list[HistoryEntry]]


class HistorySources:
  """The sources of the public history feeds, in registration order."""

  def __init__(self):
    self.entries: list[HistorySource] = []

  def add(self, entry: HistorySource) -> None:
    self.entries.append(entry)

  def __iter__(self) -> Iterator[HistorySource]:
    return iter(self.entries)

  def __len__(self) -> int:
    return len(self.entries)


def feed_filters(request) -> tuple[int | None, int | None]:
  values, reasons = [], {}
  for name in ("scope", "service"):
    raw = request.GET.get(name, "").strip()
    if raw and (not is_decimal(raw) or len(raw) > 18):
      reasons[name] = ["expected a positive integer id"]
    values.append(int(raw) if raw and is_decimal(raw) and len(raw) <= 18 else None)
  if reasons:
    raise ValidationFailed("Invalid feed parameters", reasons)
  return values[0], values[1]


def history_entries(request, scope_id=None, service_id=None, limit=FEED_SIZE) -> list[HistoryEntry]:
  entries = []
  for entry in app_state(request.registry).history_sources:
    entries.extend(entry.source(request, scope_id, service_id, limit))
  entries.sort(key=lambda entry: (entry.updated, entry.id), reverse=True)
  return entries[:limit]


def build_feed(request) -> FeedGenerator:
  from feedgen.feed import FeedGenerator  # see FEED_SIZE

  scope_id, service_id = feed_filters(request)
  _ = request._
  base = request.application_url
  feed = FeedGenerator()
  feed.id(f"{base}/history")
  feed.title(xml_text(f"{request.site_name} · {_('feed.title')}"))
  feed.subtitle(_("feed.subtitle"))
  feed.link(href=f"{base}/", rel="alternate")
  feed.link(href=request.url, rel="self")
  feed.language(request.lang)
  entries = history_entries(request, scope_id, service_id)
  feed.updated(entries[0].updated if entries else dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
  # feedgen prepends entries: add the oldest first so that the feed reads newest first.
  for entry in reversed(entries):
    # Every text through xml_text: one row holding a character XML cannot carry (written before
    # input refused them, or by hand) would make lxml fail the whole feed, for every reader.
    item = feed.add_entry()
    item.id(xml_text(f"{base}/history/{entry.id}"))
    item.guid(xml_text(f"{base}/history/{entry.id}"), permalink=False)
    item.title(xml_text(entry.title))
    item.link(href=xml_text(entry.link))
    item.updated(entry.updated)
    item.published(entry.updated)
    item.content(xml_text(str(render_markdown(entry.content))), type="html")
  return feed


def atom_view(request):
  return Response(
    build_feed(request).atom_str(pretty=True), content_type="application/atom+xml", charset="utf-8"
  )


def rss_view(request):
  return Response(
    build_feed(request).rss_str(pretty=True), content_type="application/rss+xml", charset="utf-8"
  )


def kept_entries(name: str, tables: tuple, source: Callable) -> Callable:
  """``source``'s entries kept while ``tables`` are not written (prodmanager.derived), per
  restriction, size, language and address of the site (the entries' words and links)."""

  def kept(request, scope_id, service_id, limit):
    return derived(
      request,
      f"history:{name}",
      tables,
      lambda: tuple(source(request, scope_id, service_id, limit)),
      scope_id,
      service_id,
      limit,
      request.lang,
      request.application_url,
    )

  return kept


def add_history_source(config, source: Callable, name: str = "", tables=()) -> None:
  """Add a source of public history entries (see the module docstring).

  ``name`` (default: the callable's dotted name) identifies it: registering the same name twice
  is a configuration conflict. ``tables``, optional, are the tables (mapped classes or names) the
  source reads, and nothing else: its entries are kept while none of them is written.
  """
  name = name or callable_name(source)
  entry = HistorySource(name, kept_entries(name, tuple(tables), source) if tables else source)
  register(
    config,
    ("prodmanager.history_source", entry.name),
    lambda: app_state(config.registry).history_sources.add(entry),
    what="history sources",
    title=entry.name,
    source=source,
  )


def includeme(config):
  app_state(config.registry).history_sources = HistorySources()
  config.add_directive("add_history_source", add_history_source)
  config.add_view(atom_view, name="history.atom", request_method=("GET", "HEAD"), permission="view")
  config.add_view(rss_view, name="history.rss", request_method=("GET", "HEAD"), permission="view")
