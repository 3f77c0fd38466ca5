"""What a worker's text asks to verify (registry.services.lookup), against the demo recruiters and a
real register row: a direct card only when there is no doubt, candidates otherwise, help for
greetings, identifiers however typed, names inside questions and in Devanagari or Bengali script."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session

from registry.models import Recruiter
from registry.seed import data
from registry.services import auditlog, lookup
from registry.services.recruiters import RecruiterInput, create

REGISTERS = Path(__file__).resolve().parents[1] / "data" / "registers"


def _register_row() -> tuple[str, str]:
    """A real Bangladesh register row (name, licence number): licence RL-0010."""
    with open(REGISTERS / "bd_recruiting_agencies_rl_directory_2023.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["rl_no"] == "RL-0010")
    return row["agency_name"], row["rl_no"]


@pytest.fixture
def demo(engine):
    """The demo recruiters (with their licence numbers) and one real register agency, by legal name."""
    s = Session(engine, expire_on_commit=False)
    auditlog.set_actor(s, "test")
    by_name: dict[str, Recruiter] = {}
    for i, (_scenario, name, other, country, dests, sectors) in enumerate(data.DEMO_RECRUITERS):
        by_name[name] = create(
            s,
            RecruiterInput(
                legal_name=name,
                other_names=other,
                country=country,
                licence_authority=str(data.AUTHORITIES.get(country, "")),
                licence_number=data.licence_number(country, i + 1),
                corridors=[(country, d) for d in dests],
                sectors=sectors,
            ),
            actor="test",
        )
    name, number = _register_row()
    by_name[name] = create(
        s, RecruiterInput(legal_name=name, country="BD", licence_number=number), actor="test"
    )
    s.commit()
    yield s, by_name
    s.close()


def _kind(s: Session, text: str) -> lookup.Answer:
    return lookup.lookup(s, text)


# --- look-alike names never give a direct card -----------------------------------------------------

LOOK_ALIKES = [
    # from the field: a real agency's first word with another generic word
    "Padma Overseas",
    "Tilicho Overseas",
    "Saptakoshi Manpower",
    "Meghna Overseas",
    "Mayon Manpower",
    # one word shared, another generic word in place of the rest
    "Padma International",
    "Padma Crescent Overseas",
    "Crescent International",
    "Tilicho Manpower",
    "Tilicho Horizon Overseas",
    "Horizon Manpower",
    "Saptakoshi Overseas",
    "Saptakoshi Bridge Manpower",
    "Bridge Overseas",
    "Khaptad Manpower",
    "Khaptad Skyline Overseas",
    "Rara Overseas",
    "Barun Manpower",
    "Dolpo Overseas",
    "Ghodaghodi Manpower",
    "Mardi Overseas",
    "Shey Manpower",
    "Meghna Manpower",
    "Meghna Tidewater International",
    "Jamuna Overseas",
    "Jamuna Lantern Overseas",
    "Karnaphuli Overseas",
    "Surma Overseas",
    "Teesta Manpower",
    "Sundarban Overseas",
    "Rupsha Overseas",
    "Bayanihan Manpower Agency",
    "Bayanihan Overseas",
    "Mayon Placement",
    "Mayon Overseas",
    "Pinatubo Manpower",
    "Taal Manpower",
    "Banaue Manpower",
    "Siargao Recruitment",
    "Sierra Madre Manpower",
    "Nusantara Karya",
    "Cendrawasih Manpower",
    "Rinjani Mandiri",
    "Bromo Overseas",
    "Kalimaya Prima",
    "Toba Abadi",
    "Narmada Overseas",
    "Kaveri Manpower",
    "Godavari Recruiters International",
    "Chilika Consultancy",
    "Sahyadri Overseas",
    "Ayeyarwady Overseas",
    "Chindwin Overseas",
    "Bagan Manpower",
    "Sigiriya Employment",
    "Wakra Manpower",
    "Selangor Workforce",
    "Orchard Overseas",
    # a name that is the beginning of another
    "Padma",
    "Padma Crescent",
    "Tilicho",
    "Saptakoshi",
    "Meghna",
    "Rara Valley",
    "Mardi Himal",
    "Chocolate Hills",
    "Dune Harbour",
    "Lembah Kinta",
    "Orchard",
    # a name with a word more than the real one
    "Padma Crescent International Overseas",
    "Saptakoshi Bridge Overseas International",
    "Meghna Tidewater Overseas Manpower",
    "Agency Padma Crescent International",
    "Padma Crescent International Agency",
    # words that name no agency
    "menu",
    "agent",
    "manpower",
]


def test_look_alike_names_never_give_a_direct_card(demo):
    s, by_name = demo
    assert len(LOOK_ALIKES) >= 40
    direct = {q: a.recruiter.legal_name for q in LOOK_ALIKES if (a := _kind(s, q)).kind == lookup.EXACT}
    assert direct == {}
    # the field cases still offer the real agency to choose, with a confidence
    a = _kind(s, "Padma Overseas")
    assert a.kind == lookup.CANDIDATES
    assert [c.recruiter.legal_name for c in a.candidates][0] == "Padma Crescent International"
    assert all(0 < c.confidence < 1 for c in a.candidates)


# --- genuine misspellings reach the recruiter in one step or one tap ------------------------------

MISSPELLINGS = [
    ("Saptakosi Bridge Overseas", "Saptakoshi Bridge Overseas Pvt. Ltd."),
    ("saptakoshi bridj", "Saptakoshi Bridge Overseas Pvt. Ltd."),
    ("Tilicho Horizn", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("Tilicho Horizon Manpowr", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("Khaptad Skylin", "Khaptad Skyline Employment Services Pvt. Ltd."),
    ("Khapted Skyline Employment Services", "Khaptad Skyline Employment Services Pvt. Ltd."),
    ("Rara Vally Placement", "Rara Valley Placement Pvt. Ltd."),
    ("Barun Crest Recruitmnt", "Barun Crest Recruitment Pvt. Ltd."),
    ("Dolpo Trail Manpower Agancy", "Dolpo Trail Manpower Agency Pvt. Ltd."),
    ("Ghodaghodi Lake Oversea", "Ghodaghodi Lake Overseas Pvt. Ltd."),
    ("Mardi Himaal Workforce", "Mardi Himal Workforce Pvt. Ltd."),
    ("Shey Phoksundo Manpowr", "Shey Phoksundo Manpower Pvt. Ltd."),
    ("Phoksundo Manpwer", "Shey Phoksundo Manpower Pvt. Ltd."),
    ("Padma Crescent Internatonal", "Padma Crescent International"),
    ("Padma Cresent International", "Padma Crescent International"),
    ("Meghna Tidewatar Overseas", "Meghna Tidewater Overseas Ltd."),
    ("Megna Tidewater", "Meghna Tidewater Overseas Ltd."),
    ("Jamuna Lanturn", "Jamuna Lantern Recruiting Agency"),
    ("Jamuna Lantern Recruiting Agancy", "Jamuna Lantern Recruiting Agency"),
    ("Karnaphuli Dawn Manpower Service", "Karnaphuli Dawn Manpower Services"),
    ("Surma Reedfeld Associates", "Surma Reedfield Associates"),
    ("Teesta Silverlin", "Teesta Silverline Overseas"),
    ("Sundarban Heronway Intl", "Sundarban Heronway International"),
    ("Rupsha Gatepost Recruting Agency", "Rupsha Gatepost Recruiting Agency"),
    ("Bayanihan Tradewind", "Bayanihan Tradewinds Manpower Inc."),
    ("Mayon Seabreez", "Mayon Seabreeze Placement Agency Inc."),
    ("Pinatubo Starlane International Service", "Pinatubo Starlane International Services Inc."),
    ("Taal Coralgate Human Resource", "Taal Coralgate Human Resources Inc."),
    ("Banaue Terace Workforce Solutions", "Banaue Terrace Workforce Solutions Inc."),
    ("Siargao Wavecrest Recruitment Corporation", "Siargao Wavecrest Recruitment Corp."),
    ("Chocolate Hils Manpower Resources", "Chocolate Hills Manpower Resources Inc."),
    ("Sierra Madre Pathfinder Agancy", "Sierra Madre Pathfinder Agency Inc."),
    ("Nusantara Jembatan Karja", "PT Nusantara Jembatan Karya"),
    ("Cendrawasih Arunika Sejahtra", "PT Cendrawasih Arunika Sejahtera"),
    ("Rinjani Samudera", "PT Rinjani Samudra Mandiri"),
    ("Bromo Lintas Benoa", "PT Bromo Lintas Benua"),
    ("Kalimaya Duta Prim", "PT Kalimaya Duta Prima"),
    ("Toba Cahya Abadi", "PT Toba Cahaya Abadi"),
    ("Narmada Keystone Overseas Consultant", "Narmada Keystone Overseas Consultants"),
    ("Kaveri Lighthouse Manpower Service", "Kaveri Lighthouse Manpower Services"),
    ("Godavari Milestone Recruiter", "Godavari Milestone Recruiters"),
    ("Brahmaputra Compas Placements", "Brahmaputra Compass Placements"),
    ("Chilika Harbourveiw Consultancy", "Chilika Harbourview Consultancy"),
    ("Sahyadri Blueorbit Manpowr", "Sahyadri Blueorbit Manpower"),
    ("Ayeyarwadi Goldleaf Overseas Employment Agency", "Ayeyarwady Goldleaf Overseas Employment Agency"),
    ("Inle Lotusway Employment Service", "Inle Lotusway Employment Services"),
    ("Chindwin Pearlgate Overseas Employment Agancy", "Chindwin Pearlgate Overseas Employment Agency"),
    ("Bagan Sunspire Manpwr", "Bagan Sunspire Manpower"),
    ("Sigiriya Monsoon Foriegn Employment Agency", "Sigiriya Monsoon Foreign Employment Agency"),
    ("Adams Peak Careerline", "Adam's Peak Careerline (Pvt) Ltd."),
    ("Al Wakra Pearl Manpower Recruitment WLL", "Al Wakra Pearl Manpower Recruitment W.L.L."),
    ("Dune Harbor Labour Supply LLC", "Dune Harbour Labour Supply L.L.C."),
    ("Lembah Kinta Resource", "Lembah Kinta Resources Sdn. Bhd."),
    ("Selangor Rainleaf Workforse", "Selangor Rainleaf Workforce Sdn. Bhd."),
    ("Orchard Internationl", "Orchard International"),
]


def test_genuine_misspellings_reach_the_recruiter_directly_or_in_one_tap(demo):
    s, by_name = demo
    assert len(MISSPELLINGS) >= 40
    missed, direct = {}, 0
    for query, name in MISSPELLINGS:
        a = _kind(s, query)
        offered = [c.recruiter.public_id for c in a.candidates]
        if a.kind == lookup.EXACT:
            direct += 1
            if offered != [by_name[name].public_id]:
                missed[query] = ("wrong card", a.recruiter.legal_name)
        elif a.kind != lookup.CANDIDATES or by_name[name].public_id not in offered:
            missed[query] = (a.kind, [c.recruiter.legal_name for c in a.candidates])
    assert missed == {}
    assert direct >= len(MISSPELLINGS) // 2  # most of them need no tap at all


@pytest.mark.parametrize(
    "query",
    [
        "Padma Crescent International",
        "PADMA CRESCENT INTERNATIONAL LTD.",
        "Padma Crescent Intl",  # a registered other name
        "padma cresent internatinal",
    ],
)
def test_the_legal_name_or_another_registered_name_gives_the_card(demo, query):
    s, by_name = demo
    a = _kind(s, query)
    assert (a.kind, a.how, a.recruiter) == (lookup.EXACT, "name", by_name["Padma Crescent International"])


def test_a_registered_other_name_gives_the_card(demo):
    s, by_name = demo
    for query, name in [
        ("Tilicho Horizon", "Tilicho Horizon Manpower Pvt. Ltd."),
        ("Jamuna Lantern", "Jamuna Lantern Recruiting Agency"),
        ("तिलिचो होराइजन", "Tilicho Horizon Manpower Pvt. Ltd."),
        ("Goldleaf Overseas", "Ayeyarwady Goldleaf Overseas Employment Agency"),
    ]:
        a = _kind(s, query)
        assert (a.kind, a.recruiter) == (lookup.EXACT, by_name[name]), query


# --- identifiers however typed ---------------------------------------------------------------------

IDENTIFIERS = [
    ("9002 080 081", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("9002080081", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("licence 9002/080/081", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("Lic. No. 9002-080-081", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("९००१/०८०/०८१", "Saptakoshi Bridge Overseas Pvt. Ltd."),
    ("लाइसेन्स नं. ९००१/०८०/०८१", "Saptakoshi Bridge Overseas Pvt. Ltd."),
    ("RL9012", "Jamuna Lantern Recruiting Agency"),
    ("RL-৯০১৩", "Karnaphuli Dawn Manpower Services"),
    ("লাইসেন্স নং RL-৯০১০", "Padma Crescent International"),
    ("rl 0010", "Orchard International"),
    ("license RL 0010", "Orchard International"),
    ("is RL-9012 ok?", "Jamuna Lantern Recruiting Agency"),
]


def test_licence_numbers_however_typed_give_the_card(demo):
    s, by_name = demo
    for query, name in IDENTIFIERS:
        a = _kind(s, query)
        assert (a.kind, a.how, a.recruiter) == (lookup.EXACT, "licence", by_name[name]), query


def test_public_ids_however_typed_give_the_card(demo):
    s, by_name = demo
    rec = by_name["Meghna Tidewater Overseas Ltd."]
    pid = rec.public_id  # RA-XXXXX
    code = pid[3:]
    forms = [pid, pid.lower(), code, code.lower(), f"ra {code}", f"RA{code}", "RA-" + " ".join(code)]
    # letters of another script that look the same (a Cyrillic keyboard)
    forms.append(pid.replace("A", "\u0410").replace("K", "\u041a"))
    for form in forms:
        a = _kind(s, form)
        assert (a.kind, a.how, a.recruiter) == (lookup.EXACT, "public_id", rec), form


def test_a_character_no_id_holds_is_read_as_the_one_it_was_taken_for(demo):
    s, by_name = demo
    fixed = by_name["Bagan Sunspire Manpower"]
    fixed.public_id = "RA-Q7DJT"  # one id surely holds every such character
    s.commit()
    # an id with Q or D typed as O or 0; with 7, J or T typed as 1, I or l
    tried = 0
    for rec in by_name.values():
        code = rec.public_id[3:]
        for real, typed in (("Q", "0"), ("D", "O"), ("7", "1"), ("J", "I"), ("T", "l")):
            if real in code:
                misread = code.replace(real, typed)
                found = lookup.lookup(s, "RA-" + misread)
                assert rec in [c.recruiter for c in found.candidates], (rec.public_id, misread)
                if found.kind == lookup.EXACT:
                    assert found.recruiter == rec
                tried += 1
    assert tried >= 5
    found = lookup.lookup(s, "ra-o70it")  # RA-Q7DJT read badly three times
    assert fixed in [c.recruiter for c in found.candidates]


def test_an_unknown_id_and_an_unknown_licence_find_nothing(demo):
    s, _by_name = demo
    assert _kind(s, "9999/999/999").kind == lookup.NOTHING
    assert _kind(s, "Zzyzx Qwertyuiop").kind == lookup.NOTHING


# --- names inside a question, in every language ----------------------------------------------------

QUESTIONS = [
    ("is Tilicho Horizon safe?", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("Is Padma Crescent International legit?", "Padma Crescent International"),
    ("Jamuna Lantern ok?", "Jamuna Lantern Recruiting Agency"),
    ("can i trust Mayon Seabreeze?", "Mayon Seabreeze Placement Agency Inc."),
    ("apakah PT Toba Cahaya Abadi resmi?", "PT Toba Cahaya Abadi"),
    ("PT Kalimaya Duta Prima aman gak?", "PT Kalimaya Duta Prima"),
    ("ligtas ba ang Bayanihan Tradewinds?", "Bayanihan Tradewinds Manpower Inc."),
    ("legit ba ang Mayon Seabreeze Placement Agency?", "Mayon Seabreeze Placement Agency Inc."),
    ("Tilicho Horizon ठिक छ?", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("सप्तकोशी ब्रिज ठीक छ?", "Saptakoshi Bridge Overseas Pvt. Ltd."),
    ("Saptakoshi Bridge thik cha?", "Saptakoshi Bridge Overseas Pvt. Ltd."),
    ("Meghna Tidewater কি নিরাপদ?", "Meghna Tidewater Overseas Ltd."),
    ("যমুনা ল্যান্টার্ন কি ভালো?", "Jamuna Lantern Recruiting Agency"),
    ("namaste, Tilicho Horizon ठिक छ?", "Tilicho Horizon Manpower Pvt. Ltd."),
    ("hello, is Padma Crescent International safe?", "Padma Crescent International"),
    ("halo kak, apakah PT Toba Cahaya Abadi resmi?", "PT Toba Cahaya Abadi"),
    ("kumusta po, legit ba ang Mayon Seabreeze?", "Mayon Seabreeze Placement Agency Inc."),
]


def test_the_name_inside_a_question_is_found(demo):
    s, by_name = demo
    for query, name in QUESTIONS:
        a = _kind(s, query)
        assert (a.kind, a.recruiter) == (lookup.EXACT, by_name[name]), query


def test_a_name_is_searched_once_per_distinct_spelling(demo, monkeypatch):
    """The message and its name without punctuation normalize alike: the index is searched once, and the
    answer is the same as when each was searched."""
    from registry.services import search

    s, by_name = demo
    name = next(iter(by_name))
    texts: list[str] = []
    real = search.Index.search

    def counting(self, text, *args, **kwargs):
        texts.append(text)
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(search.Index, "search", counting)
    a = _kind(s, name + ".")
    assert (a.kind, a.recruiter) == (lookup.EXACT, by_name[name])
    assert len(lookup.name_queries(name + ".")) == 2 and len(texts) == 1
    texts.clear()
    a = _kind(s, f"is {name} safe?")  # the question and the name inside it: two searches
    assert (a.kind, a.recruiter) == (lookup.EXACT, by_name[name]) and len(texts) == 2


GREETINGS = {
    "en": ["hello", "Hi!", "thanks", "thank you", "help", "menu", "good morning", "hi, thanks"],
    "ne": ["namaste", "नमस्ते", "नमस्कार", "धन्यवाद", "dhanyabad", "मद्दत"],
    "bn": ["আসসালামু আলাইকুম", "assalamualaikum", "ধন্যবাদ", "নমস্কার", "সাহায্য"],
    "id": ["halo", "selamat pagi", "terima kasih", "makasih", "tolong", "bantuan"],
    "tl": ["kumusta", "magandang umaga", "salamat", "salamat po", "maraming salamat", "tulong"],
}


@pytest.mark.parametrize("lang", sorted(GREETINGS))
def test_greetings_thanks_and_help_get_the_help_text(demo, lang):
    s, _by_name = demo
    for text in GREETINGS[lang]:
        assert _kind(s, text).kind == lookup.HELP, text


# --- names in local scripts ------------------------------------------------------------------------


def test_names_typed_in_devanagari_or_bengali_find_the_latin_name(demo):
    s, by_name = demo
    for query, name in [
        ("सप्तकोशी ब्रिज", "Saptakoshi Bridge Overseas Pvt. Ltd."),
        ("যমুনা ল্যান্টার্ন", "Jamuna Lantern Recruiting Agency"),
        ("মেঘনা টাইডওয়াটার", "Meghna Tidewater Overseas Ltd."),
        ("খাপ্তাড স্কাইলাইন", "Khaptad Skyline Employment Services Pvt. Ltd."),
        ("बयानिहान ट्रेडविन्ड्स", "Bayanihan Tradewinds Manpower Inc."),
    ]:
        a = _kind(s, query)
        assert (a.kind, a.recruiter) == (lookup.EXACT, by_name[name]), query
    # a look-alike in local script is no more certain than in Latin letters
    assert _kind(s, "পদ্মা ওভারসিজ").kind != lookup.EXACT  # "Padma Overseas"
