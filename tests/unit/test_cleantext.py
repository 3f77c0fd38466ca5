"""Names refuse invisible controls; free text loses them; both are NFC and trimmed."""

from __future__ import annotations

import pytest

from registry.errors import InvalidInput
from registry.services import cleantext

CONTROLS = [
    *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x9b",
    "\ud800",
]


@pytest.mark.parametrize("ch", CONTROLS, ids=cleantext.code_point)
def test_a_name_with_a_control_is_refused_naming_the_field_and_the_character(ch):
    with pytest.raises(InvalidInput) as exc:
        cleantext.clean_name(f"Himal{ch} Overseas", field="legal_name")
    assert exc.value.code == "control_character" and exc.value.field == "legal_name"
    assert exc.value.params == {"character": cleantext.code_point(ch)}
    assert cleantext.code_point(ch) in exc.value.message and "legal name" in exc.value.message
    assert cleantext.problem(f"x{ch}") is not None


@pytest.mark.parametrize("ch", ["\t", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_a_name_is_one_line(ch):
    assert cleantext.clean_name(f"Himal{ch}Overseas ", field="name") == "Himal Overseas"
    assert cleantext.control_in(ch) is None


@pytest.mark.parametrize("ch", CONTROLS, ids=cleantext.code_point)
def test_free_text_loses_the_controls(ch):
    assert cleantext.clean_text(f" Paid{ch} the agent{ch} ") == "Paid the agent"


def test_free_text_keeps_lines_and_tabs():
    assert cleantext.clean_text("one\r\ntwo\rthree\n\tfour\u2028five\x00") == "one\ntwo\nthree\n\tfour\nfive"


def test_both_are_nfc_and_trimmed_and_keep_joiners():
    decomposed = "Cafe\u0301  Ltd"  # e + combining acute
    assert cleantext.clean_name(f"  {decomposed} ", field="name") == "Caf\u00e9 Ltd"
    assert cleantext.clean_text(f" {decomposed} ") == "Caf\u00e9  Ltd"
    bengali = "\u0995\u09cd\u200d\u09b7"  # a conjunct written with a zero-width joiner
    assert cleantext.clean_name(bengali, field="name") == bengali
    assert cleantext.clean_text(bengali) == bengali
    assert cleantext.clean_name(None, field="name") == "" == cleantext.clean_text(None)


def test_the_pydantic_validator_refuses_the_same_characters():
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    adapter = TypeAdapter(Annotated[str, Field(max_length=12), cleantext.NoControls])
    assert adapter.json_schema()["pattern"] == cleantext.NO_CONTROLS_PATTERN
    assert adapter.validate_python(" as typed ") == " as typed "
    for ch in ("\u202e", "\x00", "\u200f"):
        with pytest.raises(ValidationError) as exc:
            adapter.validate_python(f"RA-{ch}7K3Q9")
        [err] = exc.value.errors()
        assert err["type"] == "control_character" and cleantext.code_point(ch) in err["msg"]
    with pytest.raises(ValidationError) as exc:
        adapter.validate_python("RA-" + "7" * 20)
    assert exc.value.errors()[0]["type"] == "string_too_long"  # the length is checked first


def test_the_published_pattern_refuses_the_same_characters():
    import re

    pattern = re.compile(cleantext.NO_CONTROLS_PATTERN)
    for ch in CONTROLS[:-1]:  # (a lone surrogate cannot travel in UTF-8)
        assert pattern.match(f"a{ch}b") is None, cleantext.code_point(ch)
    assert pattern.match("RA-7K3Q9 \u0930\u200d\t")
