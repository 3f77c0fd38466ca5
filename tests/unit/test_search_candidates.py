"""The name index's candidate votes are added up in arrays: the candidates, their order and their
ties must be exactly those of adding the votes one variant at a time in dictionaries (the reference
below), on the real register names and on a generated register whose words repeat a lot."""

from __future__ import annotations

import heapq
import random

import pytest

from registry.seed.data import NAME_A, NAME_B
from registry.services.search import Index, normalize, search_text


def reference_candidates(index: Index, q_words: list[str], limit: int = 400) -> list[int]:
    """The votes one variant at a time: what `Index.candidates` must answer."""
    votes: dict[int, float] = {}
    weights = index.query_weights(q_words)
    distinctive = [q for q in q_words if weights[q] >= 0.6]
    for q in dict.fromkeys(distinctive or q_words):
        best: dict[int, float] = {}
        for w, s in sorted(index._similar_vocab(q), key=lambda ws: -ws[1]):
            if distinctive and w in index.common:
                continue
            vote = s * s * index.weight(w)
            fresh = index.postings[w]
            if best:
                fresh = sorted(set(fresh).difference(best))
            best.update(dict.fromkeys(fresh, vote))
        for vi, vote in best.items():
            votes[vi] = votes.get(vi, 0.0) + vote
    qc = "".join(q_words)
    if len(qc) >= 5:
        for vi in index._joined_matches(qc, limit=50, cutoff=80):
            votes[vi] = votes.get(vi, 0.0) + 10.0
    if len(votes) > limit:
        ranked = [(-vote, index.variant_lengths[vi], i, vi) for i, (vi, vote) in enumerate(votes.items())]
        return [vi for *_, vi in heapq.nsmallest(limit, ranked)]
    return list(votes)


def _generated(rng: random.Random, n: int) -> list[str]:
    # few words, many names: long postings and many equal votes
    forms = ["Overseas", "Manpower", "International", "Pvt Ltd", "Recruiting Agency", ""]
    return [
        f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {rng.choice(forms)}".strip()
        + (f" {rng.randint(1, 99)}" if rng.random() < 0.1 else "")
        for _ in range(n)
    ]


def _queries(rng: random.Random, names: list[str], n: int) -> list[str]:
    out = []
    for _ in range(n):
        name = rng.choice(names)
        words = name.split()
        kind = rng.randrange(5)
        if kind == 0 and len(words) > 1:
            rng.shuffle(words)
        elif kind == 1:
            i = rng.randrange(len(words))
            if len(words[i]) > 4:
                j = rng.randrange(1, len(words[i]) - 1)
                words[i] = words[i][:j] + words[i][j + 1 :]
        elif kind == 2:
            words = words[: max(1, len(words) - 1)]
        elif kind == 3:
            words = ["".join(words[:2]), *words[2:]]
        out.append(" ".join(words))
    return out


@pytest.mark.parametrize("limit", [400, 20, 3])
def test_candidates_are_the_reference_on_a_generated_register(limit):
    rng = random.Random(5)
    names = _generated(rng, 20_000)
    index = Index({i: search_text(n) for i, n in enumerate(names)})
    assert index.common  # the generated words are shared by many names
    compared = 0
    for query in _queries(rng, names, 250):
        q_words = normalize(query).split()
        if not q_words:
            continue
        want = reference_candidates(index, q_words, limit)
        assert index.candidates(q_words, limit=limit) == want, query
        compared += len(want) > limit // 2
    assert compared > 100  # most queries had more candidates than half the limit: the ranking was compared


def test_candidates_are_the_reference_on_the_real_registers_and_after_changes(register_names):
    """`register_names`: every name of the real registers (tests/unit/conftest.py)."""
    names = [v[0] for v in register_names.values()]
    rng = random.Random(9)
    index = Index({k: search_text(v[0], v[1:]) for k, v in register_names.items()})
    renamed = list(register_names)[:300]
    changed = index.with_changes({k: search_text(f"{register_names[k][0]} Overseas") for k in renamed})
    for idx in (index, changed):
        for query in _queries(rng, names, 300):
            q_words = normalize(query).split()
            if q_words:
                assert idx.candidates(q_words) == reference_candidates(idx, q_words), query
