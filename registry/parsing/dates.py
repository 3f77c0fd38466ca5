"""Dates as workers write them: "15/05/2026", "2026-05-15", "15 Mei 2026", "Marso 2026", "03/2026",
"२०८२/०५/१५" and "साउन २०८२" (Bikram Sambat), "yesterday", "हिजो".

See ``registry.parsing`` for the API. Rules:

- A date with a day has precision "day"; a month and a year without a day ("03/2026", "May 2026")
  has precision "month" and its value is the first of that month, never shown as a day.
- Numbers: year-month-day when the first number has four digits, otherwise day-month-year; when
  both the day and the month could be either (both 12 or less), the language's order comes first
  (month-day for Tagalog, day-month elsewhere) and the other order is an alternative.
- Month names in English, Nepali, Bengali, Tagalog and Indonesian (CLDR's, with the usual spelling
  variants folded away), and the twelve Bikram Sambat months in Devanagari and Latin letters.
- Bikram Sambat (Nepal's calendar, about 56.7 years ahead): a year between today's year + 30 and
  + 70, a BS month name, or the marks "BS" / "वि.सं." make a date BS; it is converted with the
  ``nepali_datetime`` library. A BS month without a day is stored as the Gregorian month that holds
  its middle (a BS month runs from mid-month to mid-month).
- A two-digit year is 20yy; for a Nepali writer a two-digit year ahead of today's is BS 20yy.
- A date is never read in another order to move it out of the future: "02.12.2026" in November
  2026 is in the future, not 12 February.
- Refused (InvalidInput, field "paid_on"): ``date_unreadable``, ``date_needs_month`` (a year
  alone), ``date_needs_year``, ``date_in_future``, ``date_too_old`` (more than MAX_YEARS_BACK years
  ago; params ``min``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import nepali_datetime  # type: ignore[import-untyped]  # ships a .pyi but no py.typed
from babel.dates import format_date, format_skeleton, get_month_names

from registry.errors import InvalidInput
from registry.parsing.text import CLDR_LOCALE, fold, language_code, squeeze, tokens, words

MAX_YEARS_BACK = 10
Precision = Literal["day", "month"]
Calendar = Literal["gregorian", "bikram_sambat"]

_BS_MONTHS = {
    1: "बैशाख|वैशाख|baisakh|baishakh|baishak|baisakh|vaisakh",
    2: "जेठ|जेष्ठ|ज्येष्ठ|jeth|jestha|jesth|jeshtha",
    3: "असार|आषाढ|असाढ|asar|asadh|ashad|ashar|asad",
    4: "साउन|श्रावण|shrawan|shrawn|saun|sawan|srawan|shravan",
    5: "भदौ|भाद्र|bhadau|bhadra|bhadaw|bhadra",
    6: "असोज|आश्विन|asoj|ashwin|aswin|ashoj",
    7: "कात्तिक|कार्तिक|kartik|kattik|kartick|kartik",
    8: "मंसिर|मङ्सिर|मार्गशीर्ष|mangsir|mansir|mangshir",
    9: "पुस|पौष|poush|push|pus|paush|poush",
    10: "माघ|magh",
    11: "फागुन|फाल्गुन|falgun|phagun|fagun|phalgun",
    12: "चैत|चैत्र|chaitra|chait|chaitra|chaita",
}
_EXTRA_MONTHS = {
    "en": {9: "sept", 6: "june", 7: "july"},
    "id": {8: "agu|agt|ags|agustus", 5: "mei"},
    "tl": {6: "hun|junyo", 7: "hul|julyo"},
    "ne": {8: "अगस्त", 2: "फेब्रुवरी", 9: "सेप्टेम्बर|सेप्टेम्वर"},
    "bn": {1: "জানুয়ারী", 2: "ফেব্রুয়ারী", 8: "অগাস্ট|আগষ্ট"},
}
_RELATIVE = {
    0: "today|आज|aaja|aja|আজ|আজকে|ngayon|ngayong araw|hari ini",
    1: "yesterday|हिजो|hijo|গতকাল|kahapon|kemarin|kemaren",
}
_FILLERS = frozenset(
    fold(w)
    for w in words(
        "the|of|on|in|ng|sa|noong|nung|tanggal|tgl|bulan|tahun|gate|गते|তারিখ|tarikh|sal|साल|সাল|year|"
        "st|nd|rd|th|ই|শে|লা|রা|ঠা|ika|day|date|मिति|miti|paid"
    )
)
_BS_MARKS = frozenset(fold(w) for w in words("bs|b s|vs|v s|वि सं|बि सं|विसं|बिसं"))
_AD_MARKS = frozenset(fold(w) for w in words("ad|a d|ई सं|इसं|খ্রি|খ্রিস্টাব্দ|ce"))


@dataclass(frozen=True)
class DateReading:
    """A date as written. ``value`` is the day; with precision "month", the first of the month."""

    value: date
    precision: Precision = "day"
    calendar: Calendar = "gregorian"
    alternatives: tuple[date, ...] = ()

    @property
    def is_ambiguous(self) -> bool:
        return bool(self.alternatives)


def _error(code: str, message: str, **params: object) -> InvalidInput:
    return InvalidInput(message, field="paid_on", code=code, params=params)


@lru_cache(maxsize=8)
def _months(language: str | None) -> dict[str, int]:
    """Folded Gregorian month names and abbreviations -> month; the language's own win a clash."""
    table: dict[str, int] = {}
    order = [lang for lang in CLDR_LOCALE if lang != language] + ([language] if language else [])
    for lang in order:
        locale = CLDR_LOCALE[lang]
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for month, name in get_month_names(width, context, locale).items():
                    table[squeeze(name)] = month
        for month, names in _EXTRA_MONTHS.get(lang, {}).items():
            for name in names.split("|"):
                table[squeeze(name)] = month
    return table


