"""What a worker's free text asks to verify: one recruiter for certain, some to choose from, help, or
nothing. The public page and the bot answer from here; the rule is written out, with examples, in
docs/verify-rule.md.

A recruiter's card is given directly (``EXACT``) only when there is no doubt which recruiter is meant:

* a public id (``RA-7K3Q9``, also without ``RA-``, in lower case, with letters of other scripts that
  look the same, or with a character no id holds - 0/O, 1/I/L - read as the one it was taken for,
  when exactly one recruiter has such an id),
* a licence number, however typed (``identifiers.licence_key``), that exactly one recruiter holds,
* a name that is the legal name or a registered other name of exactly one recruiter, exactly or up to
  spelling (``search.same_name_up_to_spelling``), also inside a question ("is X safe?") and also typed
  in Devanagari or Bengali script (``scripts.to_latin``).

Anything else that resembles recruiters gives ``CANDIDATES``, each with the search's confidence:
one word shared, another word in the place of one ("Overseas" for "Crescent International"), a
name that is the beginning of another, a look-alike id, several recruiters with that name or licence.
A message that is only a greeting, thanks, help or menu gives ``HELP``; the rest ``NOTHING``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from registry.models import Recruiter, id_of
from registry.services import identifiers, name_index, phrases, scripts, search

EXACT = "exact"
CANDIDATES = "candidates"
HELP = "help"
NOTHING = "nothing"

MAX_QUERY = 200
MAX_CANDIDATES = 5
NAME_CUTOFF = 70.0
# Official licence registers a worker can check, by country of the recruiter.
GOVERNMENT_REGISTERS = {
    "NP": ("Department of Foreign Employment (DoFE), Nepal", "https://dofe.gov.np"),
    "BD": ("Bureau of Manpower, Employment and Training (BMET), Bangladesh", "https://bmet.gov.bd"),
    "PH": ("Department of Migrant Workers (DMW), Philippines", "https://dmw.gov.ph"),
    "ID": ("BP2MI, Indonesia", "https://bp2mi.go.id"),
    "HK": ("Labour Department, Hong Kong", "https://www.eaa.labour.gov.hk"),
}


@dataclass(frozen=True)
class Candidate:
    recruiter: Recruiter
    confidence: float  # 0..1: 1 for an identifier that matches, the name search's confidence otherwise


@dataclass(frozen=True)
class Answer:
    kind: str  # EXACT, CANDIDATES, HELP or NOTHING
    query: str  # the text as looked up (spaces collapsed, at most MAX_QUERY characters)
    how: str = ""  # for EXACT: "public_id", "licence" or "name"
    candidates: tuple[Candidate, ...] = ()  # EXACT: the one recruiter; CANDIDATES: best first

    @property
    def recruiter(self) -> Recruiter | None:
        return self.candidates[0].recruiter if self.kind == EXACT and self.candidates else None


@lru_cache(maxsize=8)
def _recruiters_by(column: str):
    """Recruiters whose `column` is one of the values given, by id: built once, the values and the limit
    bound at each run (a statement built with its values would be walked for its cache key every time)."""
    return (
        select(Recruiter)
        .where(col(getattr(Recruiter, column)).in_(bindparam("values", expanding=True)))
        .order_by(col(Recruiter.id))
        .limit(bindparam("limit"))
    )


def _recruiters_where(session: Session, column: str, values: list, limit: int) -> list[Recruiter]:
    return list(session.scalars(_recruiters_by(column), {"values": values, "limit": limit}))


def _answer(
    query: str,
    how: str,
    found: list[Recruiter],
    sure: bool,
    confidence: float = 1.0,
    limit: int = MAX_CANDIDATES,
) -> Answer | None:
    if not found:
        return None
    if sure and len(found) == 1:
        return Answer(EXACT, query, how, (Candidate(found[0], 1.0),))
    return Answer(CANDIDATES, query, how, tuple(Candidate(r, confidence) for r in found[:limit]))


def _by_public_id(session: Session, query: str, text: str, limit: int) -> Answer | None:
    g = identifiers.public_id_guesses(text)
    exact = g.exact or identifiers.bare_code_key(text)
    if exact is not None:
        found = _recruiters_where(session, "public_id", [exact], 1)
        if found:
            return _answer(query, "public_id", found, sure=True)
    for guesses, sure in ((g.misread, True), (g.swapped, False)):
        if guesses:
            found = _recruiters_where(session, "public_id", list(guesses), limit + 1)
            answer = _answer(query, "public_id", found, sure=sure, confidence=0.9, limit=limit)
            if answer is not None:
                return answer
    return None


def _by_licence(session: Session, query: str, text: str, limit: int) -> Answer | None:
    key = identifiers.licence_key(text)
    if len(key) < 3 or not any(ch.isdigit() for ch in key):
        return None  # a licence number holds digits; words are names
    found = _recruiters_where(session, "licence_key", [key], limit + 1)
    return _answer(query, "licence", found, sure=True, limit=limit)


def name_queries(query: str) -> list[str]:
    """The texts a name is looked for as: the message, the name inside its question words, and each
    of them in Latin letters when typed in Devanagari or Bengali."""
    texts = [query, phrases.strip_frames(query)]
    texts += [latin for t in texts if (latin := scripts.to_latin(t))]
    return [t for t in dict.fromkeys(texts) if t]


def _variants(search_text: str | None) -> list[list[str]]:
    return [v.split() for v in (search_text or "").split(" | ") if v.strip()]


# The names of the recruiters the index found (to tell exact and spelt names apart): two columns, not
# the whole row of each; the rows are loaded for the recruiters answered only.
_SEARCH_TEXTS = (
    select(col(Recruiter.id), col(Recruiter.search_text))
    .where(col(Recruiter.id).in_(bindparam("values", expanding=True)))
    .order_by(col(Recruiter.id))
)


def _by_name(session: Session, query: str, limit: int) -> Answer | None:
    index = name_index.current(session)
    scores: dict[int, float] = {}
    words: list[list[str]] = []
    searched: set[str] = set()
    for text in name_queries(query):
        normalized = search.normalize(text)
        if normalized in searched:
            continue  # the index searches the normalized text: the same one gives the same matches
        searched.add(normalized)
        q_words = normalized.split()
        if q_words:
            words.append(q_words)
        for m in index.search(text, limit=limit * 2, cutoff=NAME_CUTOFF):
            rid = int(str(m.key))
            scores[rid] = max(scores.get(rid, 0.0), m.score)
    if not scores:
        return None
    names: dict[int, str | None] = dict(session.execute(_SEARCH_TEXTS, {"values": list(scores)}).all())
    exact: list[int] = []
    spelt: list[int] = []
    for rid, search_text in names.items():
        variants = _variants(search_text)
        if any(q == v for q in words for v in variants):
            exact.append(rid)
        elif any(search.same_name_up_to_spelling(q, v) for q in words for v in variants):
            spelt.append(rid)
    for tier in (exact, spelt):
        if len(tier) == 1:
            found = _recruiters_where(session, "id", tier, 1)
            return Answer(EXACT, query, "name", (Candidate(found[0], 1.0),)) if found else None
        if tier:  # several recruiters with this name: they come first
            for rid in tier:
                scores[rid] = max(scores[rid], 100.0)
            break
    ranked = sorted((rid for rid in scores if rid in names), key=lambda rid: (-scores[rid], rid))[:limit]
    by_id = {id_of(r): r for r in _recruiters_where(session, "id", ranked, len(ranked))}
    return Answer(
        CANDIDATES,
        query,
        "",
        tuple(Candidate(by_id[rid], round(scores[rid] / 100, 3)) for rid in ranked if rid in by_id),
    )


def lookup(session: Session, text: str, limit: int = MAX_CANDIDATES) -> Answer:
    """What the text asks for (see the module's description); at most `limit` candidates."""
    query = " ".join((text or "").split())[:MAX_QUERY]
    if phrases.is_help(query):
        return Answer(HELP, query)
    texts = list(dict.fromkeys(t for t in (query, phrases.strip_frames(query)) if t))
    for find in (_by_public_id, _by_licence):
        for t in texts:
            answer = find(session, query, t, limit)
            if answer is not None:
                return answer
    return _by_name(session, query, limit) or Answer(NOTHING, query)
