"""Country names as workers write them, in every script of the bot's languages, and shown back."""

from __future__ import annotations

import pytest

from registry.services.countries import ALIASES, country_name, is_country, match_country


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        # English and common forms
        ("Qatar", "en", "QA"),
        ("qa", "en", "QA"),
        ("  saudi   arabia ", "en", "SA"),
        ("Hong Kong", "en", "HK"),
        ("HongKong", "en", "HK"),
        ("hong-kong", "en", "HK"),
        ("HK", "en", "HK"),
        ("KSA", "en", "SA"),
        ("Saudi", "en", "SA"),
        ("Saudia", "en", "SA"),
        ("UAE", "en", "AE"),
        ("U.A.E.", "en", "AE"),
        ("Emirates", "en", "AE"),
        ("Dubai", "en", "AE"),
        ("Abu Dhabi", "en", "AE"),
        ("Doha", "en", "QA"),
        ("Kuala Lumpur", "en", "MY"),
        ("South Korea", "en", "KR"),
        ("Korea", "en", "KR"),
        ("Japan", "en", "JP"),
        ("Taiwan", "en", "TW"),
        ("Kuwait", "en", "KW"),
        ("Oman", "en", "OM"),
        ("Bahrain", "en", "BH"),
        ("Jordan", "en", "JO"),
        ("Lebanon", "en", "LB"),
        ("Israel", "en", "IL"),
        ("Cyprus", "en", "CY"),
        ("Maldives", "en", "MV"),
        ("Romania", "en", "RO"),
        ("Poland", "en", "PL"),
        ("Croatia", "en", "HR"),
        ("Brunei", "en", "BN"),
        ("Malta", "en", "MT"),
        ("Malasia", "en", "MY"),  # one letter off, one country close
        ("Quatar", "en", "QA"),
        # Nepali
        ("कतार", "ne", "QA"),
        ("साउदी", "ne", "SA"),
        ("साउदी अरब", "ne", "SA"),
        ("साउदि अरब", "ne", "SA"),  # short i
        ("दुबई", "ne", "AE"),
        ("मलेसिया", "ne", "MY"),
        ("कुवेत", "ne", "KW"),
        ("जापान", "ne", "JP"),
        ("हङकङ", "ne", "HK"),
        ("कतारमा", "ne", "QA"),  # "in Qatar"
        ("दक्षिण कोरिया", "ne", "KR"),
        # Bengali
        ("কাতার", "bn", "QA"),
        ("সৌদি", "bn", "SA"),
        ("সৌদি আরব", "bn", "SA"),
        ("সৌদি আরবে", "bn", "SA"),
        ("দুবাই", "bn", "AE"),
        ("দুবাইতে", "bn", "AE"),
        ("মালয়েশিয়া", "bn", "MY"),
        ("কুয়েত", "bn", "KW"),
        ("ওমান", "bn", "OM"),
        ("সিঙ্গাপুর", "bn", "SG"),
        ("হংকং", "bn", "HK"),
        # Tagalog
        ("Hapon", "tl", "JP"),
        ("Timog Korea", "tl", "KR"),
        ("sa Qatar", "tl", "QA"),
        ("Saudi Arabia", "fil", "SA"),
        # Indonesian
        ("Arab Saudi", "id", "SA"),
        ("Malaysia", "id", "MY"),
        ("Singapura", "id", "SG"),
        ("Jepang", "id", "JP"),
        ("Korea Selatan", "id", "KR"),
        ("Hongkong", "id", "HK"),
        ("Uni Emirat Arab", "id", "AE"),
        ("di Taiwan", "id", "TW"),
        ("Brunei Darussalam", "id", "BN"),
        # another language's name still works
        ("Qatar", "ne", "QA"),
        ("কাতার", "en", "QA"),
        ("साउदी", None, "SA"),
        # unknown
        ("Atlantis", "en", None),
        ("", "en", None),
        ("Qatr", "en", None),
        ("hello", "en", None),
    ],
)
def test_match_country(text, language, code):
    assert match_country(text, language) == code


def test_typing_mistakes_are_not_guessed_between_close_names():
    # "Austria"/"Australia", "Niger"/"Nigeria": exact names only, no guess between them
    assert [match_country(t) for t in ("Austria", "Australia", "Niger", "Nigeria")] == [
        "AT",
        "AU",
        "NE",
        "NG",
    ]
    assert match_country("Austrlia") is None  # as close to Austria as to Australia: not guessed
    assert match_country("Australa") == "AU"
    assert match_country("Nigerria") == "NG"


def test_every_alias_is_a_real_country():
    assert all(is_country(code) for code in ALIASES)


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [
        ("QA", "en", "Qatar"),
        ("QA", "ne", "कतार"),
        ("QA", "bn", "কাতার"),
        ("KR", "tl", "Timog Korea"),
        ("KR", "fil", "Timog Korea"),
        ("SA", "id", "Arab Saudi"),
        ("HK", "en", "Hong Kong"),
        ("HK", "ne", "हङकङ"),
        ("HK", "bn", "হংকং"),
        ("HK", "id", "Hong Kong"),
        ("QZ", "en", "QZ"),
    ],
)
def test_country_name(code, language, name):
    assert country_name(code, language) == name
