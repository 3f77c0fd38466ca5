"""Recruiter search: the pure matcher on the real government register names, and the database path.

The register extracts in tests/data/registers are real (Bangladesh RL directory, Bangladesh shipping
MLA list with OCR noise, Philippines DMW names with backticks and "(FORMERLY ...)", Hong Kong English
and Chinese names). They are used here for names only; the database tests use invented recruiters.
"""

from __future__ import annotations

import random

import pytest

from registry.services import search
from registry.services.search import Index, name_variants, normalize, rank, rank_names, search_text


@pytest.fixture(scope="module")
def register_index(register_names) -> Index:
    return Index({k: search_text(v[0], v[1:]) for k, v in register_names.items()})


def _top_names(index: Index, names: dict, query: str, n: int = 3) -> list[str]:
    return [names[m.key][0] for m in index.search(query, limit=n)]


def test_registers_are_the_real_extracts(register_names):
    assert len(register_names) > 3900
    assert ["101 MOJO INT`L. CORPORATION"] in register_names.values()
    assert ["Sailor Bangladeah Limited"] in register_names.values()  # OCR noise, as published


# (query a worker might type, the real register name it must find within the top 3)
TYPO_CASES = [
    # Bangladesh RL directory: misspellings and transliteration variants
    ("Orchad Internasional", "Orchard International"),
    ("Fatima Overseas", "Fatema Overseas"),
    ("Haidari Trade International", "Haidory Trade International"),
    ("Labaik International", "Labbaik International"),
    ("Chalachol Overseas", "Chalachal Overseas"),
    ("Bashundara Employment", "Bashundhara Employment Services"),
    ("Mustafiz Intl", "Mostafiz International Ltd."),
    ("Al Razi International", "Al-Razi Internatiional"),
    ("Alzamzam International", "Al-Zam Zam International Ltd."),
    ("Khan Jahan Ali Overseas", "Khanjahan Ali Overseas"),
    # Bangladesh shipping list (OCR noise in the register itself)
    ("Sailor Bangladesh Limited", "Sailor Bangladeah Limited"),
    ("Shoreline Services Limited", "Shoreline ServicesLimited"),
    ("Aristocrat Merchant Marine", "Aristocarat Merchant Marine Services Limited."),
    ("Sobuj Bangla Shipping", "Shobuj Bangla Shipping Service Limited"),
    ("Karnafuli Maritime", "Karnaphuli Maritime Limited"),
    ("AZ Shipping Services", "A. Z. SHIPPING SERVICES"),
    ("RBM Maritime", "R.B.M Maritime Limited"),
    ("Unicorn Shiping Services", "Unicorn Shipping Services Limited"),
    # Philippines DMW: backticks, numbers, former names
    ("Mojo International", "101 MOJO INT`L. CORPORATION"),
    ("101 Mojo Intl Corp", "101 MOJO INT`L. CORPORATION"),
    ("3 Rs Overseas Placement", "3 R`S OVERSEAS PLACEMENT CORPORATION"),
    ("Ephesians Human Resource", "1010 EPHESIANS HUMAN RESOURCES INC"),
    ("Nepomoceno Promotions", "A & E NEPOMUCENO PROMOTIONS"),
    ("Rehab Care Philippines", "REHABCARE PHILIPPINES, INC. "),
    ("Chayan Man Promotion", "1ST AKCES MANPOWER INC (FORMERLY CHAYAN MAN PROMOTION PHILS INTERNATIONAL"),
    ("Smith Bell Manpower", "ABC GLOBAL EMPLOYMENT & MANPOWER SERVICES INC (FORMERLY SMITH BELL MANPOWER"),
    ("Akses Manpower", "1ST AKCES MANPOWER INC (FORMERLY CHAYAN MAN PROMOTION PHILS INTERNATIONAL"),
    # Hong Kong: English names, word order, Chinese (traditional and simplified)
    ("Rainbow Employment Centre", "Rainbow Employment Services Centre Limited"),
    ("Honour Hero Human Resources", "HONOR HERO HUMAN RESOURCES CO."),
    ("Employment Indo Chinese", "INDO-CHINESE EMPLOYMENT LIMITED"),
    ("Special Zone Overseas Employment", "SPECIAL ZONE OVERSEAS EMPLOYMENT (HONG KONG) LIMITED"),
    ("華南國際人力資源", "SOUTH CHINA INTERNATIONAL HUMAN RESOURCE CO."),
    ("华南国际人力资源", "SOUTH CHINA INTERNATIONAL HUMAN RESOURCE CO."),
    ("印華僱傭", "INDO-CHINESE EMPLOYMENT LIMITED"),
]


