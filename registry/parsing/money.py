"""Amounts as workers write them: "৩৫০০০০", "Rp 2.500.000", "1.5 lakh", "रु १,५०,०००", "$1,200".

See ``registry.parsing`` for the API. The currency is only ever the one the text names: a symbol, a
code or a word before or after the number. A name shared by several currencies is narrowed, in this
order, by

1. the worker's language, where that settles it: "Rs", "रु", "rupees", "rupiya" are NPR for a
   worker writing in Nepali;
2. ``context_currencies`` (e.g. the currencies of the recruiter's country and corridors): when
   exactly one of them is a candidate, it is taken;

and otherwise left open: ``currency`` is None and ``currency_candidates`` lists the candidates, for
the flow to ask. Nothing is inferred when the text names no currency at all.

Bounds: an amount is taken when it is worth at least MIN_AMOUNT_USD and at most the registry's
``fees.MAX_AMOUNT_USD`` on the day (FX table in ``config/fx_rates.csv``); the same bounds decide
which readings of an ambiguous number are plausible once the currency is known.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, get_currency_precision, get_territory_currencies

from registry.errors import InvalidInput
from registry.parsing.numbers import is_quantity_word, quantity_readings
from registry.parsing.text import CLDR_LOCALE, Token, fold, language_code, tokens, words
from registry.services.fees import MAX_AMOUNT_USD, FxTable

MIN_AMOUNT_USD = Decimal("1")  # smaller amounts are typing mistakes (or not a fee worth a report)
LARGEST = Decimal("1e12")  # what the database column holds
CENT = Decimal("0.01")

RUPEES = ("NPR", "INR", "PKR", "LKR")
DOLLARS = ("USD", "HKD", "SGD", "TWD", "AUD", "CAD")
RIYALS = ("SAR", "QAR", "OMR")
DINARS = ("KWD", "BHD", "JOD")


def _words(pairs: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for spec, codes in pairs.items():
        for w in spec.split("|"):
            out[fold(w)] = codes
    return out


# Symbols, abbreviations and words (folded; several tokens joined by one space) -> candidates.
CURRENCY_WORDS: dict[str, tuple[str, ...]] = _words(
    {
        "nrs|ne रु|नेरु|ने रु|nepali rupees|nepali rupee|nepalese rupees|nepali rupiya": ("NPR",),
        "₹|irs|indian rupees|indian rupee|भारु|भा रु": ("INR",),
        "rs|rupee|rupees|rupiya|rupiyaa|rupaiya|rupaiyan|rupaiyaa|rupya|रु|रुपैयाँ|रुपैया|रुपिया|रुपया|रुपये|রুপি": RUPEES,
        "৳|tk|taka|takas|টাকা|টাঃ": ("BDT",),
        "₱|p|peso|pesos|piso": ("PHP",),
        "rp|rupiah|rupiyah": ("IDR",),
        "us $|us dollar|us dollars|american dollar|american dollars|dolar as|dolar amerika": ("USD",),
        "$|dollar|dollars|dolar|dolyar|doller|ডলার|डलर|डलार": DOLLARS,
        "hk $|hk dollar|hk dollars|hong kong dollar|hong kong dollars|dolar hk": ("HKD",),
        "s $|sg $|singapore dollar|singapore dollars|dolar singapura": ("SGD",),
        "nt $|ntd|taiwan dollar|taiwan dollars|dolar taiwan": ("TWD",),
        "rm|ringgit|रिंगिट|রিঙ্গিত": ("MYR",),
        "riyal|riyals|rial|rials|reyal|ریال|रियाल|রিয়াল": RIYALS,
        "sr|saudi riyal|saudi riyals|saudi rial": ("SAR",),
        "qr|qatari riyal|qatari riyals|qatar riyal|qatar riyals": ("QAR",),
        "omani rial|omani riyal|omani rials|ro": ("OMR",),
        "dirham|dirhams|dhs|dh|درهم|दिरहाम|দিরহাম": ("AED",),
        "dinar|dinars|दिनार|দিনার": DINARS,
        "kd|kuwaiti dinar|kuwaiti dinars": ("KWD",),
        "yen|येन|ইয়েন": ("JPY",),
        "¥": ("JPY", "CNY"),
        "won|₩": ("KRW",),
        "€|euro|euros": ("EUR",),
        "£|pound|pounds": ("GBP",),
        "baht|฿": ("THB",),
        "kyat": ("MMK",),
        "dong|₫": ("VND",),
        "riel|៛": ("KHR",),
        "yuan|rmb": ("CNY",),
        "rufiyaa": ("MVR",),
    }
)
# Where the worker's language settles a shared name.
LANGUAGE_CHOICE: dict[tuple[tuple[str, ...], str], str] = {(RUPEES, "ne"): "NPR"}
# Words that say nothing about the amount: "only", "about", ...
FILLERS = frozenset(
    fold(w)
    for w in words(
        "only|matra|मात्र|মাত্র|about|around|approx|approximately|almost|nearly|total|करिब|करीब|लगभग|"
        "প্রায়|sekitar|kurang|lebih|kira|mga|halos|humigit|kumulang|sa|lang|saja|ang|ko|ki|of"
    )
)
_IGNORED_SYMBOLS = set(".,:;/=()~+*#!?\"'[]{}")
_MINUS = {"-"}


@lru_cache(maxsize=1)
def _iso_codes() -> frozenset[str]:
    """Currencies legal tender somewhere today, lower-case (what a worker may type as a code)."""
    codes: set[str] = set()
    for territory in map(str, Locale("en").territories):
        if len(territory) == 2 and territory.isalpha():
            codes.update(c.lower() for c in get_territory_currencies(territory, tender=True))
    return frozenset(codes)


def _is_code(word: str) -> bool:
    return word in _iso_codes() and not is_quantity_word(word) and word not in FILLERS


@dataclass(frozen=True)
class AmountReading:
    """What an amount text says. ``amount`` is the likeliest reading; ``alternatives`` the others."""

    amount: Decimal
    currency: str | None = None
    currency_candidates: tuple[str, ...] = ()
    alternatives: tuple[Decimal, ...] = ()
    text: str = ""
    language: str | None = None

    @property
    def readings(self) -> tuple[Decimal, ...]:
        return (self.amount, *self.alternatives)

    @property
    def is_ambiguous(self) -> bool:
        return bool(self.alternatives)


def _error(code: str, message: str, **params: object) -> InvalidInput:
    return InvalidInput(message, field="amount", code=code, params=params)


def _currency_phrases(toks: list[Token]) -> tuple[list[tuple[str, ...]], list[Token], bool]:
    """Split tokens into currency names, quantity tokens, and whether a minus sign leads the number."""
    # The dot of an abbreviation ("Rs.", "ने.रु.", "Tk.") is not part of anything.
    toks = [t for i, t in enumerate(toks) if not (t.text == "." and i and toks[i - 1].kind == "word")]
    named: list[tuple[str, ...]] = []
    rest: list[Token] = []
    negative = False
    i = 0
    while i < len(toks):
        for size in (3, 2, 1):
            chunk = toks[i : i + size]
            if len(chunk) < size:
                continue
            key = " ".join(t.text for t in chunk)
            codes = CURRENCY_WORDS.get(key)
            if codes is None and size == 1 and chunk[0].kind == "word" and _is_code(key):
                codes = (key.upper(),)
            if codes is not None:
                named.append(codes)
                i += size
                break
        else:
            t = toks[i]
            if t.kind == "sym" and t.text in _MINUS:
                if not any(r.kind == "num" for r in rest) and i + 1 < len(toks) and toks[i + 1].kind == "num":
                    negative = True
            elif not (
                t.kind == "sym" and t.text in _IGNORED_SYMBOLS or t.kind == "word" and t.text in FILLERS
            ):
                rest.append(t)
            i += 1
    return named, rest, negative


def _resolve(
    candidates: tuple[str, ...], language: str | None, context: tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    if len(candidates) == 1:
        return candidates[0], ()
    if not candidates:
        return None, ()
    for (family, lang), code in LANGUAGE_CHOICE.items():
        if lang == language and set(candidates) <= set(family) and code in candidates:
            return code, ()
    in_context = [c for c in candidates if c in context]
    if len(in_context) == 1:
        return in_context[0], ()
    return None, candidates


def _plausible(readings: list[Decimal], currency: str, on: date | None, fx: FxTable | None) -> list[Decimal]:
    """The readings within the currency's bounds on that day; all of them when none is (or no table)."""
    if fx is None or on is None:
        return readings
    inside = [r for r in readings if _within(r, currency, on, fx)]
    return inside or readings[:1]


