"""The old names of the bot's readers, kept for their callers; the readers live in ``registry.parsing``.

New code calls ``registry.parsing.money.parse_amount``, ``registry.parsing.dates.parse_date`` and
``registry.services.countries.match_country`` directly (they are channel-agnostic and return the
currency candidates, alternative readings and date precision that these wrappers drop).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from registry.errors import InvalidInput
from registry.parsing.dates import parse_date
from registry.parsing.money import parse_amount, with_currency
from registry.parsing.text import ascii_digits
from registry.services.countries import match_country

__all__ = [
    "AMOUNT_PROBLEMS",
    "BadInput",
    "ascii_digits",
    "match_country",
    "parse_amount_text",
    "parse_date_text",
]


class BadInput(ValueError):
    """Input the worker should type again; ``kind`` names the problem, ``detail`` what was typed."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


# The registry's error codes for an amount -> the problem kinds of BadInput.
AMOUNT_PROBLEMS = {
    "amount_unreadable": "not_number",
    "amount_not_positive": "not_positive",
    "amount_too_large": "too_large",
    "unknown_currency": "unknown_currency",
    "amount_currency_conflict": "no_currency",
}
DATE_PROBLEMS = {"date_in_future": "future", "date_too_old": "too_old"}


def parse_amount_text(
    text: str, default_currency: str | None, *, language: str | None = None
) -> tuple[Decimal, str]:
    """'1500', '1,500 NPR', 'usd 200', '1.5 lakh' -> (amount, currency); the default when none is named."""
    context = (default_currency,) if default_currency else ()
    try:
        reading = parse_amount(text, language=language, context_currencies=context)
        if reading.currency is None and not reading.currency_candidates and default_currency:
            reading = with_currency(reading, default_currency)
    except InvalidInput as e:
        detail = str(e.params.get("currency") or e.params.get("text") or "")
        raise BadInput(AMOUNT_PROBLEMS.get(e.code, "not_number"), detail) from None
    if reading.currency is None:
        raise BadInput("no_currency", (text or "").strip()[:40])
    return reading.amount, reading.currency


def parse_date_text(text: str, today: date, *, language: str | None = None) -> date:
    """'2024-03-15', '15.03.2024', '03/2024' (the first of the month), 'yesterday' -> date."""
    try:
        return parse_date(text, today=today, language=language).value
    except InvalidInput as e:
        raise BadInput(DATE_PROBLEMS.get(e.code, "unreadable"), str(e.params.get("text", ""))) from None
