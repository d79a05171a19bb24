"""Translations: YAML catalogues (one per language) merged from the core and every plugin.

A key missing in the request's language falls back to English, and a key missing everywhere is
shown as a readable sentence built from its last segment, never as a raw dotted key.
"""

from pathlib import Path

from pyramid.exceptions import ConfigurationError
from pyramid.path import AssetResolver

from . import yamltext
from .actions import register
from .settings import LANGUAGES
from .state import app_state

FALLBACK = "en"
# Every English message loaded by any application of this process: the plain-string form of a
# :class:`prodmanager.errors.Message` raised where no request is at hand reads from it.
ENGLISH_LOADED: dict[str, str] = {}


def flatten(mapping: dict, prefix: str = "") -> dict[str, str]:
  flat = {}
  for key, value in mapping.items():
    full = f"{prefix}{key}"
    if isinstance(value, dict):
      flat.update(flatten(value, f"{full}."))
    else:
      flat[full] = str(value)
  return flat


class Catalogues:
  """Every language's messages, filled by :func:`add_translations` at configuration time."""

  def __init__(self):
    self.messages: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}

  def load_directory(self, directory: Path) -> None:
    for lang in LANGUAGES:
      path = directory / f"{lang}.yaml"
      if path.exists():
        messages = flatten(yamltext.load_file(path) or {})
        self.messages[lang].update(messages)
        if lang == FALLBACK:
          ENGLISH_LOADED.update(messages)

  def translate(self, lang: str, key: str, **kwargs) -> str:
    """The message of ``key``; with a ``count`` (or ``total``) argument, its singular form
    ``<key>_one`` when the catalogue has one and the number is singular in ``lang``."""
    number = kwargs.get("count", kwargs.get("total"))
    if isinstance(number, int) and is_singular(lang, number):
      text = self._lookup(lang, f"{key}_one")
      if text is not None:
        return format_message(text, key, kwargs)
    return format_message(self._lookup(lang, key), key, kwargs)

  def _lookup(self, lang: str, key: str) -> str | None:
    text = self.messages.get(lang, {}).get(key)
    if text is None:
      text = self.messages[FALLBACK].get(key)
    return text


def is_singular(lang: str, number: int) -> bool:
  """English says "0 items" and "1 item"; French "0 élément" and "1 élément" (CLDR: 0 and 1 are "one")."""
  return number in (0, 1) if lang == "fr" else number == 1


def format_message(text: str | None, key: str, arguments: dict) -> str:
  """A catalogue message with its arguments; a readable sentence from the key when there is none."""
  if text is None:
    text = key.rsplit(".", 1)[-1].replace("_", " ").replace("-", " ").capitalize()
  if arguments:
    try:
      text = text.format(**arguments)
    except (KeyError, IndexError, ValueError):
      pass
  return text


LANGUAGE_COOKIE = "pm_lang"


def negotiate_language(request) -> str:
  """The language chosen with the switcher (the ``pm_lang`` cookie), else the browser's preferred
  supported language, else the configured default (``PM_LANG``)."""
  chosen = request.cookies.get(LANGUAGE_COOKIE)
  if chosen in LANGUAGES:
    return chosen
  default = request.registry.settings["prodmanager.lang"]
  header = request.accept_language
  if header:
    match = header.lookup(list(LANGUAGES), default=default)
    if match in LANGUAGES:
      return match
  return default


def add_translations(config, asset_spec: str) -> None:
  """Directive: load ``en.yaml``/``fr.yaml`` from a folder given as an asset spec (``pkg:translations``).

  Folders load in registration order (the core's first, then each plugin's in load order), a
  later catalogue overriding the keys it repeats; registering one folder twice is a conflict.
  """
  directory = Path(AssetResolver().resolve(asset_spec).abspath())
  if not directory.is_dir():
    raise ConfigurationError(f"add_translations: {asset_spec!r} is not a folder ({directory})")
  register(
    config,
    ("prodmanager.translations", str(directory)),
    lambda: app_state(config.registry).catalogues.load_directory(directory),
    what="translations",
    title=asset_spec,
    directory=str(directory),
  )


def includeme(config):
  app_state(config.registry).catalogues = Catalogues()
  config.add_directive("add_translations", add_translations)
  config.add_translations("prodmanager:translations")

  def lang(request):
    return negotiate_language(request)

  def translate(request):
    catalogues = app_state(request.registry).catalogues
    language = request.lang

    def _(key: str, **kwargs) -> str:
      return catalogues.translate(language, key, **kwargs)

    return _

  config.add_request_method(lang, reify=True)
  config.add_request_method(translate, "_", reify=True)