def _within(amount: Decimal, currency: str, on: date, fx: FxTable) -> bool:
    try:
        check_amount_bounds(amount, currency, on, fx)
    except InvalidInput:
        return False
    return True


def parse_amount(
    text: str,
    *,
    language: str | None = None,
    context_currencies: tuple[str, ...] | list[str] = (),
    currency: str | None = None,
    on: date | None = None,
    fx: FxTable | None = None,
) -> AmountReading:
    """Read an amount and the currency it names. See ``registry.parsing`` for the rules.

    ``currency`` is one the worker chose (e.g. from buttons) for a text that named none or named an
    ambiguous one; with ``on`` and ``fx``, readings outside that currency's bounds are dropped.
    Raises InvalidInput (field "amount") with codes ``amount_unreadable``, ``amount_not_positive``,
    ``amount_too_large``, ``unknown_currency``, ``amount_currency_conflict``.
    """
    lang = language_code(language)
    folded = fold(text)
    shown = (text or "").strip()[:40]
    named, rest, negative = _currency_phrases(tokens(folded))
    candidates: tuple[str, ...] = ()
    for codes in named:
        candidates = codes if not candidates else tuple(c for c in candidates if c in codes)
        if not candidates:
            found = sorted({c for codes in named for c in codes})
            raise _error(
                "amount_currency_conflict", "the text names two currencies", currencies=", ".join(found)
            )
    if currency is not None:
        if candidates and currency not in candidates:
            raise _error(
                "amount_currency_conflict",
                "the text names another currency",
                currencies=", ".join([*candidates, currency]),
            )
        candidates = (currency,)
    unknown = [t for t in rest if t.kind != "num" and not (t.kind == "word" and is_quantity_word(t.text))]
    if unknown:
        word = unknown[0].text
        has_number = any(t.kind == "num" for t in rest)
        if (
            len(unknown) == 1
            and has_number
            and not candidates
            and len(word) == 3
            and word.isascii()
            and word.isalpha()
        ):
            raise InvalidInput(
                f"{word.upper()!r} is not a currency code",
                field="currency",
                code="unknown_currency",
                params={"currency": word.upper()},
            )
        raise _error("amount_unreadable", "no amount could be read", text=shown)
    if not rest:
        raise _error("amount_unreadable", "no number in the text", text=shown)
    three = any(get_currency_precision(c) == 3 for c in candidates)
    try:
        raw = quantity_readings(rest, language=lang, three_decimals=three)
    except ValueError:
        raise _error("amount_unreadable", "no amount could be read", text=shown) from None
    if negative or raw[0] <= 0:
        raise _error("amount_not_positive", "the amount must be more than zero", text=shown)
    readings = [r.quantize(CENT, rounding=ROUND_HALF_UP) for r in raw if r > 0]
    readings = [r for r in dict.fromkeys(readings) if r > 0]
    if not readings:  # more than zero, but not a cent
        raise _error("amount_too_small", "the amount is less than the smallest coin", text=shown)
    if readings[0] >= LARGEST:
        raise _error("amount_too_large", "the amount is too large", text=shown)
    readings = [r for r in readings if r < LARGEST]
    code, open_candidates = _resolve(candidates, lang, tuple(context_currencies))
    if code is not None:
        readings = _plausible(readings, code, on, fx)
    return AmountReading(
        amount=readings[0],
        currency=code,
        currency_candidates=open_candidates,
        alternatives=tuple(readings[1:]),
        text=text,
        language=lang,
    )


