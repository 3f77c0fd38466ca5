"""Reading what workers type: amounts with an optional currency, dates, countries."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale

from registry.errors import InvalidInput
from registry.services.countries import countries, require_currency
from registry.services.reports import parse_amount


class BadInput(ValueError):
    """Input the worker should type again; ``kind`` names the problem, ``detail`` what was typed."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


# The registry's error codes for an amount -> what the bot tells the worker (handlers/report.py).
AMOUNT_PROBLEMS = {
    "amount_not_a_number": "not_number",
    "amount_too_small": "not_positive",
    "amount_too_large": "too_large",
}


def ascii_digits(text: str) -> str:
    """Turn any Unicode decimal digits (Devanagari, Bengali, ...) into 0-9."""
    out = []
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            try:
                out.append(str(unicodedata.decimal(ch)))
                continue
            except ValueError:
                pass
        out.append(ch)
    return "".join(out)


_NUMBER = re.compile(r"^[-+−]?\d[\d,. ]*$")
_SPLIT = re.compile(
    r"^\s*(?:(?P<c1>[^\d\s.,+\-−]+)\s*)?(?P<num>[-+−]?\s*\d[\d,.\s]*?)\s*(?P<c2>[^\d\s.,]+)?\s*$"
)


def parse_amount_text(text: str, default_currency: str | None) -> tuple[Decimal, str]:
    """'1500', '1,500 NPR', 'usd 200' -> (amount, currency). Raises BadInput."""
    raw = ascii_digits((text or "").strip())
    m = _SPLIT.match(raw)
    if not m:
        raise BadInput("not_number", raw)
    number = m.group("num").replace(" ", "").replace("−", "-")
    cur_text = (m.group("c1") or m.group("c2") or "").strip()
    if number.startswith("-"):
        raise BadInput("not_positive", raw)
    try:
        amount = parse_amount(number)
    except InvalidInput as e:
        raise BadInput(AMOUNT_PROBLEMS.get(e.code, "not_number"), raw) from None
    if cur_text:
        try:
            currency = require_currency(cur_text)
        except InvalidInput:
            raise BadInput("unknown_currency", cur_text[:20]) from None
    elif default_currency:
        currency = default_currency
    else:
        raise BadInput("no_currency", raw)
    return amount, currency


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y", "%d/%m/%y", "%Y/%m/%d")
_MONTH_FORMATS = ("%m/%Y", "%m.%Y", "%Y-%m")


def parse_date_text(text: str, today: date) -> date:
    """'2024-03-15', '15.03.2024', '15/3/2024', '03/2024' (first of the month). Raises BadInput."""
    raw = ascii_digits((text or "").strip()).replace(" ", "")
    found = None
    for fmt in _DATE_FORMATS:
        try:
            found = datetime.strptime(raw, fmt).date()
            break
        except ValueError:
            continue
    if found is None:
        for fmt in _MONTH_FORMATS:
            try:
                found = datetime.strptime(raw, fmt).date()
                break
            except ValueError:
                continue
    if found is None:
        raise BadInput("unreadable", raw[:30])
    if found > today:
        raise BadInput("future", raw[:30])
    if found < date(1990, 1, 1):
        raise BadInput("too_old", raw[:30])
    return found


@lru_cache(maxsize=8)
def _country_names(locale: str) -> dict[str, str]:
    """Lower-cased country names (in `locale` and in English) and codes -> ISO code."""
    codes = {code for code, _ in countries()}
    table: dict[str, str] = {}
    for loc in dict.fromkeys(("en", locale)):
        names = Locale.parse(loc).territories
        for code in codes:
            if code in names:
                table[names[code].casefold()] = code
    for code in codes:
        table[code.casefold()] = code
    table.update(
        {"uae": "AE", "ksa": "SA", "saudi": "SA", "dubai": "AE", "korea": "KR", "usa": "US", "uk": "GB"}
    )
    return table


def match_country(text: str, locale: str = "en") -> str | None:
    key = " ".join((text or "").split()).casefold()
    return _country_names(locale).get(key) if key else None
