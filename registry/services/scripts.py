"""Names typed in Devanagari (Nepali, Hindi) or Bengali script, written in Latin letters by sound.

A worker may type "सप्तकोशी ब्रिज" for "Saptakoshi Bridge" or "যমুনা ল্যান্টার্ন" for "Jamuna Lantern".
The letters are transliterated with the ``indic-transliteration`` library (its OPTITRANS scheme:
long vowels in capitals, the inherent vowel as a small "a"), then read as the name is said:

* the inherent vowel at the end of a word is not said (ब्रिज "brija" -> "brij"), nor before another
  vowel (ডওয়াটার "Daoya" -> "dowa"),
* Bengali ব is "b"; Bengali য at the start of a word is said "j" (যমুনা -> "jamuna"); য় is "y"; ওয় before a vowel is "w",
* dots of borrowed sounds (nukta) are dropped, and everything is lower case.

Search then compares the result with the Latin names through its transliteration-aware skeletons
(``registry.services.search``), which already ignore vowels, aspiration and the ya-phala.
"""

from __future__ import annotations

import re

from indic_transliteration import sanscript

_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_BENGALI = re.compile(r"[\u0980-\u09ff]")
_CONSONANT = "bcdfghjklmnpqrstvwxyzBCDFGHJKLMNPQRSTVWXYZ"
_INHERENT_BEFORE_VOWEL = re.compile(rf"(?<=[{_CONSONANT}])a(?=[aAeEiIoOuU])")
_INHERENT_AT_END = re.compile(rf"(?<=[{_CONSONANT}]{{1}})a\b")
_W = re.compile(r"oy(?=[aA])")
_NUKTA = "\u093c\u09bc"


def has_indic(text: str) -> bool:
    return bool(_DEVANAGARI.search(text) or _BENGALI.search(text))


def _word(latin: str, *, bengali: bool = False, initial_ya: bool = False) -> str:
    w = latin.translate({ord(c): None for c in _NUKTA})
    if bengali:
        w = w.replace("v", "b")  # Bengali has one letter for b and v, said "b"
    if initial_ya and w.startswith("y"):
        w = "j" + w[1:]
    w = _INHERENT_BEFORE_VOWEL.sub("", w)
    w = _W.sub("w", w)
    if len(w) > 2:
        w = _INHERENT_AT_END.sub("", w)
    return w.lower()


def to_latin(text: str) -> str | None:
    """The text in Latin letters by sound, or None when it holds no Devanagari or Bengali letter."""
    if not has_indic(text):
        return None
    out = []
    for word in text.split():
        if _BENGALI.search(word):
            # য় (precomposed or with its nukta) is "y"; the plain য starts a "j" only at a word's start
            word = word.replace("\u09df", "\u09af").replace("\u09af\u09bc", "\u09af")
            initial_ya = word.startswith("\u09af")
            latin = sanscript.transliterate(word, sanscript.BENGALI, sanscript.OPTITRANS)
            out.append(_word(latin, bengali=True, initial_ya=initial_ya))
        elif _DEVANAGARI.search(word):
            out.append(_word(sanscript.transliterate(word, sanscript.DEVANAGARI, sanscript.OPTITRANS)))
        else:
            out.append(word)
    return " ".join(w for w in out if w)
