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


def _edited(rng: random.Random, text: str) -> str:
    """A spelling as a worker might type it: letters dropped, doubled, swapped or changed, spaces lost."""
    chars = list(text)
    for _ in range(rng.randrange(4)):
        if not chars:
            break
        at = rng.randrange(len(chars))
        edit = rng.randrange(4)
        if edit == 0:
            del chars[at]
        elif edit == 1:
            chars.insert(at, chars[at])
        elif edit == 2 and at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
        else:
            chars[at] = rng.choice("aeioubcdklmnrst0123456789")
    return "".join(chars)


def test_letter_counts_keep_out_only_what_cannot_match(register_names):
    """Only spellings whose letter counts allow the cutoff are scored (char_counts): on the real register
    names, typed with errors, and on an index brought up to date with changed rows, the result is still
    exactly the full scan's."""
    rng = random.Random(5)
    names = {k: v[0] for k, v in register_names.items()}
    index = Index({k: search_text(v) for k, v in names.items()})
    keys = list(names)
    changed = {k: search_text(_edited(rng, names[k]) + " Overseas") for k in rng.sample(keys, 200)}
    changed.update({10**9 + i: search_text(f"Naya Sansar {i} Manpower") for i in range(50)})
    updated = index.with_changes(changed)
    compared = 0
    for idx in (index, updated):
        for _ in range(250):
            joined = "".join(normalize(_edited(rng, names[rng.choice(keys)])).split())
            if len(joined) < 5:
                continue
            for limit, cutoff in ((50, 80), (10, 90), (400, 60), (50, 95)):
                full = [
                    vi
                    for _, _, vi in process.extract(
                        joined, idx.concat, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff
                    )
                ]
                assert idx._joined_matches(joined, limit=limit, cutoff=cutoff) == full, (joined, cutoff)
                compared += bool(full)
    assert compared > 1000


def _joined_state(index: Index) -> tuple:
    """The joined spellings of an index as a rebuild would make them, in a form that ignores the order
    within one length (no result depends on it)."""
    columns = {j: tuple(index._joined_counts[:, i].tolist()) for i, j in enumerate(index.joined)}
    return (
        {j: list(vis) for j, vis in index._by_joined.items()},
        columns,
        index.joined_lengths,
        index._joined_lengths.tolist(),
        index.variant_lengths,
        index._variant_lengths.tolist(),
    )


def test_an_index_brought_up_to_date_has_the_spellings_of_a_rebuilt_one(register_names):
    """with_changes groups and counts only the new variants' spellings: after two rounds of changes (new
    spellings, spellings other recruiters have already, names changed twice) the joined spellings are
    those of a full rebuild over the same variants, shortest first, and the first index is unchanged."""
    import copy

    rng = random.Random(17)
    names = {k: v[0] for k, v in register_names.items()}
    keys = list(names)
    index = Index({k: search_text(v) for k, v in names.items()})
    before = copy.deepcopy(_joined_state(index))
    first = {k: search_text(_edited(rng, names[k])) for k in rng.sample(keys, 150)}
    first.update({10**9 + i: search_text(names[keys[i]]) for i in range(30)})  # spellings already there
    second = {k: f"naya {first[k]}" for k in rng.sample(list(first), 60)}
    second.update({10**9 + 100 + i: search_text(f"Naya Sansar {i}") for i in range(20)})
    updated = index.with_changes(first).with_changes(second)

    rebuilt = copy.copy(updated)
    rebuilt._index_joined()
    got, want = _joined_state(updated), _joined_state(rebuilt)
    assert got[0] == want[0] and got[1] == want[1] and got[2:] == want[2:]
    assert updated.joined_lengths == sorted(updated.joined_lengths)
    assert len(updated.joined) > len(index.joined)  # new spellings were inserted
    assert _joined_state(index) == before
