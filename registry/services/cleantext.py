"""Names and free text as they are stored: no invisible controls, one Unicode form, no edge spaces.

The one rule for every input path (admin forms, the API, the recruiters and licence imports, the bot).

Controls are the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and
every C0 and C1 control character (NUL included), and lone surrogates. A right-to-left override
stored in a name reverses it on every page that shows it; NUL cannot be stored in PostgreSQL at all.
Line breaks and tabs (LF, CR, TAB, VT, FF, NEL, U+2028, U+2029) are controls too, but harmless ones.

- **Names** (a recruiter's legal and other names, licence number and authority, sectors, contact
  details; a company, API key or auditor name; a licence register's name, number and status) are one
  line of visible text. A name holding a control is **refused** with a clear error (``clean_name``:
  ``InvalidInput`` with code ``control_character``, the field, and the character as ``U+202E``;
  ``name_value`` and ``NoControls`` say the same inside a pydantic model, so the API answers 422
  naming the field and an import names it in the row's error). A name is what people compare with
  what an agency shows them: one silently altered is worse than an error its typist can fix. Line
  breaks and tabs in a name become a space (a CSV cell or a pasted name may hold one).
- **Free text** (reasons, notes, audit summaries, findings and evidence, an address, a fee report's
  recruiter as the worker typed it and its free text) has the controls **removed** (``clean_text``),
  keeping line breaks (as LF) and tabs: a worker who pasted a name with an invisible mark from a
  phone keyboard still gets the report through, and a note is never lost for a character nobody sees.

Both are normalised to NFC (so the same letters are stored the same way) and trimmed; in a name, runs
of spaces become one. Joiners (U+200C, U+200D) stay: Bengali and Devanagari spelling needs them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from registry.errors import InvalidInput

# Regular-expression text (escapes, so the published JSON schema shows no invisible character).
BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# Every control but line breaks and tabs: refused in a name, removed from free text.
_REFUSED = r"\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f" + BIDI_CONTROLS
_IN_NAME = re.compile(rf"[{_REFUSED}\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
# Line breaks other than LF (CR LF, CR, VT, FF, NEL, U+2028, U+2029): LF in free text.
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# What an API field that refuses controls publishes in its JSON schema (the same characters).
NO_CONTROLS_PATTERN = f"^[^{_REFUSED}]*$"


def code_point(ch: str) -> str:
    """``U+202E`` for a character (how errors name an invisible one)."""
    return f"U+{ord(ch):04X}"


def control_in(text: str | None) -> str | None:
    """The first character a name may not hold, as ``U+XXXX``; None when there is none."""
    m = _IN_NAME.search(text or "")
    return code_point(m.group(0)) if m else None


def problem(text: str | None) -> str | None:
    """Why a name is refused, in English (import row errors, logs); None when it is fine."""
    character = control_in(text)
    if character is None:
        return None
    return f"contains the invisible control character {character}, which is not allowed"


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def clean_name(text: str | None, *, field: str) -> str:
    """A name as stored: refused (InvalidInput, code ``control_character``) when it holds a control;
    otherwise NFC, line breaks and runs of spaces as one space, trimmed."""
    character = control_in(text)
    if character is not None:
        raise InvalidInput(
            f"the {field.replace('_', ' ')} {problem(text)}",
            field=field,
            code="control_character",
            params={"character": character},
        )
    return _one_line(text or "")


def no_controls(text: str) -> str:
    """A pydantic validator that refuses what ``clean_name`` refuses and changes nothing else: the
    refusal is a validation error of that field, of type ``control_character``."""
    character = control_in(text)
    if character is not None:
        raise PydanticCustomError(
            "control_character",
            "contains the invisible control character {character}, which is not allowed",
            {"character": character},
        )
    return text


def name_value(text: str) -> str:
    """``clean_name`` as a pydantic validator (see ``no_controls``)."""
    return _one_line(no_controls(text))


def clean_text(text: str | None) -> str:
    """Free text as stored: controls removed (line breaks kept as LF, tabs kept), NFC, trimmed."""
    t = _LINE_BREAKS.sub("\n", text or "")
    return unicodedata.normalize("NFC", _IN_NAME.sub("", t)).strip()


class RefuseControls:
    """Pydantic metadata for a str field that refuses controls (``no_controls``) and publishes the
    rule as a pattern in its JSON schema: ``Annotated[str, Field(max_length=80), NoControls]`` (after
    the length, so a long value is still ``string_too_long``)."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(no_controls, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["pattern"] = NO_CONTROLS_PATTERN
        return json_schema


NoControls = RefuseControls()