@pytest.mark.parametrize(("query", "expected"), TYPO_CASES)
def test_misspelled_reordered_transliterated_queries_find_the_real_name(
    register_index, register_names, query, expected
):
    top = _top_names(register_index, register_names, query, n=3)
    assert expected in top, f"{query!r} -> {top}"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Orchard International", "Orchard International"),
        ("Reaz Overseas", "Reaz Overseas"),
        ("Overseas Reaz", "Reaz Overseas"),
        ("Karnaphuli Maritime Limited", "Karnaphuli Maritime Limited"),
    ],
)
def test_the_intended_name_ranks_first(register_index, register_names, query, expected):
    assert _top_names(register_index, register_names, query, n=1) == [expected]


@pytest.mark.parametrize(
    "query",
    [
        "Sunshine Bakery",
        "Toyota Motor Corporation",
        "Kathmandu Pizza",
        "Blue Whale Football Club",
        "Dental Clinic Smile",
        "Hotel Paradise Restaurant",
        "qwerty asdfgh",
        "zzzz",
        "!!!",
        "",
    ],
)
def test_unrelated_queries_match_nothing(register_index, query):
    assert register_index.search(query, limit=5) == []


def test_generic_words_alone_do_not_make_a_match(register_index, register_names):
    # sharing only "overseas" / "international" with thousands of names is not a match
    for m in register_index.search("Zebrafish Overseas International", limit=10):
        assert "zebra" in normalize(" ".join(register_names[m.key]))


def test_scores_are_ordered_and_bounded(register_index):
    results = register_index.search("Rainbow Employment", limit=10)
    assert len(results) >= 2
    scores = [m.score for m in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 100 for s in scores)


def test_the_example_from_the_contract():
    names = {
        1: "Gorkha Manpower Services Pvt. Ltd.",
        2: "Himalayan Overseas Pvt. Ltd.",
        3: "Gulf Manpower Nepal",
        4: "Everest Human Resources",
    }
    assert [m.key for m in rank_names("Gurkha Manpower Pvt", names)][:1] == [1]
    assert [m.key for m in rank_names("Manpower Services Gorkha", names)][:1] == [1]
    assert [m.key for m in rank_names("गोर्खा म्यानपावर", names)][:1] == [1]  # Devanagari
    assert rank_names("Bakery", names) == []


def test_bengali_script_query_finds_the_latin_name():
    names = {1: "Bangladesh Overseas Employment Services", 2: "Sonar Bangla Manpower", 3: "Akij Travels"}
    assert [m.key for m in rank_names("সোনার বাংলা ম্যানপাওয়ার", names)][:1] == [2]


def test_other_names_are_searched():
    cands = {
        1: search_text("Alpha Placement Ltd", ["Sagarmatha Jobs"]),
        2: search_text("Beta Recruiting", []),
    }
    assert [m.key for m in rank("Sagarmata Jobs", cands)] == [1]


def test_normalize():
    assert normalize("101 MOJO INT`L. CORPORATION") == "101 mojo international"
    assert normalize("A. Z. SHIPPING SERVICES") == "az shipping services"
    assert normalize("Shoreline ServicesLimited") == "shoreline services"
    assert normalize("M/S Good Link International") == "good link international"
    assert normalize("Haque & Sons Ltd.") == "haque sons"
    assert normalize("華南國際人力資源公司") == normalize("华南国际人力资源")
    assert normalize("") == ""
    # a slip in a legal-form word is still a legal-form word; a real name word that looks alike is not
    assert normalize("Glory Wind Shipping Limtied") == "glory wind shipping"
    assert normalize("Bluewave Compnay") == "bluewave"
    assert normalize("Compass  Shipping Service Ltd.") == "compass shipping service"
    assert normalize("A & A Engineering") == "aa engineering"


