"""Text folding and tokens shared by the parsers: digits of every script, case, spelling variants.

``fold`` is the one key every table of words is looked up by: Unicode compatibility forms (NFKC),
case folded, every Unicode decimal digit as 0-9, joiners and variation selectors removed, and the
spelling variants that do not change a word in Devanagari and Bengali script removed or merged
(nukta, candrabindu, virama; long and short i and u). Tables fold their keys with the same function,
so "हज़ार" and "हजार", "দেড়" and "দেড", "रुपैयाँ" and "रूपैया" are one key each.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# The bot's languages (Tagalog is "fil" in CLDR; both spellings are accepted everywhere).
LANGUAGES = ("en", "ne", "bn", "tl", "id")
CLDR_LOCALE = {"en": "en", "ne": "ne", "bn": "bn", "tl": "fil", "id": "id"}
_LANGUAGE_ALIASES = {"fil": "tl", "in": "id", "npi": "ne"}

# Removed before matching: joiners, variation selectors, nukta, candrabindu, virama.
_DROP = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufe0e\ufe0f\u00ad\u093c\u09bc\u0901\u0981\u094d\u09cd")
)
# Merged: long vowels to short ones (the commonest spelling variation in both scripts).
_MERGE = str.maketrans(
    {
        "\u0940": "\u093f",  # ी -> ि
        "\u0942": "\u0941",  # ू -> ु
        "\u0908": "\u0907",  # ई -> इ
        "\u090a": "\u0909",  # ऊ -> उ
        "\u09c0": "\u09bf",  # ী -> ি
        "\u09c2": "\u09c1",  # ূ -> ু
        "\u0988": "\u0987",  # ঈ -> ই
        "\u098a": "\u0989",  # ঊ -> উ
        "\u2212": "-",  # minus sign
        "\u2013": "-",
        "\u2014": "-",
        "\u2019": "'",
    }
)
_SPACES = re.compile(r"\s+")


def language_code(language: str | None) -> str | None:
    """One of LANGUAGES for a bot language or a CLDR/IETF tag ("fil", "bn-BD"); None otherwise."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    code = _LANGUAGE_ALIASES.get(code, code)
    return code if code in LANGUAGES else None


def ascii_digits(text: str) -> str:
    """Every Unicode decimal digit (Devanagari, Bengali, Arabic-Indic, full-width, ...) as 0-9."""
    out = []
    for ch in text:
        if "0" <= ch <= "9" or not ch.isdecimal():
            out.append(ch)
        else:
            out.append(str(unicodedata.decimal(ch)))
    return "".join(out)


def fold(text: str) -> str:
    """The matching key of a text: see the module docstring. Spaces are kept (collapsed)."""
    t = unicodedata.normalize("NFKC", text or "")
    t = ascii_digits(t).translate(_DROP).translate(_MERGE).casefold()
    return _SPACES.sub(" ", t).strip()


def squeeze(text: str) -> str:
    """``fold`` without spaces and punctuation: "Hong-Kong", "hong kong", "HongKong" -> "hongkong"."""
    return "".join(ch for ch in fold(text) if is_word_char(ch) or ch.isdigit())


def words(spec: str) -> list[str]:
    """The words of a "|"-separated list (how the parsers' tables are written)."""
    return spec.split("|")


def is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


@dataclass(frozen=True)
class Token:
    kind: Literal["num", "word", "sym"]
    text: str


def tokens(folded: str) -> list[Token]:
    """Split a folded text into numbers (digits with their separators), words and single symbols.

    A number keeps the dots, commas and apostrophes between its digits; a space joins two digit
    groups only when the next group has exactly three digits ("150 000", "2 500 000"). Letters
    and digits written together are two tokens ("150k", "Rp15jt", "১লা").
    """
    out: list[Token] = []
    i, n = 0, len(folded)
    while i < n:
        ch = folded[i]
        if ch.isdigit():
            j = i + 1
            while j < n and _continues_number(folded, i, j):
                j += 1
            out.append(Token("num", folded[i:j]))
            i = j
        elif is_word_char(ch):
            j = i + 1
            while j < n and is_word_char(folded[j]):
                j += 1
            out.append(Token("word", folded[i:j]))
            i = j
        elif ch == " ":
            i += 1
        else:
            out.append(Token("sym", ch))
            i += 1
    return out


def _continues_number(text: str, start: int, j: int) -> bool:
    c = text[j]
    if c.isdigit():
        return True
    if c in ".,'":
        return j + 1 < len(text) and text[j + 1].isdigit()
    return c == " " and re.match(r" \d{3}(?!\d)", text[j : j + 5]) is not None and _space_grouped(text, start)


def _space_grouped(text: str, start: int) -> bool:
    """Whether the digits from ``start`` look like space-grouped thousands (no dot or comma in them)."""
    m = re.match(r"\d{1,3}(?: \d{3})+(?!\d)", text[start:])
    return m is not None and "," not in m.group(0) and "." not in m.group(0)
