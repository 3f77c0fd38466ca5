"""ISO 3166-1 countries and ISO 4217 currencies, from Babel's CLDR data, and country names as workers
write them.

``match_country(text, language)`` reads a country name typed in any of the bot's languages and
scripts: CLDR's names in English, Nepali, Bengali, Filipino and Indonesian, ISO codes, and the small
curated table ``ALIASES`` (short and common forms, cities workers name for the country, endonyms and
local spellings: "KSA", "Dubai", "HongKong", "साउदी", "সৌদি", "দুবাই", "Arab Saudi", ...). Names are
compared folded (``registry.parsing.text.squeeze``: case, spaces, punctuation, digits and Indic
spelling variants), so "Hong Kong", "HongKong" and "hong-kong" are one name; a Nepali or Bengali
locative ending ("कतारमा", "সৌদি আরবে", "দুবাইতে") or a leading "in"/"sa"/"di" is allowed; a Latin
name with a small typing mistake ("Malasia", "Quatar") is accepted when one country is clearly
closest. ``country_name(code, language)`` is the name to show (bot language or CLDR locale).
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import get_territory_currencies
from rapidfuzz import fuzz, process

from registry.errors import InvalidInput
from registry.parsing.text import CLDR_LOCALE, language_code, squeeze

# Curated names per country, in any script ("|"-separated); they win over CLDR's when two clash.
ALIASES: dict[str, str] = {
    "AE": "UAE|U.A.E.|Emirates|Arab Emirates|Dubai|Abu Dhabi|Sharjah|Ajman|Al Ain|दुबई|दुबइ|युएई|यूएई|"
    "अबुधाबी|संयुक्त अरब इमिरेट्स|दुबाई|আমিরাত|দুবাই|আবুধাবি|ইউএই|শারজাহ|Emirat Arab|Uni Emirat Arab|UEA",
    "SA": "KSA|Saudi|Saudia|Saudi Arab|Arab Saudi|Riyadh|Jeddah|Dammam|Mecca|Makkah|Mekkah|Madinah|"
    "साउदी|साउदि|साउदी अरब|साउदी अरेबिया|साउदी अरबिया|रियाद|सौदी|সৌদি|সৌদি আরব|সৌদিআরব|রিয়াদ|জেদ্দা|দাম্মাম",
    "QA": "Qatar|Katar|Doha|कतार|दोहा|কাতার|দোহা",
    "MY": "Malaysia|Malaysiya|Malayasia|Kuala Lumpur|KL|मलेसिया|मलेशिया|मलेसीया|মালয়েশিয়া|মালয়শিয়া|মালেশিয়া|কুয়ালালামপুর",
    "KW": "Kuwait|Kuwet|Quwait|कुवेत|कुवैत|কুয়েত|কুয়েত",
    "OM": "Oman|Muscat|ओमान|मस्कट|ওমান|মাস্কাট",
    "BH": "Bahrain|Bahrein|Manama|बहराइन|बहरेन|बहराईन|বাহরাইন",
    "HK": "Hong Kong|HongKong|HK|Hong Kong SAR|हङकङ|हङ्कङ|हंगकंग|হংকং",
    "MO": "Macau|Macao|Makau|मकाउ|ম্যাকাও",
    "TW": "Taiwan|Taipei|ताइवान|তাইওয়ান",
    "JP": "Japan|Jepang|Hapon|Nihon|जापान|জাপান",
    "KR": "Korea|South Korea|Korea Selatan|Timog Korea|Korea Republic|कोरिया|दक्षिण कोरिया|কোরিয়া|দক্ষিণ কোরিয়া",
    "SG": "Singapore|Singapura|सिंगापुर|सिङ्गापुर|সিঙ্গাপুর",
    "JO": "Jordan|Yordania|जोर्डन|जोर्डान|জর্ডান",
    "LB": "Lebanon|Libanon|Lebanon|लेबनान|লেবানন",
    "IL": "Israel|इजरायल|इजराइल|ইসরায়েল|ইসরাইল",
    "CY": "Cyprus|Siprus|Cyprus|साइप्रस|সাইপ্রাস",
    "MV": "Maldives|Maladewa|Maldive|माल्दिभ्स|मालदिभ्स|माल्दिभ|মালদ্বীপ",
    "RO": "Romania|Rumania|रोमानिया|রোমানিয়া",
    "PL": "Poland|Polandia|Polska|पोल्यान्ड|पोल्याण्ड|पोलैंड|পোল্যান্ড",
    "HR": "Croatia|Kroasia|Hrvatska|क्रोएसिया|क्रोसिया|ক্রোয়েশিয়া",
    "MT": "Malta|माल्टा|মাল্টা",
    "BN": "Brunei|Brunei Darussalam|ब्रुनाइ|ब्रुनेई|ব্রুনাই|ব্রুনেই",
    "GB": "UK|U.K.|Britain|Great Britain|England|बेलायत|ইংল্যান্ড|যুক্তরাজ্য",
    "US": "USA|U.S.A.|America|Amerika|अमेरिका|আমেরিকা",
    "NP": "Nepal|नेपाल|নেপাল",
    "BD": "Bangladesh|बंगलादेश|बङ्गलादेश|বাংলাদেশ",
    "IN": "India|भारत|इन्डिया|ভারত|ইন্ডিয়া",
    "PH": "Philippines|Pilipinas|Filipina|फिलिपिन्स|ফিলিপাইন",
    "ID": "Indonesia|इन्डोनेसिया|ইন্দোনেশিয়া",
    "LK": "Sri Lanka|Srilanka",
    "TH": "Thailand|Thai|थाइल्याण्ड|थाइल्यान्ड|থাইল্যান্ড",
    "RU": "Russia|रुस|রাশিয়া",
    "IQ": "Iraq|इराक|ইরাক",
}
# Short display names where CLDR's are long ("Hong Kong SAR China").
SHORT_NAMES: dict[str, dict[str, str]] = {
    "HK": {"en": "Hong Kong", "ne": "हङकङ", "bn": "হংকং", "fil": "Hong Kong", "id": "Hong Kong"},
    "MO": {"en": "Macao", "ne": "मकाउ", "bn": "ম্যাকাও", "fil": "Macau", "id": "Makau"},
}
# A locative ending or a preposition around a name: "कतारमा", "সৌদি আরবে", "দুবাইতে", "sa Qatar".
_SUFFIXES = ("मा", "तिर", "তে", "ে", "এ")
_PREFIXES = ("in", "to", "sa", "di", "ke", "ng", "at")


@lru_cache(maxsize=1)
def _territories() -> dict[str, str]:
    names = Locale("en").territories
    # Two-letter codes only (regions such as "001" are numeric); drop deprecated/exceptional ones.
    return {
        k: v
        for k, v in names.items()
        if len(k) == 2 and k.isalpha() and k not in {"ZZ", "EU", "EZ", "UN", "QO"}
    }


def _locale(language: str | None) -> str:
    """The CLDR locale of a bot language ("tl" -> "fil") or of a CLDR locale itself."""
    lang = language_code(language)
    return CLDR_LOCALE[lang] if lang else (language or "en")


def country_name(code: str, language: str | None = "en") -> str:
    """The country's name in a bot language ("ne", "tl") or CLDR locale ("fil"); the code if unknown."""
    locale = _locale(language)
    short = SHORT_NAMES.get(code, {})
    if locale in short:
        return short[locale]
    try:
        return Locale.parse(locale).territories.get(code, code)
    except (ValueError, TypeError, UnknownLocaleError):  # not a locale Babel knows: English names
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