def test_former_names_become_variants():
    variants = name_variants("2TG MANPOWER INTERNATIONAL CORP (formerly 2TG MANPOWER INTERNATIONAL)")
    assert "2tg manpower international" in variants
    variants = name_variants("1ST AKCES MANPOWER INC (FORMERLY CHAYAN MAN PROMOTION PHILS INTERNATIONAL")
    assert "1st akces manpower" in variants
    assert "chayan man promotion philippines international" in variants
    text = search_text("21ST CENTURY MANPOWER RESOURCES INC (FOR. NURSING INT`L.)")
    assert text.split(" | ")[0] == normalize("21ST CENTURY MANPOWER RESOURCES INC (FOR. NURSING INT`L.)")
    assert "nursing international" in text.split(" | ")


def test_search_text_keeps_the_legal_name_first_and_fits_the_column():
    text = search_text("Gorkha Manpower Services Pvt. Ltd.", ["x" * 300] * 20)
    assert text.startswith("gorkha manpower services")
    assert len(text) <= 2000


def test_large_candidate_set_still_finds_the_name(register_names):
    """~100k candidates (the real names plus invented variants): the prefilter must not lose the match."""
    rnd = random.Random(7)
    base = [search_text(v[0], v[1:]) for v in register_names.values()]
    syllables = ["ka", "ri", "mo", "tan", "lee", "sha", "ban", "gor", "pur", "dev", "nat", "sun", "ra", "jo"]
    cands = dict(enumerate(base))
    for i in range(len(base), 100_000):
        word = "".join(rnd.choice(syllables) for _ in range(3))
        cands[i] = f"{word} {rnd.choice(base)}"
    idx = Index(cands)
    assert len(idx) == 100_000
    exact = {v: k for k, v in enumerate(base)}
    for query, expected in [
        ("Orchad Internasional", "Orchard International"),
        ("RBM Maritime", "R.B.M Maritime Limited"),
    ]:
        want = exact[search_text(expected)]
        assert want in [m.key for m in idx.search(query, limit=10)]
    assert idx.search("Toyota Motor Corporation", limit=5) == []


def test_candidate_cache_rebuilds_only_when_the_stamp_changes():
    cache = search.CandidateCache()
    loads = []

    def loader():
        loads.append(1)
        return [(1, "gorkha manpower")]

    first = cache.get((1, "t1"), loader)
    assert cache.get((1, "t1"), loader) is first
    assert len(loads) == 1
    cache.get((2, "t2"), loader)
    assert len(loads) == 2


def test_an_index_with_changes_replaces_renamed_entries_and_leaves_the_old_index_as_it_was():
    old = Index({1: search_text("Gorkha Manpower Services"), 2: search_text("Sunrise Overseas")})
    new = old.with_changes(
        [(1, search_text("Himalayan Recruiting Agency")), (3, search_text("Gorkha Travels"))]
    )
    assert len(old) == 2 and len(new) == 3
    assert [m.key for m in new.search("Himalayan Recruiting")] == [1]
    assert [m.key for m in new.search("Gorkha")] == [3]  # key 1's former name is gone
    assert [m.key for m in new.search("Sunrise Overseas")] == [2]
    assert [m.key for m in old.search("Gorkha Manpower")] == [1]  # the old index is untouched
    assert old.search("Himalayan Recruiting") == []
    # A word new to the index is found by its misspellings and its consonant skeleton too.
    assert [m.key for m in new.search("Himalyan Recruting")] == [1]


def test_candidate_cache_loads_only_the_changes_when_it_can():
    cache = search.CandidateCache()
    full, since = [], []

    def loader():
        full.append(1)
        return [(1, "gorkha manpower"), (2, "sunrise overseas")]

    def changes(previous):
        since.append(previous)
        return [(1, "himalayan recruiting")]

    cache.get((2, "t1"), loader, changes)
    assert full == [1] and since == []  # nothing to start from: everything loaded
    index = cache.get((2, "t2"), loader, changes)
    assert full == [1] and since == [(2, "t1")]
    assert [m.key for m in index.search("himalayan recruiting")] == [1]
    assert index.search("gorkha manpower") == []
    cache.get((3, "t3"), loader, lambda previous: None)  # cannot tell: everything again
    assert full == [1, 1]


