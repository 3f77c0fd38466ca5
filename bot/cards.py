"""Plain-language texts about a recruiter: the status card and its labels."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot.i18n import N_, gettext_for
from bot.services import Card
from registry.services.countries import country_name
from registry.services.lookup import GOVERNMENT_REGISTERS

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
    lines += ["", *identity(card, lang), "", advice]
    return "\n".join(lines)


def identity(card: Card, lang: str) -> list[str]:
    """What tells the real agency from one that copies its name: licence, official contact,
    corridors, and the agency a sub-agent works for."""
    _ = gettext_for(lang)
    lines = []
    if card.licence_number:
        lines.append(
            _("Licence number: {number} ({authority}).").format(
                number=card.licence_number, authority=card.licence_authority or "?"
            )
        )
    if card.official_address:
        lines.append(_("Official address: {address}").format(address=card.official_address))
    if card.official_phone:
        lines.append(_("Official phone: {phone}").format(phone=card.official_phone))
    if card.corridors:
        routes = ", ".join(f"{country(o, lang)} → {country(d, lang)}" for o, d in card.corridors)
        lines.append(_("Sends workers: {routes}").format(routes=routes))
    if card.parent_name:
        lines.append(
            _("This is a sub-agent. It works for {name} ({public_id}). Check that agency too.").format(
                name=card.parent_name, public_id=card.parent_public_id
            )
        )
    return lines


def did_you_mean(cards: list[Card], lang: str) -> str:
    """Recruiters that resemble what was typed, none of them certain: full names, countries and
    licence numbers, and the warning that fake agencies copy real names."""
    _ = gettext_for(lang)
    lines = [_("No agency has exactly this name. Did you mean one of these?"), ""]
    for c in cards:
        if c.licence_number:
            lines.append(
                "• "
                + _("{name}, {country}, licence number {number}").format(
                    name=c.name, country=country(c.country, lang), number=c.licence_number
                )
            )
        else:
            lines.append(
                "• "
                + _("{name}, {country}, no licence number on record").format(
                    name=c.name, country=country(c.country, lang)
                )
            )
    lines += [
        "",
        _(
            "⚠️ Fake agencies copy the names of real ones. Compare the full name, the country and the licence number with what the agency showed you."
        ),
        _("Tap the agency to see its status, or “None of these”."),
    ]
    return "\n".join(lines)


def not_listed(query: str, lang: str) -> str:
    _ = gettext_for(lang)
    return "\n\n".join(
        [
            _("❓ “{query}” is not in the FairRecruit registry.").format(query=query[:100]),
            _(
                "Be careful: check the recruiter in your government's licence register before you pay or sign anything. Never give your passport to a recruiter."
            ),
            "\n".join(
                [_("Government licence registers:")]
                + [f"• {name}: {url}" for name, url in GOVERNMENT_REGISTERS.values()]
            ),
        ]
    )