@lru_cache(maxsize=1)
def _bs_months() -> dict[str, int]:
    return {squeeze(name): month for month, names in _BS_MONTHS.items() for name in names.split("|")}


@lru_cache(maxsize=1)
def _relative() -> dict[str, int]:
    return {squeeze(w): days for days, words in _RELATIVE.items() for w in words.split("|")}


@dataclass
class _Parts:
    numbers: list[str]
    month: int | None = None  # from a month name
    month_at: int = -1  # how many numbers came before the month name
    bs: bool | None = None  # True: BS named; False: AD named; None: not said


def _parts(folded: str, language: str | None) -> _Parts:
    parts = _Parts(numbers=[])
    toks = tokens(folded)
    words = [t.text for t in toks if t.kind == "word"]
    joined = " ".join(words)
    for marks, flag in ((_BS_MARKS, True), (_AD_MARKS, False)):
        for mark in marks:
            if f" {mark} " in f" {joined} ":
                parts.bs = flag
    for t in toks:
        if t.kind == "num":
            parts.numbers.extend(p for p in t.text.replace(",", ".").replace("'", ".").split(".") if p)
        elif t.kind == "word":
            key = squeeze(t.text)
            if key in _bs_months():
                month, is_bs = _bs_months()[key], True
            elif key in _months(language):
                month, is_bs = _months(language)[key], False
            elif t.text in _FILLERS or any(t.text in m.split() for m in _BS_MARKS | _AD_MARKS):
                continue
            else:
                raise _error("date_unreadable", "the date could not be read", text=folded[:30])
            if parts.month is not None:
                raise _error("date_unreadable", "two months in the date", text=folded[:30])
            parts.month, parts.month_at = month, len(parts.numbers)
            if is_bs:
                parts.bs = True
            elif parts.bs:
                raise _error("date_unreadable", "a Gregorian month in a BS date", text=folded[:30])
    return parts


def _year(raw: str, today: date, language: str | None, bs: bool | None) -> tuple[int, bool]:
    """(year, is_bs) of a written year."""
    y = int(raw)
    if len(raw) == 2:
        y += 2000
        if bs or (bs is None and language == "ne" and y > today.year):
            return y, True
        return y, False
    if len(raw) != 4:
        raise ValueError(raw)
    if bs is None:
        bs = today.year + 30 <= y <= today.year + 70
    return y, bool(bs)


def _to_ad(y: int, m: int, d: int, bs: bool) -> date:
    if bs:
        return nepali_datetime.date(y, m, d).to_datetime_date()
    return date(y, m, d)


def _bs_month_to_ad(y: int, m: int) -> date:
    middle = nepali_datetime.date(y, m, 15).to_datetime_date()
    return middle.replace(day=1)


