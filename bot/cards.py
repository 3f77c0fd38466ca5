"""Plain-language texts about a recruiter: the status card and its labels."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot.i18n import N_, gettext_for
from bot.services import Card
from registry.services.countries import country_name

# Babel/CLDR locale of each bot language (Tagalog is filed under Filipino in CLDR).
CLDR = {"en": "en", "ne": "ne", "bn": "bn", "tl": "fil", "id": "id"}

LICENCE = {
    "valid": N_("valid"),
    "expired": N_("expired"),
    "suspended": N_("suspended"),
    "cancelled": N_("cancelled"),
    "delisted": N_("removed from the list"),
    "banned": N_("banned"),
    "unknown": N_("not checked yet"),
}

CATEGORIES = {
    "recruitment_fee": N_("Recruitment or placement fee"),
    "medical": N_("Medical check"),
    "insurance": N_("Insurance"),
    "skills_test": N_("Skills test"),
    "training": N_("Training or orientation"),
    "equipment": N_("Tools or equipment"),
    "travel_lodging": N_("Travel or lodging"),
    "administrative": N_("Passport, visa or papers"),
    "deposit_or_bond": N_("Deposit or bond"),
    "bribe_or_kickback": N_("Bribe or kickback"),
    "other": N_("Something else"),
}

CASE_STATUS = {
    "new": N_("received, waiting for review"),
    "substantiated": N_("confirmed by our reviewers"),
    "unsubstantiated": N_("could not be confirmed"),
    "duplicate": N_("already reported"),
    "out_of_scope": N_("outside what we can act on"),
}


def fmt_date(d: date | None, lang: str) -> str:
    if d is None:
        return "?"
    return format_date(d, format="medium", locale=CLDR.get(lang, "en"))


def country(code: str, lang: str) -> str:
    return country_name(code, CLDR.get(lang, "en")) if code else ""


def status_card(card: Card, lang: str) -> str:
    _ = gettext_for(lang)
    head = f"{card.name} ({card.public_id}), {country(card.country, lang)}"
    since, until = fmt_date(card.since, lang), fmt_date(card.valid_until, lang)
    if card.status == "accredited":
        status = _("✅ Accredited until {date}.").format(date=until)
        advice = _(
            "This recruiter has promised to follow the FairRecruit standard. It must not ask you for any fee. If it does, tell us with /report."
        )
    elif card.status == "suspended":
        status = _("⛔ Accreditation suspended since {date}.").format(date=since)
        advice = _("Pay no fee to this recruiter. If you already paid, tell us with /report.")
    elif card.status == "withdrawn":
        status = _("⛔ Accreditation withdrawn since {date}.").format(date=since)
        advice = _("Pay no fee to this recruiter. If you already paid, tell us with /report.")
    elif card.status == "expired":
        status = _("⚠️ Accreditation expired on {date}.").format(
            date=fmt_date(card.valid_until or card.since, lang)
        )
        advice = _("Be careful. Pay no fee, and check the recruiter's licence with your government.")
    elif card.status == "rejected":
        status = _("⛔ Not accredited: the application was refused.")
        advice = _("Be careful. Pay no fee, and check the recruiter's licence with your government.")
    else:
        status = _("🕓 Applied for accreditation, not accredited yet.")
        advice = _("Be careful. Pay no fee, and check the recruiter's licence with your government.")
    licence = _("Government licence: {status}.").format(
        status=_(LICENCE.get(card.licence_status, LICENCE["unknown"]))
    )
    lines = [head, "", status, licence]
    if card.last_audit:
        lines.append(_("Last audit: {date}.").format(date=fmt_date(card.last_audit, lang)))
    lines += ["", advice]
    return "\n".join(lines)


def not_listed(query: str, lang: str) -> str:
    _ = gettext_for(lang)
    return "\n\n".join(
        [
            _("❓ “{query}” is not in the FairRecruit registry.").format(query=query[:100]),
            _(
                "Be careful: check the recruiter in your government's licence register before you pay or sign anything. Never give your passport to a recruiter."
            ),
        ]
    )
