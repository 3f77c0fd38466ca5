"""ISO 3166-1 countries and ISO 4217 currencies, from Babel's CLDR data (no hand-kept lists)."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.numbers import get_territory_currencies

from registry.errors import InvalidInput


@lru_cache(maxsize=1)
def _territories() -> dict[str, str]:
    names = Locale("en").territories
    # Two-letter codes only (regions such as "001" are numeric); drop deprecated/exceptional ones.
    return {
        k: v
        for k, v in names.items()
        if len(k) == 2 and k.isalpha() and k not in {"ZZ", "EU", "EZ", "UN", "QO"}
    }


def country_name(code: str, locale: str = "en") -> str:
    try:
        return Locale.parse(locale).territories.get(code, code)
    except Exception:
        return _territories().get(code, code)


def is_country(code: str) -> bool:
    return (code or "").upper() in _territories()


def require_country(code: str) -> str:
    c = (code or "").strip().upper()
    if c not in _territories():
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. NP, BD, PH, QA)")
    return c


def countries() -> list[tuple[str, str]]:
    return sorted(_territories().items(), key=lambda kv: kv[1])


def default_currency(country: str) -> str | None:
    cur = get_territory_currencies(country, tender=True)
    return cur[0] if cur else None


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(Locale("en").currencies)


def require_currency(code: str) -> str:
    c = (code or "").strip().upper()
    if len(c) != 3 or c not in _currencies():
        raise InvalidInput(
            f"{code!r} is not an ISO 4217 currency code (e.g. NPR, USD, QAR)",
            field="currency",
            code="unknown_currency",
            params={"currency": code},
        )
    return c