def with_currency(
    reading: AmountReading, currency: str, *, on: date | None = None, fx: FxTable | None = None
) -> AmountReading:
    """The same text read again with the currency the worker chose; implausible readings dropped."""
    return parse_amount(reading.text, language=reading.language, currency=currency, on=on, fx=fx)


def choose(reading: AmountReading, amount: Decimal) -> AmountReading:
    """The reading with one of its readings chosen (e.g. from a button); no alternatives left."""
    if amount not in reading.readings:
        raise _error("amount_unreadable", "that is not a reading of the text", text=reading.text[:40])
    return replace(reading, amount=amount, alternatives=())


def _rate(currency: str, on: date, fx: FxTable) -> Decimal | None:
    usd = fx.to_usd(Decimal(1_000_000), currency, on)
    return None if usd is None or usd <= 0 else usd / Decimal(1_000_000)


def amount_bounds(currency: str, on: date, fx: FxTable) -> tuple[Decimal, Decimal] | None:
    """(smallest, largest) amount in ``currency`` taken on that day; None without a rate for it."""
    rate = _rate(currency, on, fx)
    if rate is None:
        return None
    low = MIN_AMOUNT_USD / rate
    low = low.quantize(Decimal(1) if low >= 10 else CENT, rounding=ROUND_CEILING)
    high = (MAX_AMOUNT_USD / rate).quantize(Decimal(1), rounding=ROUND_FLOOR)
    return low, high


def check_amount_bounds(amount: Decimal, currency: str, on: date, fx: FxTable) -> None:
    """Refuse an amount worth less than MIN_AMOUNT_USD or more than MAX_AMOUNT_USD on that day.

    Raises InvalidInput ``amount_too_small`` / ``amount_too_large`` with params ``currency``, ``min``
    and ``max`` (in that currency, as strings). A currency without a rate in the table passes.
    """
    bounds = amount_bounds(currency, on, fx)
    usd = fx.to_usd(amount, currency, on)
    if bounds is None or usd is None:
        return
    low, high = bounds
    params = {"currency": currency, "min": str(low), "max": str(high), "amount": str(amount)}
    if usd < MIN_AMOUNT_USD:
        raise InvalidInput("the amount is too small", field="amount", code="amount_too_small", params=params)
    if usd > MAX_AMOUNT_USD:
        raise InvalidInput(
            "the amount looks too large", field="amount", code="amount_too_large", params=params
        )


def format_amount(amount: Decimal, currency: str | None, language: str | None) -> str:
    """An amount for a button or a card, in the language's digits grouping: "1,50,000 NPR", "1.500 IDR"."""
    locale = CLDR_LOCALE.get(language_code(language) or "en", "en")
    number = format_decimal(amount, locale=locale)
    return f"{number} {currency}" if currency else number