@lru_cache(maxsize=8)
def _names(language: str | None) -> dict[str, str]:
    """Folded names -> code: other languages' CLDR names, then the language's own, then ALIASES."""
    codes = set(_territories())
    table: dict[str, str] = {}
    own = _locale(language)
    for locale in [loc for loc in CLDR_LOCALE.values() if loc != own] + [own]:
        names = Locale.parse(locale).territories
        for code in codes:
            if code in names:
                table[squeeze(names[code])] = code
    for code in codes:
        table.setdefault(code.casefold(), code)
    for code, aliases in ALIASES.items():
        for alias in aliases.split("|"):
            table[squeeze(alias)] = code
    return table


@lru_cache(maxsize=8)
def _latin_names(language: str | None) -> tuple[list[str], list[str]]:
    items = [(k, v) for k, v in _names(language).items() if len(k) >= 5 and k.isascii()]
    return [k for k, _ in items], [v for _, v in items]


def match_country(text: str, language: str | None = None) -> str | None:
    """The ISO code of a country name as typed, in any of the bot's languages; None if unknown."""
    words = " ".join((text or "").split())
    first, _sep, rest = words.partition(" ")
    base = rest if rest and first.casefold() in _PREFIXES else words
    table = _names(language)
    for t in dict.fromkeys([words, base]):
        for candidate in [t] + [t[: -len(s)] for s in _SUFFIXES if t.endswith(s) and len(t) > len(s) + 1]:
            key = squeeze(candidate)
            if key in table:
                return table[key]
    key = squeeze(base)
    if len(key) < 5 or not key.isascii():
        return None
    # A small typing mistake in a Latin name, when one country is clearly the closest.
    keys, codes = _latin_names(language)
    found = process.extract(key, keys, scorer=fuzz.ratio, limit=6, score_cutoff=85)
    if not found:
        return None
    best = codes[found[0][2]]
    rivals = [score for _k, score, i in found if codes[i] != best]
    return None if rivals and found[0][1] - rivals[0] < 6 else best
