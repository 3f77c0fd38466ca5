"""Identifier comparison keys: one pure function each for licence numbers and public ids."""

from __future__ import annotations

import pytest

from registry.services.identifiers import (
    LICENCE_KEY_MAX,
    bare_code_key,
    licence_key,
    public_id_guesses,
    public_id_key,
)

# Every spelling in a row must give the row's key.
LICENCE_SPELLINGS = [
    (
        "9002080081",
        [
            "9002/080/081",
            "9002-080-081",
            "9002 080 081",
            "9002.080.081",
            "licence no. 9002/080/081",
            "License No: 9002/080/081",
            "LIC. 9002/080/081",
            "Lic.9002/080/081",
            "No.9002/080/081",
            "Nº 9002/080/081",
            "number 9002/080/081",
            "Licence Number: 9002-080-081",
            "९००२/०८०/०८१",  # Devanagari digits
            "लाइसेन्स नं. ९००२/०८०/०८१",  # Nepali: "licence no."
            "লাইসেন্স নং ৯০০২/০৮০/০৮১",  # Bengali: "licence no.", Bengali digits
            "٩٠٠٢/٠٨٠/٠٨١",  # Arabic-Indic digits
            "９００２／０８０／０８１",  # fullwidth digits and slashes
            "  9002 / 080 / 081  ",
        ],
    ),
    (
        "rl9013",
        ["RL-9013", "rl9013", "RL 9013", "rl-৯০১৩", "RL-৯০১৩", "Licence No. RL-9013", "ＲＬ－９０１３"],
    ),
    ("b98014mumper", ["B-98014/MUM/PER", "b 98014 / mum / per", "B.98014.MUM.PER"]),
    ("dofe1234070", ["DoFE 1234/070", "dofe 1234/070", "DOFE1234/070"]),
    # Registers keyed by agency name: the words stay (no number follows the leading word).
    ("nolimitmanpowerinc", ["NO LIMIT MANPOWER INC", "No Limit Manpower Inc."]),
    ("1015brilliantmindsinc", ["1015 BRILLIANT MINDS INC"]),
    ("no", ["No.", "no"]),
    ("", ["", "   ", "-/.", None]),
]


@pytest.mark.parametrize(
    ("key", "spelling"), [(key, s) for key, spellings in LICENCE_SPELLINGS for s in spellings]
)
def test_licence_key_ignores_case_separators_digit_scripts_and_leading_words(key, spelling):
    assert licence_key(spelling) == key


def test_different_licences_keep_different_keys():
    keys = [licence_key(s) for s in ("9002/080/081", "9002/080/082", "RL-9013", "RL-9031", "SB-1", "SB-10")]
    assert len(set(keys)) == len(keys)


def test_licence_key_is_bounded_and_never_holds_a_nul():
    assert len(licence_key("9" * 500)) == LICENCE_KEY_MAX
    assert licence_key("RL-90\x0013") == "rl9013"


PUBLIC_ID_SPELLINGS = [
    (
        "RA-7K3Q9",
        ["RA-7K3Q9", "ra-7k3q9", "RA7K3Q9", "ra 7k3q9", " RA - 7K3Q9 ", "RA–7K3Q9", "ＲＡ－７Ｋ３Ｑ９"],
    ),
    ("RA-7K3Q9", ["7K3Q9", "7k3q9", "7K3 Q9"]),  # without the prefix
    ("RA-PQRST", ["RA-PQRST", "ra pqrst"]),
    (None, ["", None, "Padma", "pqrst", "RA-7K3Q", "RA-7K3Q9X", "RA-0O1IL", "RB-7K3Q9", "RA-7K3Q\x00"]),
]


@pytest.mark.parametrize(
    ("key", "spelling"), [(key, s) for key, spellings in PUBLIC_ID_SPELLINGS for s in spellings]
)
def test_public_id_key(key, spelling):
    assert public_id_key(spelling) == key


def test_letters_of_other_scripts_that_look_like_id_letters_are_read_as_them():
    # Cyrillic А, К and Greek Τ typed on a phone keyboard set to another language
    assert public_id_key("R\u0410-7\u041a3Q9") == "RA-7K3Q9"
    assert public_id_key("ra-7\u043a3q9") == "RA-7K3Q9"
    assert public_id_key("RA-7K3Q\u03a4".replace("\u03a4", "9")) == "RA-7K3Q9"
    assert public_id_key("RA-2B3C\u03a4") == "RA-2B3CT"


def test_a_character_no_id_holds_gives_the_ids_it_may_have_been_read_for():
    g = public_id_guesses("RA-7K3O9")  # O: a Q or a D read badly
    assert g.exact is None and set(g.misread) == {"RA-7K3Q9", "RA-7K3D9"} and g.swapped == ()
    g = public_id_guesses("ra 1k3q9")  # 1: a 7, J or T
    assert set(g.misread) == {"RA-7K3Q9", "RA-JK3Q9", "RA-TK3Q9"}
    many = public_id_guesses("0l1IO").misread  # a bare code: 0 and 1 are digits
    assert "RA-Q777Q" in many and len(many) <= 64  # bounded: one IN query
    assert public_id_guesses("Padma") == public_id_guesses("hello") == public_id_guesses("")  # nothing


def test_look_alike_id_characters_are_offered_only_as_other_guesses():
    g = public_id_guesses("RA-5B2Q9")
    assert g.exact == "RA-5B2Q9" and g.misread == ()
    assert {"RA-SB2Q9", "RA-58ZQ9", "RA-S8ZQ9"} <= set(g.swapped)
    assert "RA-5B2Q9" not in g.swapped


def test_a_bare_code_of_letters_is_an_id_only_when_asked_as_one():
    assert public_id_key("jftan") is None  # a word could be a name: an id needs its prefix or a digit
    assert bare_code_key("jftan") == "RA-JFTAN"
    assert bare_code_key("hello") is None and bare_code_key("Padma Crescent") is None
