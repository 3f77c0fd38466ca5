"""Numbers as workers write them: separators of every convention, and number words.

``number_readings`` reads one run of digits and separators ("150.000", "1,50,000", "2 500 000",
"1.500,50") and returns its readings, the likeliest first; ``quantity_readings`` reads a whole
quantity from tokens ("1.5 lakh", "डेढ लाख", "৫০ হাজার", "15 jt", "1 lakh 50 hajar",
"seratus ribu", "साढे ३ लाख"). Both raise ``ValueError`` on what they cannot read; the amount
parser turns that into a coded error.

Separator rules (a reading is a Decimal; the first is the likeliest):

- several dots, or several commas: thousands separators ("2.500.000", "1,50,000"); the groups must
  be Western (1-3 digits, then threes) or Indian (1-2 digits, then twos, then three);
- a dot and a comma: the last one is the decimal mark ("1,500.50", "1.500,50");
- spaces or apostrophes between digit groups: thousands separators; a dot or comma after them is the
  decimal mark ("150 000", "2 500,50");
- one dot or comma followed by one or two digits: a decimal mark ("1.5", "1,5 juta", "1500.50");
- one dot or comma followed by exactly three digits ("1.500", "150,000"): thousands when the mark is
  the language's thousands separator (the dot in Indonesian, the comma elsewhere); when it is the
  language's decimal mark ("1.500" in English, "1,500" in Indonesian) both readings are returned,
  thousands first, except that three zeros ("150.000", "1,000") are always thousands. A currency with
  three decimals (KWD, BHD, OMR, JOD) adds the decimal reading in every case ("150.000 KWD").
  Without a language the comma is read as a thousands separator and the dot as ambiguous.
- one mark followed by four or more digits ("1,50000"): unreadable (a likely typing mistake).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from registry.parsing.text import Token, fold

# The thousands separator of each language's usual writing (others use the comma).
_DOT_THOUSANDS = {"id"}


def _table(pairs: dict[str, Decimal]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for words, value in pairs.items():
        for w in words.split("|"):
            out[fold(w)] = value
    return out


MULTIPLIERS: dict[str, Decimal] = _table(
    {
        "hundred|hundreds|सय|শো|শত|ratus|daan|raan": Decimal(100),
        "thousand|thousands|k|hajar|hazar|hajaar|hazaar|हजार|হাজার|ribu|rb|rebu|libo|libong|ribuan": (
            Decimal(1000)
        ),
        "lakh|lakhs|lac|lacs|laakh|लाख|লাখ|লক্ষ|लक्ष": Decimal(100_000),
        "million|millions|mn|m|mio|juta|jt|jta|milyon|मिलियन|মিলিয়ন": Decimal(1_000_000),
        "crore|crores|cr|karod|karor|करोड|কোটি|koti": Decimal(10_000_000),
        "billion|billions|bn|miliar|milyar|bilyon|अर्ब": Decimal(1_000_000_000),
    }
)
# Words that are one of something: "sejuta" (a million), "seribu", "seratus", "sanlibo".
IMPLICIT_ONE: dict[str, Decimal] = _table(
    {
        "sejuta": Decimal(1_000_000),
        "seribu|sanlibo": Decimal(1000),
        "seratus|sandaan": Decimal(100),
    }
)
NUMBER_WORDS: dict[str, Decimal] = _table(
    {
        "one|a|ek|एक|এক|satu|isa|isang": Decimal(1),
        "two|dui|दुई|दुइ|দুই|dua|dalawa|dalawang": Decimal(2),
        "three|tin|तीन|তিন|tiga|tatlo|tatlong": Decimal(3),
        "four|char|चार|চার|empat|apat": Decimal(4),
        "five|panch|पाँच|पाच|পাঁচ|lima|limang": Decimal(5),
        "six|chha|छ|ছয়|enam|anim": Decimal(6),
        "seven|saat|सात|সাত|tujuh|pito|pitong": Decimal(7),
        "eight|aath|आठ|আট|delapan|walo|walong": Decimal(8),
        "nine|nau|नौ|নয়|sembilan|siyam": Decimal(9),
        "ten|das|दस|দশ|sepuluh|sampu|sampung": Decimal(10),
    }
)
# A value of its own, said before a multiplier: "डेढ लाख" = 1.5 lakh, "setengah juta" = 0.5 million.
FRACTIONS: dict[str, Decimal] = _table(
    {
        "डेढ|dedh|derh|দেড়|ডেড়": Decimal("1.5"),
        "अढाई|अढाइ|ढाई|adhai|dhai|আড়াই|arai": Decimal("2.5"),
        "आधा|adha|আধা|setengah|stengah|kalahati": Decimal("0.5"),
    }
)
# Said before a number: "साढे ३ लाख" = 3.5 lakh, "सवा लाख" = 1.25 lakh, "पौने २ लाख" = 1.75 lakh.
PREFIX_ADD: dict[str, Decimal] = _table(
    {
        "साढे|साढ़े|sadhe|sade|sare|সাড়ে": Decimal("0.5"),
        "सवा|sawa|সোয়া|sowa": Decimal("0.25"),
        "पौने|paune|পৌনে|poune": Decimal("-0.25"),
    }
)
# Said after a number: "satu setengah juta" = 1.5 million.
SUFFIX_ADD: dict[str, Decimal] = _table({"setengah|stengah": Decimal("0.5")})
# Linking words between the parts of a quantity ("1 lakh and 50 thousand", "apat na libo").
LINKS: frozenset[str] = frozenset(_table(dict.fromkeys(["and|र|ও|dan|at|na|ng"], Decimal(0))))


def is_quantity_word(word: str) -> bool:
    tables = (MULTIPLIERS, IMPLICIT_ONE, NUMBER_WORDS, FRACTIONS, PREFIX_ADD, SUFFIX_ADD, LINKS)
    return any(word in t for t in tables)


def _grouping_ok(groups: list[str]) -> bool:
    """Western (1-3, 3, 3, ...) or Indian (1-2, 2, ..., 3) digit groups; no leading zero."""
    if not groups or not all(g.isdigit() for g in groups) or len(groups) < 2:
        return False
    first, rest = groups[0], groups[1:]
    if first.startswith("0"):
        return False
    western = 1 <= len(first) <= 3 and all(len(g) == 3 for g in rest)
    indian = 1 <= len(first) <= 2 and len(rest[-1]) == 3 and all(len(g) == 2 for g in rest[:-1])
    return western or indian


def number_readings(raw: str, *, language: str | None, three_decimals: bool = False) -> tuple[Decimal, ...]:
    """The readings of one number as written, the likeliest first. See the module docstring."""
    seps = [c for c in raw if not c.isdigit()]
    if not seps:
        return (Decimal(raw),)
    kinds = set(seps)
    grouping = kinds & {" ", "'"}
    marks = kinds - grouping
    if len(grouping) > 1 or len(marks) > 1 and grouping:
        raise ValueError(raw)
    if grouping:
        g = grouping.pop()
        int_part, frac = raw, ""
        if marks:
            mark = marks.pop()
            if seps.count(mark) > 1 or seps[-1] != mark:
                raise ValueError(raw)
            int_part, frac = raw.rsplit(mark, 1)
            if len(frac) > 3:
                raise ValueError(raw)
        if not _grouping_ok(int_part.split(g)):
            raise ValueError(raw)
        return (Decimal(int_part.replace(g, "") + ("." + frac if frac else "")),)
    if len(marks) == 2:
        mark = seps[-1]
        other = "," if mark == "." else "."
        if seps.count(mark) > 1:
            raise ValueError(raw)
        int_part, frac = raw.rsplit(mark, 1)
        if len(frac) > 3 or not _grouping_ok(int_part.split(other)):
            raise ValueError(raw)
        return (Decimal(int_part.replace(other, "") + "." + frac),)
    mark = seps[0]
    if len(seps) > 1:
        if not _grouping_ok(raw.split(mark)):
            raise ValueError(raw)
        return (Decimal(raw.replace(mark, "")),)
    int_part, frac = raw.split(mark)
    decimal = Decimal(f"{int_part}.{frac}")
    if len(frac) <= 2:
        return (decimal,)
    if len(frac) > 3:
        raise ValueError(raw)
    if not _grouping_ok([int_part, frac]):
        return (decimal,)
    thousands = Decimal(int_part + frac)
    thousands_mark = "." if language in _DOT_THOUSANDS else ","
    if mark == thousands_mark or frac == "000":
        return (thousands, decimal) if three_decimals else (thousands,)
    return (thousands, decimal)


def quantity_readings(
    toks: list[Token], *, language: str | None, three_decimals: bool = False
) -> tuple[Decimal, ...]:
    """Readings of a quantity: groups of (number, multipliers), each smaller in scale than the last.

    "1 lakh 50 hajar" = 100,000 + 50,000; "5 ratus ribu" = 5 x 100 x 1,000; "Rp15jt" (the number
    tokens only) = 15 x 1,000,000. Raises ValueError when the tokens are not one quantity.
    """
    toks = [t for t in toks if not (t.kind == "word" and t.text in LINKS)]
    groups: list[tuple[tuple[Decimal, ...], Decimal]] = []
    i, n = 0, len(toks)
    while i < n:
        add = Decimal(0)
        t = toks[i]
        if t.kind == "word" and t.text in PREFIX_ADD:
            add = PREFIX_ADD[t.text]
            i += 1
            if i == n:
                raise ValueError(t.text)
            t = toks[i]
        mults: list[Decimal] = []
        if add and t.kind == "word" and t.text in MULTIPLIERS:
            base: tuple[Decimal, ...] = (Decimal(1),)  # "सवा लाख": one and a quarter lakh
            i -= 1
        elif t.kind == "num":
            base = number_readings(t.text, language=language, three_decimals=three_decimals)
        elif t.kind == "word" and t.text in NUMBER_WORDS:
            base = (NUMBER_WORDS[t.text],)
        elif t.kind == "word" and t.text in FRACTIONS and not add:
            base = (FRACTIONS[t.text],)
        elif t.kind == "word" and t.text in IMPLICIT_ONE and not add:
            base = (Decimal(1),)
            mults.append(IMPLICIT_ONE[t.text])
        else:
            raise ValueError(t.text)
        i += 1
        if i < n and toks[i].kind == "word" and toks[i].text in SUFFIX_ADD:
            add += SUFFIX_ADD[toks[i].text]
            i += 1
        while (
            i < n and toks[i].kind == "word" and (toks[i].text in MULTIPLIERS or toks[i].text in IMPLICIT_ONE)
        ):
            word = toks[i].text
            mults.append(MULTIPLIERS.get(word) or IMPLICIT_ONE[word])
            i += 1
        scale = Decimal(1)
        for m in mults:
            scale *= m
        if groups and scale >= groups[-1][1]:
            raise ValueError("scale")
        groups.append((tuple((b + add) * scale for b in base), scale))
    if not groups:
        raise ValueError("empty")
    readings = [sum(combo, Decimal(0)) for combo in itertools.product(*(g[0] for g in groups))]
    return tuple(dict.fromkeys(readings))
