"""Texts the registry sends to people: the message a follower gets when a recruiter's status changes.

Every status has its own whole message in every language (no status word slotted into a frame: that
reads wrong in most languages). Each names the recruiter (legal name and public id) and says how to
see the details (``/verify <public id>``); bad news tells the worker to pay nothing. The texts live in
the gettext domain ``notifications`` (``registry/translations/<lang>/LC_MESSAGES/notifications.po``,
built by ``make translations``), so the workers render them without the bot package.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

DOMAIN = "notifications"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DEFAULT = "en"
LANGUAGES = ("en", "ne", "bn", "tl", "id")
# Babel knows Tagalog as Filipino (`tl` resolves to `fil_PH`), so its catalogs live under `fil`.
CATALOG_DIRS = {"tl": "fil"}
_ALIASES = {"fil": "tl", "in": "id", "npi": "ne"}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: marked for extraction only
    return message


# One whole message per status a recruiter can move to; {name} is the legal name, {public_id} its id.
STATUS_CHANGED = {
    "accredited": N_(
        "🔔 Good news: {name} ({public_id}) is now accredited by FairRecruit.\n\n"
        "Check the details with /verify {public_id}"
    ),
    "suspended": N_(
        "🔔 Warning: the accreditation of {name} ({public_id}) has been suspended.\n\n"
        "Pay no fee to this recruiter. If you already paid, tell us with /report.\n\n"
        "Check the details with /verify {public_id}"
    ),
    "expired": N_(
        "🔔 The accreditation of {name} ({public_id}) has expired. This recruiter is not accredited "
        "any more.\n\n"
        "Pay no fee to this recruiter. If you already paid, tell us with /report.\n\n"
        "Check the details with /verify {public_id}"
    ),
    "withdrawn": N_(
        "🔔 Warning: the accreditation of {name} ({public_id}) has been withdrawn.\n\n"
        "Pay no fee to this recruiter. If you already paid, tell us with /report.\n\n"
        "Check the details with /verify {public_id}"
    ),
    "applicant": N_(
        "🔔 {name} ({public_id}) has applied for accreditation again. It is not accredited yet.\n\n"
        "Check the details with /verify {public_id}"
    ),
    "rejected": N_(
        "🔔 The application of {name} ({public_id}) for accreditation has been rejected. This recruiter "
        "is not accredited.\n\n"
        "Pay no fee to this recruiter. If you already paid, tell us with /report.\n\n"
        "Check the details with /verify {public_id}"
    ),
}
# A status this version does not know yet still gets a whole sentence.
STATUS_CHANGED_OTHER = N_(
    "🔔 The accreditation status of {name} ({public_id}) has changed.\n\nCheck the details with /verify {public_id}"
)
HOW_TO_STOP = N_("Send /follow to stop these messages.")


def language(code: str | None) -> str:
    """One of LANGUAGES for a stored or Telegram language code ("ne", "bn-BD", "fil", ...); English otherwise."""
    lang = (code or "").strip().lower().replace("_", "-").split("-")[0]
    lang = _ALIASES.get(lang, lang)
    return lang if lang in LANGUAGES else DEFAULT


def catalog_path(lang: str, suffix: str = ".po") -> Path:
    return TRANSLATIONS_DIR / CATALOG_DIRS.get(lang, lang) / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT or lang not in LANGUAGES:
        return gettext.NullTranslations()
    return gettext.translation(
        DOMAIN, localedir=str(TRANSLATIONS_DIR), languages=[CATALOG_DIRS.get(lang, lang)]
    )


def status_changed(lang: str | None, payload: dict) -> str:
    """The follower's message about a `recruiter.status_changed` payload, in language `lang`.

    Only the recruiter's public status goes out: never the internal reason of the decision.
    """
    _ = translations(language(lang)).gettext
    data = (payload or {}).get("data", payload or {})
    rec = data.get("recruiter", {})
    message = STATUS_CHANGED.get(data.get("to"), STATUS_CHANGED_OTHER)
    text = _(message).format(name=rec.get("legal_name", ""), public_id=rec.get("public_id", ""))
    return f"{text}\n\n{_(HOW_TO_STOP)}"