def _read(parts: _Parts, today: date, language: str | None, text: str) -> tuple[list[date], Precision, bool]:
    """Candidate days (likeliest first), precision, and whether the text was BS."""
    nums = parts.numbers
    if parts.month is not None:
        before, after = nums[: parts.month_at], nums[parts.month_at :]
        years = [n for n in nums if len(n) == 4]
        if len(nums) == 1 and len(nums[0]) == 4:
            y, bs = _year(nums[0], today, language, parts.bs)
            if bs:
                return [_bs_month_to_ad(y, parts.month)], "month", True
            return [date(y, parts.month, 1)], "month", False
        if len(nums) == 2:
            if len(years) == 1:
                day = next(n for n in nums if len(n) != 4)
                y, bs = _year(years[0], today, language, parts.bs)
            elif len(after) == 1 and len(after[0]) == 2 and len(before) == 1:
                day = before[0]  # "15 May 26"
                y, bs = _year(after[0], today, language, parts.bs)
            else:
                raise ValueError(text)
            return [_to_ad(y, parts.month, int(day), bs)], "day", bs
        if not nums or (len(nums) == 1 and len(nums[0]) <= 2):
            raise _error("date_needs_year", "the date has no year", text=text)
        raise ValueError(text)
    if len(nums) == 1 and len(nums[0]) == 4:
        raise _error("date_needs_month", "a year alone is not a date", text=text)
    if len(nums) == 2:
        a, b = nums
        if len(a) == 4:
            a, b = b, a
        if len(b) != 4 or not 1 <= int(a) <= 12:
            raise ValueError(text)
        y, bs = _year(b, today, language, parts.bs)
        if bs:
            return [_bs_month_to_ad(y, int(a))], "month", True
        return [date(y, int(a), 1)], "month", False
    if len(nums) != 3:
        raise ValueError(text)
    if len(nums[0]) == 4:
        y, bs = _year(nums[0], today, language, parts.bs)
        return [_to_ad(y, int(nums[1]), int(nums[2]), bs)], "day", bs
    y, bs = _year(nums[2], today, language, parts.bs)
    first, second = int(nums[0]), int(nums[1])
    orders = [(second, first), (first, second)]  # (month, day): day-month first
    if language == "tl" and not bs:
        orders.reverse()
    if bs:
        orders = orders[:1]
    found = []
    for mm, dd in orders:
        try:
            found.append(_to_ad(y, mm, dd, bs))
        except ValueError:
            continue
    if not found:
        raise ValueError(text)
    return list(dict.fromkeys(found)), "day", bs


def parse_date(text: str, *, today: date, language: str | None = None) -> DateReading:
    """Read the date a fee was paid. See the module docstring for the forms and the codes."""
    lang = language_code(language)
    folded = fold(text)
    shown = (text or "").strip()[:30]
    if not folded:
        raise _error("date_unreadable", "no date given", text=shown)
    relative = _relative().get(squeeze(folded))
    if relative is not None:
        return DateReading(today - timedelta(days=relative))
    try:
        days, precision, bs = _read(_parts(folded, lang), today, lang, shown)
    except ValueError:
        raise _error("date_unreadable", "the date could not be read", text=shown) from None
    start = today.replace(day=1) if precision == "month" else today
    if days[0] > start:  # the likeliest reading: never swapped for another order to avoid the future
        raise _error("date_in_future", "the date is in the future", text=shown)
    past = [d for d in days if d <= start]
    try:
        oldest = today.replace(year=today.year - MAX_YEARS_BACK)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_YEARS_BACK, day=28)
    if precision == "month":
        oldest = oldest.replace(day=1)
    recent = [d for d in past if d >= oldest]
    if not recent:
        raise _error("date_too_old", "the date is too long ago", text=shown, min=oldest.isoformat())
    return DateReading(
        recent[0],
        precision,
        "bikram_sambat" if bs else "gregorian",
        alternatives=tuple(recent[1:]),
    )


def format_date_reading(value: date, precision: str, language: str | None) -> str:
    """A stored date as it was given: "Mar 15, 2026" for a day, "March 2026" for a month."""
    locale = CLDR_LOCALE.get(language_code(language) or "en", "en")
    if precision == "month":
        return format_skeleton("yMMMM", value, locale=locale)
    return format_date(value, format="medium", locale=locale)
