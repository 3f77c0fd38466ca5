"""A recruiter name typed in the bot with invisible controls: the report goes through and is stored
without them (the reports service cleans what a worker types)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from registry.models import FeeReport

CHARACTERS = ["\u202e", "\x00", "\u200f"]
IDS = ["U+202E", "U+0000", "U+200F"]


@pytest.mark.parametrize("ch", CHARACTERS, ids=IDS)
def test_a_typed_recruiter_name_is_stored_without_controls(bot_db, registry_data_db, ch):
    chat = bot_db.chat("en")
    chat.send("/report")
    r = chat.send(f"{ch}Shapla{ch} Dalal Office{ch}")
    assert "r:free" in r.callback_data
    chat.tap("r:free")
    chat.tap("r:org:NP")
    chat.send("Qatar")
    chat.tap("r:cat:medical")
    chat.send("8000 NPR")
    chat.tap("r:done")
    chat.tap("r:nodate")
    chat.tap("r:skip")
    r = chat.tap("rc:yes")
    assert "FR-" in r.text, r.text
    with Session(bot_db.services.engine) as s:
        [stored] = s.scalars(select(FeeReport.recruiter_text)).all()
    assert stored == "Shapla Dalal Office"
