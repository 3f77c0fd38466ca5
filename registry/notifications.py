"""Texts the registry sends to people: the message a follower gets when a recruiter's status changes,
and the message a worker gets when their fee report is decided (triaged, or the decision revised).

Every status has its own whole message in every language (no status word slotted into a frame: that
reads wrong in most languages). Each names the recruiter (legal name and public id) and says how to
see the details (``/verify <public id>``); bad news tells the worker to pay nothing. A decided report's
message names the case code and says how to follow the case (``/mycases``). The texts live in
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

# One whole message per triage outcome of a worker's own report; {case_code} is the report's case code.
CASE_DECIDED = {
    "substantiated": N_(
        "🔔 Your report {case_code} has been checked, and we found that this fee was charged to you "
        "unfairly. It is now recorded against the recruiter, who will be asked to pay you back.\n\n"
        "See your case with /mycases"
    ),
    "unsubstantiated": N_(
        "🔔 Your report {case_code} has been checked. We could not confirm the fee with the information "
        "we have. If you have more proof, such as a receipt, you can send a new report with /report.\n\n"
        "See your case with /mycases"
    ),
    "duplicate": N_(
        "🔔 Your report {case_code} has been checked. The same fee had already been reported, so your "
        "case is handled together with that report.\n\n"
        "See your case with /mycases"
    ),
    "out_of_scope": N_(
        "🔔 Your report {case_code} has been checked. It is about something FairRecruit cannot act on, so "
        "the case is closed.\n\n"
        "See your case with /mycases"
    ),
}
# The same outcomes when an earlier decision on the report was revised.
CASE_REVISED = {
    "substantiated": N_(
        "🔔 The decision on your report {case_code} has changed: we now find that this fee was charged to "
        "you unfairly. It is recorded against the recruiter, who will be asked to pay you back.\n\n"
        "See your case with /mycases"
    ),
    "unsubstantiated": N_(
        "🔔 The decision on your report {case_code} has changed: we could not confirm the fee with the "
        "information we have. If you have more proof, such as a receipt, you can send a new report with "
        "/report.\n\n"
        "See your case with /mycases"
    ),
    "duplicate": N_(
        "🔔 The decision on your report {case_code} has changed: the same fee had already been reported, "
        "so your case is handled together with that report.\n\n"
        "See your case with /mycases"
    ),
    "out_of_scope": N_(
        "🔔 The decision on your report {case_code} has changed: it is about something FairRecruit cannot "
        "act on, so the case is closed.\n\n"
        "See your case with /mycases"
    ),
}
# An outcome this version does not know yet still gets a whole sentence.
CASE_DECIDED_OTHER = N_("🔔 There is news about your report {case_code}.\n\nSee your case with /mycases")


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


def case_decided(lang: str | None, payload: dict) -> str:
    """The message to the worker who sent a report, about a `case.decided` payload, in language `lang`.

    Only the case code and the outcome go out: never the auditor's note or reason.
    """
    _ = translations(language(lang)).gettext
    data = (payload or {}).get("data", payload or {})
    texts = CASE_REVISED if data.get("revised") else CASE_DECIDED
    message = texts.get(data.get("status"), CASE_DECIDED_OTHER)
    return _(message).format(case_code=data.get("case_code", ""))
