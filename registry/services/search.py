"""Recruiter name matching shared by the public page, the admin list, the API and the bot.

How a name is prepared (``normalize``):
  * transliterated to ASCII with anyascii (Devanagari, Bengali, Chinese ... become Latin letters;
    each Chinese character becomes its own syllable, so simplified and traditional spellings meet),
  * lower-cased, apostrophes and backticks dropped (``INT`L`` -> ``intl``), other punctuation -> space,
  * runs of single letters joined (``A. Z. Shipping`` -> ``az shipping``), a legal form glued to the
    previous word split off (``ServicesLimited``), common abbreviations expanded (``intl``, ``mgmt``),
  * legal-form words dropped (Pvt, Ltd, Inc, Corp, Sdn Bhd, PT, 有限公司 ...).

A recruiter's ``search_text`` holds every name variant, `` | ``-separated: the legal name, the other
names, and for register names such as ``X INC (FORMERLY Y)`` also ``X`` and ``Y`` on their own.

How a query is scored against one name (``score_tokens``): each query word is paired with its most
similar word of the name (exact, same consonant skeleton - Gorkha/Gurkha, Haidari/Haidory -, edit
similarity, or prefix), words weighted by how distinctive they are (``overseas``, ``manpower``,
``international`` count little); the score mixes how much of the query was found with how much of the
name was covered, so word order does not matter and the closest name ranks first. The spelling with
the spaces removed is compared as well (``Khan Jahan`` / ``Khanjahan``).

``Index`` keeps the prepared names with an inverted index over words and consonant skeletons, so a
query only scores the few hundred names that share a similar word, even among 100,000 recruiters.
"""

from __future__ import annotations

import bisect
import copy
import re
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from anyascii import anyascii
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

