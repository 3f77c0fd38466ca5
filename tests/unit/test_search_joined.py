"""The joined-spelling pass of the name index ("Khan Jahan" / "Khanjahan") scores each distinct
spelling once and skips lengths that cannot reach the cutoff: it must give exactly what scoring every
variant with rapidfuzz gives, best first and equal scores in variant order."""

from __future__ import annotations

import random

from rapidfuzz import fuzz, process

from registry.seed.data import NAME_A, NAME_B
from registry.services.search import Index, normalize, search_text


def _names(rng: random.Random, n: int) -> list[str]:
    # Invented names that repeat (as branches and generated registers do) and differ in spacing.
    out = []
    for _ in range(n):
        a, b = rng.choice(NAME_A[:12]), rng.choice(NAME_B[:8])
        out.append(rng.choice([f"{a} {b} Overseas", f"{a}{b} Overseas", f"{a} {b}", f"{a}{b.lower()} Ltd"]))
    return out


def test_joined_matches_are_the_full_scan():
    rng = random.Random(11)
    names = _names(rng, 3000)
    index = Index({i: search_text(n) for i, n in enumerate(names)})
    compared = 0
    for _ in range(300):
        q = rng.choice(names)
        q = rng.choice([q, q.replace(" ", "", 1), q[:-2], q.lower().replace("a", "e", 1)])
        joined = "".join(normalize(q).split())
        for limit, cutoff in ((50, 80), (5, 90), (400, 60)):
            full = [
                vi
                for _, _, vi in process.extract(
                    joined, index.concat, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff
                )
            ]
            assert index._joined_matches(joined, limit=limit, cutoff=cutoff) == full, (q, limit, cutoff)
            compared += bool(full)
    assert compared > 500  # the queries did find spellings (most of them, with ties)


def test_a_query_too_short_or_too_long_for_every_spelling_finds_none():
    index = Index({1: search_text("Himal Bridge Overseas"), 2: search_text("Sagar Gate")})
    assert index._joined_matches("ab", limit=50, cutoff=80) == []
    assert index._joined_matches("x" * 60, limit=50, cutoff=80) == []
    assert index._joined_matches("sagargate", limit=50, cutoff=80) == [1]  # the variant of "Sagar Gate"
