"""Extract, update and compile the gettext catalogs of the public web pages (Babel).

    python scripts/translations.py            # extract + update + compile (what `make translations` runs)
    python scripts/translations.py extract    # registry/translations/messages.pot from the sources
    python scripts/translations.py update     # merge the template into every language's .po
    python scripts/translations.py compile    # .po -> .mo (the files Flask-Babel reads)
    python scripts/translations.py check      # exit 1 if a message is missing, fuzzy or stale

Sources: the public templates (registry/web/templates/public) and the public Python modules. The
bot keeps its own catalogs under bot/locales; when bot/i18n_build.py exists it is run as well.
"""

from __future__ import annotations

import subprocess
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "registry"
TRANSLATIONS = ROOT / "registry" / "translations"
DOMAIN = "messages"
POT = TRANSLATIONS / f"{DOMAIN}.pot"
LANGUAGES = ["ne", "bn", "tl", "id"]  # English is the source language
METHOD_MAP = [
    ("web/templates/public/**.html", "jinja2.ext:babel_extract"),
    ("web/public.py", "python"),
    ("web/i18n.py", "python"),
]
OPTIONS_MAP = {"web/templates/public/**.html": {"trimmed": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


# Babel knows Tagalog as Filipino (`tl` resolves to `fil_PH`), so its catalog lives under `fil`.
CATALOG_DIRS = {"tl": "fil"}


def _po_path(lang: str) -> Path:
    return TRANSLATIONS / CATALOG_DIRS.get(lang, lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    catalog = Catalog(project="FairRecruit", msgid_bugs_address="", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE_DIR), METHOD_MAP, OPTIONS_MAP, keywords=KEYWORDS
    ):
        catalog.add(
            message, None, [(f"registry/{filename}", lineno)], auto_comments=comments, context=context
        )
    return catalog


def _write(catalog: Catalog, path: Path, **kw) -> None:
    buf = BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=True, **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def write_template() -> Catalog:
    template = extract()
    if POT.exists():  # same messages as last time: keep the date, so a rebuild changes no file
        with POT.open("rb") as f:
            previous = read_po(f)
        if {m.id for m in previous if m.id} == {m.id for m in template if m.id}:
            template.creation_date = previous.creation_date
    _write(template, POT, no_location=False)
    print(f"extracted {len(template)} messages -> {POT.relative_to(ROOT)}")
    return template


def update(template: Catalog) -> None:
    for lang in LANGUAGES:
        path = _po_path(lang)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=lang, project="FairRecruit", charset="utf-8", fuzzy=False)
            catalog.update(template)
        _write(catalog, path, ignore_obsolete=True, include_previous=False)
        missing = sum(1 for m in catalog if m.id and (not _translated(m) or m.fuzzy))
        print(f"updated {path.relative_to(ROOT)} ({missing} untranslated or fuzzy)")


def _translated(message) -> bool:
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def compile_all() -> None:
    for lang in LANGUAGES:
        path = _po_path(lang)
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        buf = BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        path.with_suffix(".mo").write_bytes(buf.getvalue())
        print(f"compiled {path.with_suffix('.mo').relative_to(ROOT)}")


def check() -> int:
    """Problems that would show a worker English text: missing, fuzzy or stale catalog entries."""
    template = extract()
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    problems: list[str] = []
    for lang in LANGUAGES:
        path = _po_path(lang)
        if not path.exists():
            problems.append(f"{lang}: no catalog")
            continue
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        have = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
        for mid in sorted(ids):
            m = have.get(mid)
            if m is None or not _translated(m) or m.fuzzy:
                problems.append(f"{lang}: {mid!r} not translated")
        mo = path.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < path.stat().st_mtime:
            problems.append(f"{lang}: {mo.name} is older than {path.name} (run make translations)")
    for p in problems:
        print(p)
    return 1 if problems else 0


def build_bot() -> None:
    if (ROOT / "bot" / "i18n_build.py").exists():
        subprocess.run([sys.executable, "-m", "bot.i18n_build"], cwd=ROOT, check=True)


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "all"
    if what == "extract":
        write_template()
    elif what == "update":
        update(write_template())
    elif what == "compile":
        compile_all()
    elif what == "check":
        return check()
    elif what == "all":
        update(write_template())
        compile_all()
        build_bot()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