_LEGAL_FORM_WORDS = (
    "pvt private ltd limited inc incorporated corp corporation co company llc plc sdn bhd pt cv"
)
LEGAL_FORMS = frozenset((_LEGAL_FORM_WORDS + " the and of est establishment m s ms").split())
# Chinese legal forms, removed before transliteration (limited company, company).
_CJK_LEGAL = re.compile(r"(有限公司|有限責任公司|有限责任公司|公司)")
ABBREVIATIONS = {
    "intl": "international",
    "internatl": "international",
    "int": "international",
    "mgmt": "management",
    "mgt": "management",
    "svc": "services",
    "svcs": "services",
    "serv": "services",
    "phils": "philippines",
    "phil": "philippines",
    "assoc": "associates",
    "agcy": "agency",
    "emp": "employment",
    "ctr": "centre",
    "center": "centre",
    "hr": "human resources",
    "bd": "bangladesh",
    "hk": "hong kong",
}
# Words that many recruiter names share: they count little when deciding whether a name matches.
GENERIC = frozenset(
    """overseas international global worldwide world manpower services service agency agencies recruitment
    recruiting recruiters recruiter employment employ placement placements resources resource human travel
    travels tours trade trading enterprise enterprises associates association consultancy consultants
    consultant consulting management group holdings maritime marine shipping ship lines line centre
    solutions staffing personnel promotion promotions development export exports import overseas
    bangladesh nepal philippines philippine indonesia india hong kong asia asian dhaka kathmandu manila
    jakarta new""".split()  # noqa: SIM905
)
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_CJK = re.compile(r"([\u3400-\u9fff\uf900-\ufaff])")
_FORMERLY = re.compile(r"\(\s*(?:formerly|for\.|frmly|formerly known as|fka|f/k/a)\s*([^)]*)\)?", re.I)
_PARENS = re.compile(r"\([^)]*\)?")
_GLUED_LEGAL = re.compile(r"^([a-z]{3,}?)(limited|ltd|inc|corp|corporation|company)$")
# Transliteration folds applied to the consonant skeleton.
_FOLDS = [
    (re.compile(r"dg(?=[eiy])"), "j"),  # bridge / brij
    (re.compile(r"(?<=[bcdfgjklmnpqrstvz])y(?=[aeiou])"), ""),  # ya-phala: myan -> man (Devanagari, Bengali)
    (re.compile(r"ng(?=[bcdfgjklmnpqrstvwxz])"), "m"),  # anusvara: bangla / bamla
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


def _ascii(text: str) -> str:
    text = _CJK_LEGAL.sub(" ", text)
    text = _CJK.sub(r" \1 ", text)  # one syllable per Chinese character
    return anyascii(text)


_LONG_LEGAL_FORMS = ("limited", "company", "private", "corporation", "incorporated", "establishment")


@lru_cache(maxsize=100_000)
def _misspelled_legal_form(word: str) -> bool:
    """'Limtied', 'Compnay', 'Corporaion': one slip (a swap counts as one) from a long legal-form word."""
    if len(word) < 5 or word in LEGAL_FORMS:
        return False
    return any(abs(len(word) - len(f)) <= 1 and OSA.distance(word, f) <= 1 for f in _LONG_LEGAL_FORMS)


def normalize(name: str) -> str:
    """ASCII, lower case, no punctuation or legal-form words, single spaces."""
    text = _ascii(name or "").lower()
    text = text.replace("`", "").replace("'", "").replace("\u2019", "").replace("&", " and ")
    text = _NON_ALNUM.sub(" ", text)
    words: list[str] = []
    run: list[str] = []  # consecutive single letters: initials, joined ("a z" -> "az")
    for w in text.split():
        if w == "and":
            continue  # "A & A" -> "aa"; a legal-form word anyway
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        if run:
            words.append("".join(run))
            run = []
        m = _GLUED_LEGAL.match(w)
        if m and m.group(1) not in LEGAL_FORMS:
            w = m.group(1)
        if _misspelled_legal_form(w):
            continue
        words.extend(ABBREVIATIONS.get(w, w).split())
    if run:
        words.append("".join(run))
    return " ".join(w for w in words if w not in LEGAL_FORMS)


@lru_cache(maxsize=200_000)
def skeleton_word(word: str) -> str:
    w = word
    for rx, rep in _FOLDS:
        w = rx.sub(rep, w)
    w = _VOWELS.sub("", w)
    return _DOUBLE.sub(r"\1", w)


def skeleton(normalized: str) -> str:
    return " ".join(skeleton_word(w) for w in normalized.split())


def name_variants(name: str) -> list[str]:
    """A register name and its parts: 'X INC (FORMERLY Y)' gives the whole, 'X' and 'Y' (normalized)."""
    out = [normalize(name)]
    former = [m.group(1) for m in _FORMERLY.finditer(name or "")]
    if former or "(" in (name or ""):
        out.append(normalize(_PARENS.sub(" ", name)))
        out.extend(normalize(f) for f in former)
    return [v for v in dict.fromkeys(out) if v]


def search_text(legal_name: str, other_names: list[str] | None = None) -> str:
    """The text stored with a recruiter for matching: every name variant, normalized, ' | '-separated."""
    variants: list[str] = []
    for n in [legal_name, *(other_names or [])]:
        variants.extend(name_variants(n))
    text = ""
    for v in dict.fromkeys(variants):
        nxt = f"{text} | {v}" if text else v
        if len(nxt) > 2000:
            break
        text = nxt
    return text


# --- scoring ------------------------------------------------------------------------------------


def word_weight(word: str) -> float:
    if word in GENERIC:
        return 0.25
    if word.isdigit():
        return 0.6
    if len(word) <= 2:
        return 0.5
    return 1.0


@lru_cache(maxsize=500_000)
def word_similarity(q: str, n: str) -> float:
    """How alike two words are, 0..1 (transliteration-aware)."""
    if q == n:
        return 1.0
    if len(q) <= 2 or len(n) <= 2:
        return 0.0
    sk_q, sk_n = skeleton_word(q), skeleton_word(n)
    best = 0.0
    if sk_q == sk_n and len(sk_q) >= 2:
        best = 0.92
    lev = OSA.normalized_similarity(q, n)  # edit similarity; two swapped letters count as one slip
    if min(len(q), len(n)) <= 4:
        lev = lev if OSA.distance(q, n) <= 1 else 0.0
    best = max(best, lev, fuzz.ratio(sk_q, sk_n) / 100 * 0.9 if len(sk_q) >= 3 else 0.0)
    if len(q) >= 4 and n.startswith(q):  # typed the beginning of a word
        best = max(best, 0.85)
    return best if best >= 0.72 else 0.0


def score_tokens(q_words: list[str], n_words: list[str], weight=word_weight) -> float:
    """0..100: how well a name (its words) answers a query (its words), order-free."""
    if not q_words or not n_words:
        return 0.0
    n_best = [0.0] * len(n_words)
    q_total = q_hit = 0.0
    distinctive_hit = distinctive = False
    for q in q_words:
        wq = weight(q)
        q_total += wq
        best, best_j = 0.0, -1
        for j, n in enumerate(n_words):
            s = word_similarity(q, n)
            if s > best:
                best, best_j = s, j
        if best_j >= 0:
            q_hit += wq * best
            n_best[best_j] = max(n_best[best_j], best)
        if wq >= 0.6:
            distinctive = True
            distinctive_hit = distinctive_hit or best >= 0.72
    # Same letters with the spaces in other places: "Khan Jahan" / "Khanjahan", "Rehab Care" / "Rehabcare".
    qc, nc = "".join(q_words), "".join(n_words)
    concat = fuzz.ratio(qc, nc) if min(len(qc), len(nc)) >= 5 else 0.0
    concat = concat * 0.98 if concat >= 85 else 0.0
    if distinctive and not distinctive_hit:
        return concat  # otherwise only generic words in common ("overseas", "international")
    n_weights = [weight(n) for n in n_words]
    n_total = sum(n_weights)
    n_cov = sum(w * s for w, s in zip(n_weights, n_best, strict=True)) / n_total
    q_cov = q_hit / q_total
    return max(100 * (0.8 * q_cov + 0.2 * n_cov), concat)


# --- the same name, up to spelling ------------------------------------------------------------------


def same_word_up_to_spelling(q: str, n: str) -> bool:
    """Two words that are one word spelt two ways: equal, the same consonant skeleton (a
    transliteration: Gorkha/Gurkha, brij/bridge), or one slip apart (two for long words; a swap of
    two letters is one slip). Short words and numbers must be equal."""
    if q == n:
        return True
    if q.isdigit() or n.isdigit():
        return False
    sk_q = skeleton_word(q)
    if len(sk_q) >= 3 and sk_q == skeleton_word(n) and abs(len(q) - len(n)) <= 3:
        return True
    shortest = min(len(q), len(n))
    if shortest < 4:
        return False
    return OSA.distance(q, n) <= (1 if shortest < 8 else 2)


def same_name_up_to_spelling(
    q_words: list[str] | tuple[str, ...], n_words: list[str] | tuple[str, ...]
) -> bool:
    """A query names exactly this name (both normalized): the same words in the same order, each
    spelt alike, or the same letters with the spaces in other places (with at most one slip).
    A word more or less, or another word in its place (even a generic one: "Overseas" for
    "Crescent International"), is not the same name."""
    if not q_words or not n_words:
        return False
    qc, nc = "".join(q_words), "".join(n_words)
    if qc == nc:
        return True
    if len(q_words) == len(n_words) and all(
        same_word_up_to_spelling(q, n) for q, n in zip(q_words, n_words, strict=True)
    ):
        return True
    return min(len(qc), len(nc)) >= 8 and OSA.distance(qc, nc) <= 1


@dataclass(frozen=True)
class Match:
    key: object
    score: float  # 0..100

    @property
    def confidence(self) -> float:
        """How sure the match is, 0..1 (the score scaled)."""
        return round(self.score / 100, 3)


# Letter counts of a spelling (normalized text: a-z and 0-9; anything else counted together).
_COUNTED = "abcdefghijklmnopqrstuvwxyz0123456789"
_BUCKET = np.full(256, len(_COUNTED), dtype=np.int64)
_BUCKET[[ord(ch) for ch in _COUNTED]] = np.arange(len(_COUNTED))


def char_counts(texts: list[str]) -> np.ndarray:
    """How often each letter occurs in each text: one row per letter, one column per text (int16)."""
    width, n = len(_COUNTED) + 1, len(texts)
    data = np.frombuffer("".join(texts).encode("ascii", "replace"), dtype=np.uint8)  # a byte a character
    rows = np.repeat(np.arange(n, dtype=np.int64), np.fromiter(map(len, texts), dtype=np.int64, count=n))
    cells = _BUCKET[data] * n + rows
    return np.bincount(cells, minlength=width * n).astype(np.int16).reshape(width, n)


class Index:
    """Prepared candidate names {key: search_text} with an inverted index over words and skeletons."""

    def __init__(self, candidates):
        """`candidates`: {key: search_text}, or rows (key, search_text)."""
        self.keys: list = []
        self.variants: list[tuple[int, tuple[str, ...]]] = []  # (key index, words)
        self.concat: list[str] = []  # by variant index: the words without spaces
        postings: dict[str, list[int]] = defaultdict(list)
        items = candidates.items() if hasattr(candidates, "items") else candidates
        for key, text in items:
            ki = len(self.keys)
            self.keys.append(key)
            for v in (text or "").split(" | "):
                words = tuple(map(sys.intern, v.split()))  # words repeat across names: share them
                if not words:
                    continue
                vi = len(self.variants)
                self.variants.append((ki, words))
                self.concat.append("".join(words))
                for w in set(words):
                    postings[w].append(vi)
        self.postings = dict(postings)
        self._arrays: dict[str, np.ndarray] = {}  # postings as arrays, made on first use
        self._weights: dict[str, float] = {}  # weight() of the index's words, as they are asked for
        self._index_joined()
        self.vocab = sorted(self.postings)
        self.by_skeleton: dict[str, list[str]] = defaultdict(list)
        for w in self.vocab:
            self.by_skeleton[skeleton_word(w)].append(w)
        n = max(len(self.variants), 1)
        # A word in more than 2% of a large register says little about which recruiter is meant.
        self.common = {w for w, p in self.postings.items() if n >= 1000 and len(p) > n * 0.02}
        self.key_index = {key: ki for ki, key in enumerate(self.keys)}
        self.replaced: set[int] = set()  # key indexes whose names were replaced by a later entry

    def _index_joined(self) -> None:
        """The joined spellings once each, shortest first, with the variants that have them: a query is
        compared only with the spellings whose length allows a ratio of 80 (see `_joined_matches`)."""
        by_joined: dict[str, list[int]] = defaultdict(list)
        for vi, joined in enumerate(self.concat):
            by_joined[joined].append(vi)
        self._by_joined = dict(by_joined)
        self.joined = sorted(by_joined, key=len)
        self.joined_lengths = [len(j) for j in self.joined]
        self.variant_lengths = [len(words) for _ki, words in self.variants]
        self._variant_lengths = np.array(self.variant_lengths, dtype=np.int64)
        self._joined_counts = char_counts(self.joined)
        self._joined_lengths = np.array(self.joined_lengths, dtype=np.int64)

    def _extend_joined(self, old: Index, first: int) -> None:
        """`_index_joined` for an index made from `old` by appending the variants from `first` on: only the
        new variants are grouped and only new spellings counted, each inserted at the end of the spellings
        of its length (what a full rebuild gives, up to the order within one length, which no result
        depends on). What did not change is shared with `old`, which stays as it was."""
        by_joined = dict(old._by_joined)
        added: list[str] = []
        for vi in range(first, len(self.concat)):
            spelling = self.concat[vi]
            group = by_joined.get(spelling)
            if group is None:
                by_joined[spelling] = [vi]
                added.append(spelling)
            elif group is old._by_joined.get(spelling):  # shared with the old index: copy before changing
                by_joined[spelling] = [*group, vi]
            else:
                group.append(vi)
        self._by_joined = by_joined
        self.variant_lengths = old.variant_lengths + [len(words) for _ki, words in self.variants[first:]]
        self._variant_lengths = np.array(self.variant_lengths, dtype=np.int64)
        if not added:
            return
        added.sort(key=len)
        at = [bisect.bisect_right(old.joined_lengths, len(j)) for j in added]
        joined: list[str] = []
        lengths: list[int] = []
        prev = 0
        for p, j in zip(at, added, strict=True):
            joined += old.joined[prev:p]
            lengths += old.joined_lengths[prev:p]
            joined.append(j)
            lengths.append(len(j))
            prev = p
        self.joined = joined + old.joined[prev:]
        self.joined_lengths = lengths + old.joined_lengths[prev:]
        self._joined_counts = np.insert(old._joined_counts, at, char_counts(added), axis=1)
        self._joined_lengths = np.array(self.joined_lengths, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys) - len(self.replaced)

    def with_changes(self, candidates) -> Index:
        """A new index: this one with `candidates` ({key: search_text} or rows) added, each replacing the
        entry of its key if there is one. What did not change is shared with this index, which stays as it
        is (a search running on it meanwhile is not disturbed); which words count as common is kept."""
        new = copy.copy(self)
        new.keys, new.variants, new.concat = list(self.keys), list(self.variants), list(self.concat)
        new.postings, new.by_skeleton = dict(self.postings), dict(self.by_skeleton)
        new.key_index, new.replaced = dict(self.key_index), set(self.replaced)
        new._arrays, new._weights = {}, dict(self._weights)  # (which words are common is kept)
        new_words: list[str] = []
        items = candidates.items() if hasattr(candidates, "items") else candidates
        for key, text in items:
            old = new.key_index.get(key)
            if old is not None:
                new.replaced.add(old)
            ki = new.key_index[key] = len(new.keys)
            new.keys.append(key)
            for v in (text or "").split(" | "):
                words = tuple(map(sys.intern, v.split()))
                if not words:
                    continue
                vi = len(new.variants)
                new.variants.append((ki, words))
                new.concat.append("".join(words))
                for w in set(words):
                    posting = new.postings.get(w)
                    if posting is None:
                        new.postings[w] = [vi]
                        new_words.append(w)
                        continue
                    if posting is self.postings.get(w):  # shared with this index: copy before changing
                        posting = new.postings[w] = list(posting)
                    posting.append(vi)
        if new_words:
            new.vocab = sorted([*self.vocab, *new_words])
            for w in new_words:
                sk = skeleton_word(w)
                new.by_skeleton[sk] = [*new.by_skeleton.get(sk, ()), w]
        new._extend_joined(self, len(self.variants))
        return new

    def weight(self, word: str) -> float:
        found = self._weights.get(word)
        if found is None:
            w = word_weight(word)
            found = min(w, 0.25) if word in self.common else w
            if word in self.postings:  # kept for the index's own words only (a query's are any text)
                self._weights[word] = found
        return found

    def _similar_vocab(self, q: str) -> list[tuple[str, float]]:
        found = {q: 1.0} if q in self.postings else {}
        sk = skeleton_word(q)
        for w in self.by_skeleton.get(sk, ()) if len(q) >= 3 and len(sk) >= 2 else ():
            found.setdefault(w, 0.9)
        if len(q) >= 4:
            for w, s, _ in process.extract(q, self.vocab, scorer=fuzz.ratio, limit=30, score_cutoff=70):
                found.setdefault(w, s / 100)
            i = bisect.bisect_left(self.vocab, q)
            while i < len(self.vocab) and self.vocab[i].startswith(q) and i < len(self.vocab):
                found.setdefault(self.vocab[i], 0.85)
                i += 1
        return list(found.items())

    def query_weights(self, q_words: list[str]) -> dict[str, float]:
        """Weights of the query's words; a misspelling of a common word ("Employmetn") counts as common."""
        out = {}
        for q in q_words:
            w = self.weight(q)
            if q not in self.postings and w >= 0.6:
                similar = [(s, v) for v, s in self._similar_vocab(q) if s >= 0.8]
                if similar:
                    w = self.weight(max(similar)[1])
            out[q] = w
        return out

    def _posting_array(self, word: str) -> np.ndarray:
        """The variant indexes of a word as an array (made on first use, then kept with this index)."""
        found = self._arrays.get(word)
        if found is None:
            found = self._arrays[word] = np.array(self.postings[word], dtype=np.int64)
        return found

    def candidates(self, q_words: list[str], limit: int = 400, weights: dict | None = None) -> list[int]:
        """Variant indexes worth scoring: they share a similar word or are alike without spaces.

        Each query word votes for the variants having a word similar to it (the closest such word's vote
        only); a variant's votes add up over the query words, plus 10 for a joined spelling alike. At
        most `limit` variants, the best voted first (ties: shorter names first, they fit the query better;
        then the order the variants were first voted for); all of them in that first-voted order when
        they are not more than `limit`. The votes are added in arrays, in the order a loop over the
        words would add them, so every sum is exactly that loop's."""
        weights = weights or self.query_weights(q_words)
        distinctive = [q for q in q_words if weights[q] >= 0.6]
        n = len(self.variants)
        votes = np.zeros(n)
        seen = np.zeros(n, dtype=bool)  # voted for so far
        order: list[np.ndarray] = []  # the variants in the order they were first voted for
        for q in dict.fromkeys(distinctive or q_words):
            best = np.zeros(n)  # per variant, the vote of the closest word to q only (votes are > 0)
            taken: list[np.ndarray] = []
            for w, s in sorted(self._similar_vocab(q), key=lambda ws: -ws[1]):
                if distinctive and w in self.common:
                    continue  # a word thousands of names share adds nothing next to a rarer one
                posting = self._posting_array(w)  # ascending
                fresh = posting[best[posting] == 0.0]  # the variants no closer word has voted for
                best[fresh] = s * s * self.weight(w)
                taken.append(fresh)
            if taken:
                voted = np.concatenate(taken)
                votes[voted] += best[voted]
                order.append(voted[~seen[voted]])
                seen[voted] = True
        qc = "".join(q_words)
        if len(qc) >= 5:
            joined = np.array(self._joined_matches(qc, limit=50, cutoff=80), dtype=np.int64)
            if joined.size:
                votes[joined] += 10.0
                order.append(joined[~seen[joined]])
                seen[joined] = True
        keys = np.concatenate(order) if order else np.zeros(0, dtype=np.int64)
        if keys.size > limit:
            # by vote (descending), then length, then the order they were first voted for
            ranked = np.lexsort((np.arange(keys.size), self._variant_lengths[keys], -votes[keys]))[:limit]
            return keys[ranked].tolist()
        return keys.tolist()

    def _joined_matches(self, qc: str, limit: int, cutoff: float) -> list[int]:
        """Variant indexes whose joined spelling is alike (fuzz.ratio >= cutoff) the joined query, best
        first, ties in variant order: what `process.extract(qc, self.concat, ...)` gives, but each
        spelling is scored once, and only spellings of a length that can reach the cutoff are scored
        (ratio = 100 * (1 - distance / (m + n)) and the distance is at least |m - n|)."""
        n = len(qc)
        # |m - n| <= (1 - c)(m + n)  <=>  n c / (2 - c) <= m <= n (2 - c) / c; one character wider each side
        c = cutoff / 100
        shortest = int(n * c / (2 - c)) - 1
        longest = int(n * (2 - c) / c) + 1
        lo = bisect.bisect_left(self.joined_lengths, shortest)
        hi = bisect.bisect_right(self.joined_lengths, longest)
        if lo >= hi:
            return []
        # Only spellings whose letter counts allow the cutoff are scored: the Indel distance is at least
        # the sum of the differences of each letter's count, so a spelling kept out cannot reach it.
        # (Sum of the differences = both lengths - 2 x the letters they share; shared: over the query's
        # letters only, one row of counts per letter.)
        wanted = char_counts([qc])[:, 0]
        letters = np.flatnonzero(wanted)
        shared = np.minimum(self._joined_counts[letters, lo:hi], wanted[letters, None]).sum(axis=0)
        total = self._joined_lengths[lo:hi] + n
        kept = np.flatnonzero((total - 2 * shared) * 100 <= (100 - cutoff) * total + 1e-6)
        choices = [self.joined[lo + i] for i in kept.tolist()]
        found = process.extract(qc, choices, scorer=fuzz.ratio, limit=None, score_cutoff=cutoff)
        out: list[int] = []
        at = 0
        while at < len(found) and len(out) < limit:  # best score first; within a score, by variant
            score, group = found[at][1], []
            while at < len(found) and found[at][1] == score:
                group.extend(self._by_joined[found[at][0]])
                at += 1
            out.extend(sorted(group))
        return out[:limit]

    def search(self, query: str, limit: int = 10, cutoff: float = 70.0) -> list[Match]:
        q_words = normalize(query).split()
        if not q_words:
            return []
        best: dict[int, float] = {}
        q_weights = self.query_weights(q_words)

        def weight(word: str) -> float:
            return q_weights[word] if word in q_weights else self.weight(word)

        scores: dict[tuple[str, ...], float] = {}  # names with the same words score the same
        for vi in self.candidates(q_words, weights=q_weights):
            ki, words = self.variants[vi]
            if ki in self.replaced:
                continue
            s = scores.get(words)
            if s is None:
                s = scores[words] = score_tokens(q_words, list(words), weight)
            if s >= cutoff and s > best.get(ki, 0.0):
                best[ki] = s
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], str(self.keys[kv[0]])))
        return [Match(self.keys[ki], round(s, 1)) for ki, s in ranked[:limit]]


