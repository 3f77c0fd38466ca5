"""Build the bot's gettext catalogs with Babel: extract -> update -> compile.

    python -m bot.i18n_build            # extract bot/locales/bot.pot, update every .po, compile .mo
    python -m bot.i18n_build --check    # also fail if a message is untranslated or fuzzy

Messages are marked with ``_("...")`` (translated at run time) or ``N_("...")`` (marked only) in bot/.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DEFAULT, DOMAIN, LANGUAGES, LOCALES_DIR

BOT_DIR = Path(__file__).parent
KEYWORDS = {"_": None, "N_": None}
METHOD_MAP = [("**.py", "python")]
POT = LOCALES_DIR / f"{DOMAIN}.pot"
# Babel's locale for each catalog (plural rules, headers); Tagalog catalogs use Filipino's rules.
BABEL_LOCALE = {"tl": "fil"}


def extract() -> Catalog:
    template = Catalog(
        project="FairRecruit bot",
        version="1",
        charset="utf-8",
        creation_date=datetime(2026, 1, 1, tzinfo=UTC),
        fuzzy=False,
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        str(BOT_DIR),
        method_map=METHOD_MAP,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
    ):
        if not message or "i18n_build" in filename:
            continue
        template.add(
            message,
            None,
            [(f"bot/{filename}", lineno)],
            auto_comments=comments,
            context=context,
            flags=("python-brace-format",) if "{" in message else (),
        )
    return template


def po_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(lang: str, template: Catalog) -> Catalog:
    path = po_path(lang)
    if path.exists():
        with open(path, "rb") as f:
            catalog = read_po(f, locale=BABEL_LOCALE.get(lang, lang))
    else:
        catalog = Catalog(locale=BABEL_LOCALE.get(lang, lang), domain=DOMAIN, project="FairRecruit bot")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    catalog.project, catalog.version = "FairRecruit bot", "1"
    return catalog


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        write_po(f, catalog, width=100, omit_header=False, include_previous=False, sort_output=False)


def compile_mo(catalog: Catalog, path: Path) -> None:
    with open(path, "wb") as f:
        write_mo(f, catalog, use_fuzzy=False)


def problems(catalog: Catalog) -> list[str]:
    out = []
    for m in catalog:
        if not m.id:
            continue
        if not m.string:
            out.append(f"untranslated: {m.id!r}")
        elif m.fuzzy:
            out.append(f"fuzzy: {m.id!r}")
    return out


def build(check: bool = False) -> int:
    template = extract()
    write(template, POT)
    failed = 0
    for lang in LANGUAGES:
        if lang == DEFAULT:
            continue
        catalog = load(lang, template)
        write(catalog, po_path(lang))
        compile_mo(catalog, po_path(lang).with_suffix(".mo"))
        todo = problems(catalog)
        print(f"{lang}: {len(template)} messages, {len(todo)} to translate")
        if check and todo:
            failed += 1
            for p in todo:
                print(f"  {p}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on untranslated or fuzzy messages")
    args = parser.parse_args(argv)
    return build(check=args.check)


if __name__ == "__main__":
    sys.exit(main())
