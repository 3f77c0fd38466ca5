"""Names and free text as they are stored: no invisible controls, one Unicode form, no edge spaces.

The one rule for every input path (admin forms, the API, the recruiters and licence imports, the bot).

Controls are the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), every
other C0 and C1 control character (NUL included), the line and paragraph separators (U+2028, U+2029)
and lone surrogates. A right-to-left override stored in a name reverses it on every page that shows
it; NUL cannot be stored at all.

- **Names** (a recruiter's legal and other names, licence number and authority, sectors, contact
  details; a company, API key or auditor name; a licence register's name, number and status) are one
  line of visible text. A name holding a control, tab and newline included, is **refused** with a
  clear error (``clean_name``: ``InvalidInput`` with code ``control_character``, the field, and the
  character as ``U+202E``; ``name_value`` says the same inside a pydantic model). A name is what
  people compare with what an agency shows them: one that is silently altered is worse than an error
  the person who typed it can fix.
- **Free text** (reasons, notes, audit summaries, findings and evidence, a fee report's recruiter as
  the worker typed it and its free text) has the controls **removed** (``clean_text``), keeping
  newlines (CR LF and CR become LF) and tabs: a worker who pasted a name with an invisible mark from
  a phone keyboard still gets the report through, and a reviewer's note is never lost for a
  character nobody can see.

Both are normalised to NFC (so the same letters are stored the same way) and trimmed; a name's runs
of spaces become one space. Joiners (U+200C, U+200D) stay: Bengali and Devanagari spelling needs them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from registry.errors import InvalidInput

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_OTHER_CONTROLS = "\x7f-\x9f\u2028\u2029\ud800-\udfff" + BIDI_CONTROLS
# Anything a name may not hold (tab and newline included).
_IN_NAME = re.compile(f"[\x00-\x1f{_OTHER_CONTROLS}]")
# What free text loses: the same but tab and newline.
_IN_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_CONTROLS}]")
_SPACES = re.compile(r"\s+")


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


def clean_name(text: str | None, *, field: str) -> str:
    """A name as stored: refused (InvalidInput, code ``control_character``) when it holds a control;
    otherwise NFC, runs of spaces as one, trimmed."""
    character = control_in(text)
    if character is not None:
        raise InvalidInput(
            f"the {field.replace('_', ' ')} {problem(text)}",
            field=field,
            code="control_character",
            params={"character": character},
        )
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def no_controls(text: str) -> str:
    """A pydantic validator that refuses what ``clean_name`` refuses and changes nothing else: the
    refusal is a validation error of that field (type ``control_character``), so the API answers 422
    naming the field and an import names it in the row's error."""
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
    return _SPACES.sub(" ", unicodedata.normalize("NFC", no_controls(text))).strip()


def clean_text(text: str | None) -> str:
    """Free text as stored: controls removed (newlines and tabs kept, CR LF and CR as LF), NFC, trimmed."""
    t = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _IN_TEXT.sub("", t)).strip()


# A str that may not hold controls (the API's text inputs: search, public ids, licence numbers).
NoControls = Annotated[str, AfterValidator(no_controls)]
