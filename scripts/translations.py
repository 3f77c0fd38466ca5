"""Extract, update and compile the registry's gettext catalogs (Babel): the public web pages (domain
`messages`) and the notifications sent to followers (domain `notifications`).

    python scripts/translations.py            # extract + update + compile (what `make translations` runs)
    python scripts/translations.py extract    # registry/translations/<domain>.pot from the sources
    python scripts/translations.py update     # merge each template into every language's .po
    python scripts/translations.py compile    # .po -> .mo (the files Flask-Babel and gettext read)
    python scripts/translations.py check      # exit 1 if a message is missing, fuzzy or stale

Sources: the public templates (registry/web/templates/public) and the public Python modules for
`messages`; registry/notifications.py for `notifications`. The bot keeps its own catalogs under
bot/locales; when bot/i18n_build.py exists it is run as well.
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
LANGUAGES = ["ne", "bn", "tl", "id"]  # English is the source language


# domain -> (Babel method map, options map, keywords)
DOMAINS = {
    "messages": (
        [
            ("web/templates/public/**.html", "jinja2.ext:babel_extract"),
            ("web/public.py", "python"),
            ("web/i18n.py", "python"),
        ],
        {"web/templates/public/**.html": {"trimmed": "true"}},
        {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None},
    ),
    "notifications": ([("notifications.py", "python")], {}, {"_": None, "N_": None}),
}
DOMAIN = "messages"  # the public pages' domain (the default of the functions below)
POT = TRANSLATIONS / f"{DOMAIN}.pot"


# Babel knows Tagalog as Filipino (`tl` resolves to `fil_PH`), so its catalog lives under `fil`.
CATALOG_DIRS = {"tl": "fil"}


def _pot_path(domain: str = DOMAIN) -> Path:
    return TRANSLATIONS / f"{domain}.pot"


def _po_path(lang: str, domain: str = DOMAIN) -> Path:
    return TRANSLATIONS / CATALOG_DIRS.get(lang, lang) / "LC_MESSAGES" / f"{domain}.po"


def extract(domain: str = DOMAIN) -> Catalog:
    method_map, options_map, keywords = DOMAINS[domain]
    catalog = Catalog(project="FairRecruit", msgid_bugs_address="", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE_DIR), method_map, options_map, keywords=keywords
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


def write_template(domain: str = DOMAIN) -> Catalog:
    template = extract(domain)
    pot = _pot_path(domain)
    if pot.exists():  # same messages as last time: keep the date, so a rebuild changes no file
        with pot.open("rb") as f:
            previous = read_po(f)
        if {m.id for m in previous if m.id} == {m.id for m in template if m.id}:
            template.creation_date = previous.creation_date
    _write(template, pot, no_location=False)
    print(f"extracted {len(template)} messages -> {pot.relative_to(ROOT)}")
    return template


def update(template: Catalog, domain: str = DOMAIN) -> None:
    for lang in LANGUAGES:
        path = _po_path(lang, domain)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
            catalog.update(template, update_header_comment=False)
        else:
            catalog = Catalog(locale=lang, domain=domain, project="FairRecruit", charset="utf-8", fuzzy=False)
            catalog.update(template)
        _write(catalog, path, ignore_obsolete=True, include_previous=False)
        missing = sum(1 for m in catalog if m.id and (not _translated(m) or m.fuzzy))
        print(f"updated {path.relative_to(ROOT)} ({missing} untranslated or fuzzy)")


def _translated(message) -> bool:
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def compile_all(domain: str = DOMAIN) -> None:
    for lang in LANGUAGES:
        path = _po_path(lang, domain)
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        path.with_suffix(".mo").write_bytes(_compiled(catalog))
        print(f"compiled {path.with_suffix('.mo').relative_to(ROOT)}")


def _compiled(catalog: Catalog) -> bytes:
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def check() -> int:
    """Problems that would show a worker English text: missing, fuzzy or stale catalog entries."""
    problems: list[str] = []
    for domain in DOMAINS:
        template = extract(domain)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
        for lang in LANGUAGES:
            path = _po_path(lang, domain)
            if not path.exists():
                problems.append(f"{lang}: no {domain} catalog")
                continue
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
            have = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
            for mid in sorted(ids):
                m = have.get(mid)
                if m is None or not _translated(m) or m.fuzzy:
                    problems.append(f"{lang}: {mid!r} not translated ({domain})")
            mo = path.with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != _compiled(catalog):
                problems.append(f"{lang}: {mo.name} does not match {path.name} (run make translations)")
    for p in problems:
        print(p)
    return 1 if problems else 0


def build_bot() -> None:
    if (ROOT / "bot" / "i18n_build.py").exists():
        subprocess.run([sys.executable, "-m", "bot.i18n_build"], cwd=ROOT, check=True)


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "all"
    if what == "extract":
        for domain in DOMAINS:
            write_template(domain)
    elif what == "update":
        for domain in DOMAINS:
            update(write_template(domain), domain)
    elif what == "compile":
        for domain in DOMAINS:
            compile_all(domain)
    elif what == "check":
        return check()
    elif what == "all":
        for domain in DOMAINS:
            update(write_template(domain), domain)
            compile_all(domain)
        build_bot()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
