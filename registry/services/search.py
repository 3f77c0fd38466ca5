"""Recruiter name matching shared by the public page, the admin list, the API and the bot.

Names are transliterated to ASCII (anyascii), lower-cased, stripped of punctuation and legal-form
words, and compared with rapidfuzz on both the words and a consonant skeleton, which absorbs
common transliteration differences (Gorkha/Gurkha, Shrestha/Srestha, Mohammad/Muhammed).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from anyascii import anyascii
from rapidfuzz import fuzz, process

LEGAL_FORMS = frozenset(
    "pvt pvt. private ltd limited inc incorporated corp corporation co company llc plc sdn bhd pt cv "
    "the and of est establishment".split()
)
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
# Transliteration folds applied to the skeleton.
_FOLDS = [
    (re.compile(r"([bcdgjkpstz])h"), r"\1"),  # aspirated consonants: kh->k, bh->b, sh->s
    (re.compile(r"ph"), "f"),
    (re.compile(r"w"), "v"),
    (re.compile(r"q"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"c"), "k"),
    (re.compile(r"z"), "j"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"y"), "i"),
]
_VOWELS = re.compile(r"(?<=\w)[aeiou]+")
_DOUBLE = re.compile(r"(\w)\1+")


def normalize(name: str) -> str:
    """ASCII, lower case, no punctuation or legal-form words, single spaces."""
    text = anyascii(name or "").lower().replace("`", "'").replace("'", "")
    text = text.replace("&", " and ")
    text = _NON_ALNUM.sub(" ", text)
    words = [w for w in text.split() if w not in LEGAL_FORMS]
    return " ".join(words)


def skeleton_word(word: str) -> str:
    w = word
    for rx, rep in _FOLDS:
        w = rx.sub(rep, w)
    w = _VOWELS.sub("", w)
    return _DOUBLE.sub(r"\1", w)


def skeleton(normalized: str) -> str:
    return " ".join(skeleton_word(w) for w in normalized.split())


def search_text(legal_name: str, other_names: list[str] | None = None) -> str:
    """The text stored with a recruiter for matching: every name, normalized, ' | '-separated."""
    names = [legal_name, *(other_names or [])]
    return " | ".join(dict.fromkeys(n for n in (normalize(x) for x in names) if n))


def score(query_norm: str, query_skel: str, candidate_norm: str) -> float:
    """Best score of the query against each name of a candidate (0..100)."""
    best = 0.0
    for name in candidate_norm.split(" | "):
        s = max(
            fuzz.WRatio(query_norm, name, processor=None),
            fuzz.token_set_ratio(query_skel, skeleton(name), processor=None) * 0.97,
        )
        if s > best:
            best = s
    return best


@dataclass(frozen=True)
class Match:
    key: object
    score: float


def rank(query: str, candidates: dict[object, str], limit: int = 10, cutoff: float = 60.0) -> list[Match]:
    """Rank candidates {key: search_text} for a query; best first, at most `limit`."""
    skeletons = {k: skeleton(v.replace(" | ", " ")) for k, v in candidates.items()}
    return rank_cached(query, candidates, skeletons, limit=limit, cutoff=cutoff)


class CandidateCache:
    """Process-wide cache of (key -> search_text, skeleton), refreshed when the data stamp changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._stamp = None
        self.names: dict[int, str] = {}
        self.skeletons: dict[int, str] = {}

    def get(self, stamp, loader):
        with self._lock:
            if stamp != self._stamp:
                self.names = dict(loader())
                self.skeletons = {k: skeleton(v.replace(" | ", " ")) for k, v in self.names.items()}
                self._stamp = stamp
            return self.names, self.skeletons


def rank_cached(query: str, names: dict, skeletons: dict, limit: int = 10, cutoff: float = 60.0) -> list[Match]:
    qn = normalize(query)
    if not qn:
        return []
    qs = skeleton(qn)
    pre = process.extract(qn, names, scorer=fuzz.WRatio, processor=None, limit=300, score_cutoff=cutoff * 0.6)
    pre_skel = process.extract(qs, skeletons, scorer=fuzz.token_set_ratio, processor=None, limit=100,
                               score_cutoff=cutoff * 0.8)
    keys = {k for _, _, k in pre} | {k for _, _, k in pre_skel}
    scored = [Match(k, round(score(qn, qs, names[k]), 1)) for k in keys]
    scored = [m for m in scored if m.score >= cutoff]
    scored.sort(key=lambda m: (-m.score, str(m.key)))
    return scored[:limit]