# --- the database path: search_recruiters (invented recruiters, SQLite and PostgreSQL) ------------


@pytest.fixture
def registry_rows(session):
    from tests import factories

    recs = {
        "gorkha": factories.recruiter(
            session,
            name="Gorkha Manpower Services Pvt. Ltd.",
            licence="DoFE 1234/070",
            other_names=["गोर्खा म्यानपावर"],
        ),
        "gulf": factories.recruiter(session, name="Gulf Manpower Nepal Pvt. Ltd.", licence="DoFE 2001/071"),
        "himal": factories.recruiter(
            session, name="Himalayan Skyline Overseas", other_names=["Skyline Jobs"]
        ),
        "dhaka": factories.recruiter(
            session, name="Padma River Overseas Ltd.", country="BD", licence="RL-9901"
        ),
    }
    session.commit()
    return recs


def test_search_recruiters_by_name_with_typos_and_word_order(session, registry_rows):
    from registry.services.recruiters import search_recruiters

    hits = search_recruiters(session, "Gurkha Manpower Pvt")
    assert hits[0][0].id == registry_rows["gorkha"].id
    assert [r.id for r, _ in search_recruiters(session, "Overseas Padma Rivr")][:1] == [
        registry_rows["dhaka"].id
    ]
    assert [r.id for r, _ in search_recruiters(session, "Skylin Jobs")][:1] == [registry_rows["himal"].id]
    assert [r.id for r, _ in search_recruiters(session, "गोर्खा म्यानपावर")][:1] == [registry_rows["gorkha"].id]
    assert search_recruiters(session, "Sunshine Bakery") == []
    assert search_recruiters(session, "   ") == []


def test_search_recruiters_by_public_id_and_licence_number(session, registry_rows):
    from registry.services.recruiters import search_recruiters

    rec = registry_rows["himal"]
    for q in (rec.public_id, rec.public_id.lower(), rec.public_id.replace("-", ""), f"  {rec.public_id} "):
        hits = search_recruiters(session, q)
        assert hits[0] == (rec, 100.0), q
    for q in ("DoFE 1234/070", "dofe 1234/070", "DOFE1234/070"):
        assert search_recruiters(session, q)[0][0].id == registry_rows["gorkha"].id, q
    assert search_recruiters(session, "rl-9901")[0][0].id == registry_rows["dhaka"].id


def test_search_recruiters_sees_renames_at_once(session, registry_rows):
    from registry.services import recruiters
    from registry.services.recruiters import RecruiterInput, search_recruiters

    assert search_recruiters(session, "Gorkha Manpower")  # warms the cache
    rec = registry_rows["gorkha"]
    recruiters.update(
        session,
        rec,
        RecruiterInput(
            legal_name="Annapurna Placement Pvt. Ltd.", country="NP", licence_number=rec.licence_number
        ),
        actor="test",
    )
    session.commit()
    assert [r.id for r, _ in search_recruiters(session, "Anapurna Placement")] == [rec.id]
    assert rec.id not in [r.id for r, _ in search_recruiters(session, "Gorkha Manpower Services")]


def test_search_licence_records(session):
    from registry.models import LicenceRecord
    from registry.services.identifiers import licence_key
    from registry.services.recruiters import search_licence_records

    session.add_all(
        [
            LicenceRecord(
                authority="DoFE",
                licence_number="777/075",
                licence_key=licence_key("777/075"),
                name="Machhapuchhre Overseas Pvt. Ltd.",
                status="valid",
            ),
            LicenceRecord(
                authority="DoFE",
                licence_number="778/075",
                licence_key=licence_key("778/075"),
                name="Rara Lake Manpower",
                status="cancelled",
            ),
        ]
    )
    session.commit()
    assert [r.licence_number for r in search_licence_records(session, "Machapuchare Overseas")] == ["777/075"]
    assert [r.name for r in search_licence_records(session, "778/075")] == ["Rara Lake Manpower"]
    assert search_licence_records(session, "Sunshine Bakery") == []
