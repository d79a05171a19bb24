"""Languages: negotiation, default language, fallbacks and catalogue consistency."""

import re
import string
from pathlib import Path

import pytest
import yaml

import prodmanager
from prodmanager.i18n import Catalogues, flatten
from prodmanager.plugins import installed_plugins
from prodmanager.state import app_state

# Translations do not depend on the database.
pytestmark = pytest.mark.one_backend

PAGES = ("/", "/scope", "/service", "/monitor", "/login", "/about")


def html_lang(page) -> str:
  return re.search(r'<html lang="([^"]+)"', page.text).group(1)


def nav_text(page) -> str:
  return re.search(r'<nav class="site-nav".*?</nav>', page.text, re.S).group(0)


def test_accept_language_fr_gives_french(webapp, registry):
  french = app_state(registry).catalogues.messages["fr"]
  page = webapp.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
  assert html_lang(page) == "fr"
  assert french["nav.scope"] in nav_text(page)
  assert french["nav.monitor"] in nav_text(page)
  assert ">Scopes<" not in page.text
  assert french["footer.about"] in page.text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_follows_the_browser_language(webapp, path):
  assert html_lang(webapp.get(path, headers={"Accept-Language": "fr"})) == "fr"
  assert html_lang(webapp.get(path, headers={"Accept-Language": "en-GB"})) == "en"


def test_default_language_without_header_is_english(webapp, registry):
  page = webapp.get("/")
  assert html_lang(page) == "en"
  assert app_state(registry).catalogues.messages["en"]["nav.scope"] in nav_text(page)


def test_unsupported_language_falls_back_to_the_default(webapp):
  assert html_lang(webapp.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})) == "en"


def test_pm_lang_sets_the_default_language(build_app):
  french_app = build_app(lang="fr")
  page = french_app.get("/scope")
  assert html_lang(page) == "fr"
  assert "Périmètres" in page.text
  # The browser's language still wins over the default.
  assert html_lang(french_app.get("/scope", headers={"Accept-Language": "en"})) == "en"
  assert html_lang(french_app.get("/scope", headers={"Accept-Language": "de"})) == "fr"


def test_login_error_is_translated(webapp, registry):
  form = webapp.get("/login", headers={"Accept-Language": "fr"}).forms["login-form"]
  form["secret"] = "wrong secret"
  page = form.submit(headers={"Accept-Language": "fr"}, status=401)
  assert app_state(registry).catalogues.messages["fr"]["auth.invalid_secret"] in page.text


def write_catalogue(folder: Path, lang: str, data: dict):
  folder.mkdir(parents=True, exist_ok=True)
  (folder / f"{lang}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_key_missing_in_french_falls_back_to_english(tmp_path):
  write_catalogue(tmp_path, "en", {"demo": {"both": "Both", "english_only": "Only in English"}})
  write_catalogue(tmp_path, "fr", {"demo": {"both": "Les deux"}})
  catalogues = Catalogues()
  catalogues.load_directory(tmp_path)
  assert catalogues.translate("fr", "demo.both") == "Les deux"
  assert catalogues.translate("fr", "demo.english_only") == "Only in English"
  assert catalogues.translate("en", "demo.both") == "Both"


def test_later_catalogues_complete_earlier_ones(tmp_path):
  write_catalogue(tmp_path / "core", "en", {"a": {"x": "X"}})
  write_catalogue(tmp_path / "plugin", "en", {"a": {"y": "Y"}})
  catalogues = Catalogues()
  catalogues.load_directory(tmp_path / "core")
  catalogues.load_directory(tmp_path / "plugin")  # a folder without fr.yaml is fine
  assert catalogues.translate("en", "a.x") == "X"
  assert catalogues.translate("fr", "a.y") == "Y"


def test_key_missing_everywhere_is_never_shown_raw(registry):
  catalogues = app_state(registry).catalogues
  for lang in ("en", "fr"):
    text = catalogues.translate(lang, "errors.some_unknown_message")
    assert text == "Some unknown message"
    assert "." not in text
  assert catalogues.translate("fr", "nothing") == "Nothing"
  assert catalogues.translate("en", "flash.my-new_key") == "My new key"


def test_missing_french_key_falls_back_in_the_application(registry, monkeypatch):
  catalogues = app_state(registry).catalogues
  monkeypatch.setitem(catalogues.messages["en"], "test.english_only", "English only text")
  assert "test.english_only" not in catalogues.messages["fr"]
  assert catalogues.translate("fr", "test.english_only") == "English only text"


def test_placeholders_are_filled_and_bad_ones_do_not_break(registry):
  catalogues = app_state(registry).catalogues
  assert "9.9.9" in catalogues.translate("en", "footer.powered_by", version="9.9.9")
  assert "9.9.9" in catalogues.translate("fr", "footer.powered_by", version="9.9.9")
  # A missing argument leaves the text as it is rather than failing the page.
  assert catalogues.translate("en", "footer.powered_by", other="x")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_raw_key_in_pages(webapp, registry, lang):
  sections = sorted({key.split(".")[0] for key in app_state(registry).catalogues.messages["en"]})
  raw_key = re.compile(rf"\b(?:{'|'.join(map(re.escape, sections))})\.[a-z_]+\b")
  for path in PAGES:
    page = webapp.get(path, headers={"Accept-Language": lang})
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page.text, flags=re.S))
    assert not raw_key.findall(visible), f"raw translation keys on {path} ({lang})"


def catalogue_folders() -> list[Path]:
  folders = [Path(prodmanager.__file__).parent / "translations"]
  for plugin in installed_plugins().values():
    folder = Path(plugin.module.__file__).parent / "translations"
    if folder.is_dir():
      folders.append(folder)
  return folders


def load(folder: Path, lang: str) -> dict[str, str]:
  path = folder / f"{lang}.yaml"
  if not path.exists():
    return {}
  with path.open(encoding="utf-8") as stream:
    return flatten(yaml.safe_load(stream) or {})


def placeholders(text: str) -> set[str]:
  return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("folder", catalogue_folders(), ids=lambda folder: folder.parent.name)
def test_french_catalogue_has_every_english_key(folder):
  english, french = load(folder, "en"), load(folder, "fr")
  assert english, f"{folder} has no en.yaml"
  missing = sorted(set(english) - set(french))
  assert not missing, f"keys of {folder}/en.yaml missing in fr.yaml: {missing}"
  extra = sorted(set(french) - set(english))
  assert not extra, f"keys of {folder}/fr.yaml unknown in en.yaml: {extra}"
  for key, text in english.items():
    assert text.strip(), f"{key} is empty in en.yaml"
    assert french[key].strip(), f"{key} is empty in fr.yaml"
    assert placeholders(french[key]) == placeholders(text), f"{key}: placeholders differ between en and fr"
