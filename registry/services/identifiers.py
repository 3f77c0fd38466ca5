"""Comparison keys of identifiers: licence numbers and public ids, however they are typed.

Every place that matches an identifier (search, bulk verify, the recruiters import, licence register
sync) compares these keys, never the raw spellings. A recruiter's and a licence record's key is
stored in their indexed ``licence_key`` column, so matching is one indexed lookup.

``licence_key``: the text in Unicode compatibility form (NFKC: fullwidth letters and digits become
plain ones), case-folded, every decimal digit of any script (Devanagari ९, Bengali ৯, Arabic-Indic
٩ ...) turned into its ASCII digit, leading words such as "licence no." / "लाइसेन्स नं." dropped,
and then only letters and digits kept (no spaces, hyphens, slashes, dots or other punctuation).
"licence no. 9002/080/081", "9002-080-081" and "९००२/०८०/०८१" all give ``9002080081``.

``public_id_key``: a public id in its stored form (``RA-7K3Q9``) from "ra 7k3q9", "RA7K3Q9",
"ＲＡ－７Ｋ３Ｑ９" or the bare code "7k3q9"; ``None`` for text that cannot be one. A bare code must
hold a digit, so that a five-letter word ("Padma") is never taken for an id.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Public ids use no 0/O and no 1/I/L: easy to read and type.
PUBLIC_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PUBLIC_ID_PREFIX = "RA-"
PUBLIC_ID_LENGTH = 5
# Longest stored key (a licence number has at most 80 characters; NFKC can lengthen a few).
LICENCE_KEY_MAX = 160

# Words that people put before a licence number; dropped from the start, in any order, repeated.
LEADING_WORDS = (
    "licence",
    "licences",
    "license",
    "licenses",
    "lic",
    "no",
    "nos",
    "number",
    "num",
    "nr",
    "reg",
    "registration",
    "लाइसेन्स",
    "लाइसेंस",
    "इजाजतपत्र",
    "नं",
    "नम्बर",
    "नंबर",
    "संख्या",
    "লাইসেন্স",
    "নং",
    "নম্বর",
    "নাম্বার",
)


def _fold(text: str) -> str:
    """NFKC, case-folded, every decimal digit as its ASCII digit."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


_WORDS = sorted({_fold(w) for w in LEADING_WORDS}, key=len, reverse=True)
# A leading word ends at a separator (space, dot, colon, "#", ...) or where the digits start.
_LEADING = re.compile(r"^(?:[\s#:.\-]*(?:" + "|".join(map(re.escape, _WORDS)) + r")(?:[\s#:.º°\-]+|(?=\d)))+")


_HAS_DIGIT = re.compile(r"\d")
_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")


def _alnum(text: str) -> str:
    """Letters (with their combining marks) and digits only (of case-folded text)."""
    if text.isascii():
        return _NOT_ASCII_ALNUM.sub("", text)
    return "".join(ch for ch in text if ch.isalnum() or unicodedata.category(ch)[0] == "M")


def licence_key(text: str | None) -> str:
    """The comparison key of a licence number: '' when there is none."""
    folded = _fold(text or "")
    rest = _LEADING.sub("", folded)
    # Words are dropped only in front of a number: "No Limit Manpower" (a register keyed by name)
    # keeps its words, and "No." alone stays "no" rather than matching every empty key.
    key = _alnum(rest if rest != folded and _HAS_DIGIT.search(rest) else folded)
    return key[:LICENCE_KEY_MAX]


_PUBLIC_ID_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.]+")


def public_id_key(text: str | None) -> str | None:
    """The stored form of a public id (``RA-7K3Q9``), or None when the text cannot be one."""
    if text is not None and len(text) <= _REMEMBERED_LENGTH:
        return _remembered_public_id_key(text)  # an API request asks several times for the same id
    return _public_id_key(text)


_REMEMBERED_LENGTH = 64


@lru_cache(maxsize=4096)
def _remembered_public_id_key(text: str) -> str | None:
    return _public_id_key(text)


def _public_id_key(text: str | None) -> str | None:
    code = _code_of(text)
    if code is None or not all(ch in PUBLIC_ID_ALPHABET for ch in code):
        return None
    return PUBLIC_ID_PREFIX + code


# Letters of other scripts that look like those of the id alphabet (a phone keyboard set to Russian
# or Greek types them): read as the Latin letter they look like.
_HOMOGLYPHS = str.maketrans(
    "АВЕКМНОРСТУХЅІЈаеорсух" + "ΑΒΕΖΗΚΜΝΟΡΤΥΧ",
    "ABEKMHOPCTYXSIJAEOPCYX" + "ABEZHKMNOPTYX",
)
# Characters an id never holds, and what a reader may have taken for them (0/O for Q or D, 1/I/L
# for 7, J or T); and pairs of id characters that are easy to mix up on a worn card.
_NEVER_IN_ID = {"0": "QD", "O": "QD", "1": "7JT", "I": "7JT", "L": "7JT"}
_LOOK_ALIKE = {
    "5": "S",
    "S": "5",
    "8": "B",
    "B": "8",
    "2": "Z",
    "Z": "2",
    "6": "G",
    "G": "6",
    "U": "V",
    "V": "U",
}


@dataclass(frozen=True)
class PublicIdGuesses:
    """What a typed public id may be: ``exact`` (well formed), ``misread`` (the text holds characters no
    id has, each replaced by what it may have been read for) and ``swapped`` (look-alike id characters
    exchanged). Only ids that exist say anything: the caller looks them up."""

    exact: str | None
    misread: tuple[str, ...]
    swapped: tuple[str, ...]


def _code_of(text: str | None) -> str | None:
    t = (
        _PUBLIC_ID_SEPARATORS.sub("", _fold((text or "").translate(_HOMOGLYPHS)))
        .upper()
        .translate(_HOMOGLYPHS)
    )
    if len(t) == PUBLIC_ID_LENGTH + 2 and t.startswith("RA"):
        return t[2:]
    if len(t) == PUBLIC_ID_LENGTH and any(ch.isdigit() for ch in t):
        return t
    return None


def bare_code_key(text: str | None) -> str | None:
    """A bare code of letters only ("jftan") as a stored public id (``public_id_key`` wants a digit in
    a bare code, so that a word is not taken for an id): for a lookup that checks the id exists."""
    t = _PUBLIC_ID_SEPARATORS.sub("", _fold((text or "").translate(_HOMOGLYPHS))).upper()
    if len(t) == PUBLIC_ID_LENGTH and all(ch in PUBLIC_ID_ALPHABET for ch in t):
        return PUBLIC_ID_PREFIX + t
    return None


def public_id_guesses(text: str | None, limit: int = 64) -> PublicIdGuesses:
    """The public ids a typed text may stand for (see ``PublicIdGuesses``)."""
    code = _code_of(text)
    if code is None or not all(ch in PUBLIC_ID_ALPHABET or ch in _NEVER_IN_ID for ch in code):
        return PublicIdGuesses(None, (), ())
    if all(ch in PUBLIC_ID_ALPHABET for ch in code):
        exact = PUBLIC_ID_PREFIX + code
        options = [ch + _LOOK_ALIKE.get(ch, "") for ch in code]
        swapped = [PUBLIC_ID_PREFIX + "".join(p) for p in itertools.product(*options)]
        return PublicIdGuesses(exact, (), tuple(s for s in swapped if s != exact)[:limit])
    options = [_NEVER_IN_ID.get(ch, ch) for ch in code]
    misread = [PUBLIC_ID_PREFIX + "".join(p) for p in itertools.product(*options)]
    return PublicIdGuesses(None, tuple(misread[:limit]), ())
