"""The bot's gettext catalogs: every message of the code is translated in every language, with the
same placeholders, and the committed .mo files match the .po files."""

from __future__ import annotations

import gettext
import re

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import DEFAULT, LANGUAGES, LOCALES_DIR
from bot.i18n_build import extract, po_path

PLACEHOLDER = re.compile(r"\{(\w*)\}")
COMMAND = re.compile(r"(?<![\w/])/[a-z]+\b")
OTHER_LANGUAGES = [lang for lang in LANGUAGES if lang != DEFAULT]


@pytest.fixture(scope="module")
def template():
    return extract()


def test_the_template_is_up_to_date(template):
    with open(LOCALES_DIR / "bot.pot", "rb") as f:
        committed = read_po(f)
    assert {m.id for m in template if m.id} == {m.id for m in committed if m.id}, "run `make translations`"


def catalog_problems(template, catalog) -> list[str]:
    problems = []
    for msg in template:
        if not msg.id:
            continue
        tr = catalog.get(msg.id)
        if tr is None or not tr.string:
            problems.append(f"missing: {msg.id!r}")
            continue
        if tr.fuzzy:
            problems.append(f"fuzzy: {msg.id!r}")
        if sorted(PLACEHOLDER.findall(msg.id)) != sorted(PLACEHOLDER.findall(tr.string)):
            problems.append(f"placeholders differ: {msg.id!r} -> {tr.string!r}")
            continue
        if sorted(COMMAND.findall(msg.id)) != sorted(COMMAND.findall(tr.string)):
            problems.append(f"commands differ: {msg.id!r} -> {tr.string!r}")
        try:  # formatting with the English names must work
            tr.string.format(**dict.fromkeys(PLACEHOLDER.findall(msg.id), "x"))
        except (KeyError, IndexError, ValueError) as e:
            problems.append(f"cannot format {tr.string!r}: {e}")
    return problems


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(template, lang):
    with open(po_path(lang), "rb") as f:
        catalog = read_po(f)
    problems = catalog_problems(template, catalog)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_compiled_catalog_matches_the_po(lang):
    with open(po_path(lang), "rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    with open(po_path(lang).with_suffix(".mo"), "rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert mo == po, "run `make translations` to recompile"
    t = gettext.translation("bot", localedir=str(LOCALES_DIR), languages=[lang])
    assert t.gettext("Choose your language:") == po["Choose your language:"]


def test_translations_are_not_english(template):
    """A translated catalog that copied the English would pass the checks above; catch that."""
    for lang in OTHER_LANGUAGES:
        with open(po_path(lang), "rb") as f:
            catalog = read_po(f)
        long_ids = [m.id for m in template if m.id and len(m.id) > 40]
        same = [i for i in long_ids if catalog.get(i) and catalog.get(i).string == i]
        assert not same, (lang, same)


def test_the_check_detects_a_missing_message_and_different_placeholders(template):
    """The check itself can fail."""
    with open(po_path("ne"), "rb") as f:
        catalog = read_po(f)
    assert catalog_problems(template, catalog) == []
    missing = next(m.id for m in template if m.id and "{" not in m.id)
    catalog.delete(missing)
    with_placeholder = next(m.id for m in template if m.id and "{date}" in m.id)
    catalog[with_placeholder].string = catalog[with_placeholder].string.replace("{date}", "{day}")
    problems = catalog_problems(template, catalog)
    assert f"missing: {missing!r}" in problems
    assert any(p.startswith(f"placeholders differ: {with_placeholder!r}") for p in problems)
