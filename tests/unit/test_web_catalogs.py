"""The public pages' gettext catalogs: every message translated in every language, same placeholders,
and the compiled .mo files up to date with the .po files."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from registry.web.i18n import LANGUAGES, catalog_path

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def _load_script():
    spec = importlib.util.spec_from_file_location("translations_script", ROOT / "scripts" / "translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def template() -> Catalog:
    """The messages the sources use right now (extracted afresh, not the checked-in .pot)."""
    return _load_script().extract()


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(0) != "%%")


def catalog_problems(template: Catalog, catalog: Catalog) -> list[str]:
    """Messages missing, untranslated, fuzzy, or with placeholders that differ from the source."""
    problems = []
    for msg in template:
        if not msg.id:
            continue
        key = msg.id
        found = catalog.get(key)
        label = key if isinstance(key, str) else key[0]
        if found is None:
            problems.append(f"missing: {label!r}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {label!r}")
        sources = [key] if isinstance(key, str) else list(key)
        strings = [found.string] if isinstance(found.string, str) else list(found.string or ())
        if not strings or not all(strings):
            problems.append(f"untranslated: {label!r}")
            continue
        wanted = placeholders(sources[-1])
        if isinstance(key, str):
            if placeholders(strings[0]) != wanted:
                problems.append(f"placeholders differ: {label!r}")
        else:
            for form in strings:
                if placeholders(form) != wanted:
                    problems.append(f"placeholders differ in a plural form: {label!r}")
    return problems


def _po(lang: str) -> Path:
    return catalog_path(lang)


def test_the_sources_have_messages(template):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert len(ids) > 50
    assert "Never pay a fee to get a job abroad. Your employer pays." in ids
    assert "Suspended since %(date)s" in ids


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(template, lang):
    with _po(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    assert catalog_problems(template, catalog) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalog_matches_the_po_file(lang):
    with _po(lang).open("rb") as f:
        po = read_po(f, locale=lang)
    mo_path = _po(lang).with_suffix(".mo")
    assert mo_path.exists(), "run `make translations`"
    with mo_path.open("rb") as f:
        mo = read_mo(f)
    for msg in po:
        if msg.id and not msg.fuzzy:
            compiled = mo.get(msg.id)
            assert compiled is not None, f"{lang}: {msg.id!r} missing from the .mo"
            as_list = list(compiled.string) if isinstance(msg.id, tuple) else compiled.string
            expected = list(msg.string) if isinstance(msg.id, tuple) else msg.string
            assert as_list == expected, f"{lang}: stale .mo for {msg.id!r}"


def test_the_checker_catches_missing_messages_and_placeholder_changes(template):
    lang = TRANSLATED[0]
    with _po(lang).open("rb") as f:
        catalog = read_po(f, locale=lang)
    catalog.delete("Not listed")
    catalog["Suspended since %(date)s"].string = "Suspended since %(day)s"
    catalog["Accredited"].string = ""
    problems = catalog_problems(template, catalog)
    assert "missing: 'Not listed'" in problems
    assert "placeholders differ: 'Suspended since %(date)s'" in problems
    assert "untranslated: 'Accredited'" in problems


def test_every_language_of_the_switcher_has_a_catalog():
    assert set(LANGUAGES) == {"en", "ne", "bn", "tl", "id"}
    for lang in TRANSLATED:
        assert _po(lang).exists(), lang