def rank(query: str, candidates: dict[object, str], limit: int = 10, cutoff: float = 70.0) -> list[Match]:
    """Rank candidates {key: search_text} for a query; best first, at most `limit`."""
    return Index(candidates).search(query, limit=limit, cutoff=cutoff)


def rank_names(
    query: str, names: dict[object, list[str] | str], limit: int = 10, cutoff: float = 70.0
) -> list[Match]:
    """Like `rank` but on raw names {key: name or [names]} (prepares them first)."""
    prepared = {}
    for k, v in names.items():
        vs = [v] if isinstance(v, str) else list(v)
        prepared[k] = search_text(vs[0], vs[1:]) if vs else ""
    return rank(query, prepared, limit=limit, cutoff=cutoff)


class CandidateCache:
    """Process-wide search index over all recruiters, brought up to date when the data stamp changes:
    with only the rows changed since the previous stamp when the caller can load those (`changes`), and
    rebuilt from every row otherwise."""

    # More changed rows than this share of the index: build it anew (the replaced entries would otherwise
    # pile up).
    REBUILD_SHARE = 0.2

    def __init__(self):
        self._lock = threading.Lock()
        self._stamp = None
        self.index: Index = Index({})

    def get(self, stamp, loader, changes=None) -> Index:
        """The index for `stamp`. `loader()`: every (key, search_text) row; `changes(previous stamp)`: the
        rows added or changed since then, or None when they cannot be told apart."""
        with self._lock:
            if stamp != self._stamp:
                rows = None
                if changes is not None and self._stamp is not None and len(self.index):
                    rows = changes(self._stamp)
                if rows is not None and len(rows) <= max(100, len(self.index) * self.REBUILD_SHARE):
                    self.index = self.index.with_changes(rows)
                else:
                    self.index = Index(loader())
                self._stamp = stamp
            return self.index
