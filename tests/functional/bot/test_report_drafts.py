"""Drafts survive: the conversation is kept in the registry database, so a restarted bot or a second
bot process continues a half-written report; a draft idle for a day ends with a message; a button of
a lost flow says what to do. And the small things: unknown commands, group chats, PDF receipts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bot.handlers.report_drafts import expire_drafts
from bot.i18n import gettext_for
from registry.models import BotState
from registry.timeutil import utcnow
from tests.functional.bot.conftest import bot_settings, make_registry
from tests.functional.bot.harness import BotHarness
from tests.functional.bot.test_report import (
    AMOUNT,
    DATE,
    PHOTO,
    Q_AMOUNT,
    Q_CONSENT,
    Q_DATE,
    Q_MORE,
    Q_PHOTO,
    case_code_in,
    reports,
    walk,
)

LOST = "This report is no longer open. Nothing was saved from it. Send /report to start a new one."


@pytest.fixture
def settings(tmp_path, engine):
    return bot_settings(tmp_path, engine)


def test_a_restart_in_the_middle_continues_the_report(settings, engine):
    data = make_registry(engine)
    first = BotHarness(settings, engine).start()
    try:
        chat = first.chat("ne")
        walk(chat, data["ok"], AMOUNT)
        chat.send("150000")  # the currency question is open
    finally:
        first.stop()
    second = BotHarness(settings, engine).start()  # a new process: nothing in memory
    try:
        same = second.chat("ne", chat_id=chat.id)
        r = same.tap("r:cur:NPR", message_id=1)  # the button of the message sent before the restart
        _ = gettext_for("ne")
        assert (
            _("Did you pay this recruiter another fee, for example for the medical check or the visa?")
            in r.text
        )
        r = same.tap("r:done", message_id=1)
        assert _("When did you pay? Send the date, for example 15.03.2024.") in r.text, r
        r = same.send("15.03.2024")
        assert "r:skip" in r.callback_data, r
        r = same.tap("r:skip")  # from here on, messages of the new process
        assert "1,50,000 NPR" in r.text
        case_code_in(same.tap("rc:yes").text)
        [rep] = reports(engine)
        assert (str(rep.amount), rep.currency, rep.origin_country) == ("150000.00", "NPR", "NP")
        # the worker's country was kept (with the chat's pseudonym): a new report does not ask it again
        r = same.send("/report")
        assert (
            _("Which recruiter or agent did you pay? Send its name, licence number or FairRecruit ID.")
            in r.text
        )
        same.send("Himal Sunrise")
        r = same.tap(f"r:rec:{data['ok']}")
        assert _("In which country is (or was) the job? Tap it, or type the country's name.") in r.text
        assert _("Which country are you from? Tap it, or type the country's name.") not in r.text
    finally:
        second.stop()


def test_a_second_bot_process_continues_a_draft(settings, engine):
    data = make_registry(engine)
    one = BotHarness(settings, engine).start()
    two = None
    try:
        chat = one.chat("en")
        walk(chat, data["ok"], DATE)
        two = BotHarness(settings, engine).start()  # started while the first one runs
        other = two.chat("en", chat_id=chat.id)
        assert Q_PHOTO in other.send("15.03.2024").text
        assert Q_CONSENT in other.tap("r:skip", message_id=1).text
        case_code_in(other.tap("rc:yes", message_id=1).text)
        assert len(reports(engine)) == 1
    finally:
        one.stop()
        if two is not None:
            two.stop()


def test_the_draft_is_kept_as_json_in_the_database_and_forget_erases_it(bot_db, registry_data_db):
    chat = bot_db.chat("en")
    walk(chat, registry_data_db["ok"], PHOTO)
    with Session(bot_db.services.engine) as s:
        rows = {(r.kind, r.key): r.data for r in s.scalars(select(BotState))}
    assert '"recruiter_name":"Himal Sunrise Overseas Pvt. Ltd."' in rows[("chat", str(chat.id))]
    assert rows[("conv:report", f"[{chat.id}, {chat.id}]")] == "8"  # the photo question
    assert '"lang"' not in rows[("chat", str(chat.id))]  # only the draft is kept with the chat id
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    with Session(bot_db.services.engine) as s:
        assert s.scalars(select(BotState)).all() == []  # a sent report leaves nothing behind
    walk(chat, registry_data_db["ok"], PHOTO)
    assert "f:yes" in chat.send("/forget").callback_data
    chat.tap("f:yes")
    with Session(bot_db.services.engine) as s:
        keys = [r.key for r in s.scalars(select(BotState))]
    assert str(chat.id) not in " ".join(keys)


def test_a_draft_idle_for_a_day_ends_with_a_message(bot, registry_data):
    chat = bot.chat("bn")
    walk(chat, registry_data["ok"], AMOUNT)
    assert bot._run(expire_drafts(bot.app, now=utcnow() + timedelta(hours=23))) == 0
    start = len(bot.api.calls)
    assert bot._run(expire_drafts(bot.app, now=utcnow() + timedelta(hours=25))) == 1
    _ = gettext_for("bn")
    sent = [c.text for c in bot.api.calls[start:] if c.method == "sendMessage"]
    assert sent == [
        _(
            "Your unfinished report was deleted because it was not finished within 24 hours. Nothing was saved. Send /report to start again."
        )
    ]
    with Session(bot.services.engine) as s:
        assert s.scalars(select(BotState)).all() == []  # nothing of the draft is left
    r = chat.send("1500")  # the amount question is no longer open
    assert _(LOST) in r.text
    r = chat.tap("r:back", message_id=chat.message_with("r:back"))
    assert _(LOST) in r.text
    assert reports(bot.services.engine) == []


def test_a_button_of_an_ended_report_tells_what_to_do(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], AMOUNT)
    old = chat.message_with("r:back")
    chat.send("/cancel")
    r = chat.tap("r:back", message_id=old)
    assert LOST in r.text


def test_a_pdf_receipt_is_taken_like_a_photo(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], PHOTO)
    pdf = {
        "file_id": "BQACAgIAAxkBAAIpdfreceipt",
        "file_unique_id": "pdf1",
        "file_name": "receipt.pdf",
        "mime_type": "application/pdf",
        "file_size": 12345,
    }
    r = chat.h.deliver(chat.message_update(document=pdf))
    text = "\n".join(c.text for c in r if c.text)
    assert Q_CONSENT in text and "Receipt: yes" in text
    case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert rep.receipt_file_id == "BQACAgIAAxkBAAIpdfreceipt"


def test_another_document_is_not_a_receipt(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], PHOTO)
    doc = {"file_id": "BQACzip", "file_unique_id": "z1", "file_name": "a.zip", "mime_type": "application/zip"}
    r = chat.h.deliver(chat.message_update(document=doc))
    assert any("Please send a photo or a PDF of the receipt, or tap Skip." in (c.text or "") for c in r)


@pytest.mark.parametrize("lang", ["en", "ne", "bn", "id", "tl"])
def test_an_unknown_command_gets_the_help_text(bot, lang):
    chat = bot.chat(lang)
    r = chat.send("/reprot")
    _ = gettext_for(lang)
    assert _("I do not know that command.") in r.text
    assert _("/report - tell us about a fee you had to pay") in r.text


def group_update(chat, text: str) -> dict:
    update = chat.message_update(text=text)
    update["message"]["chat"] = {"id": -1001234, "type": "supergroup", "title": "Workers"}
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return update


def test_in_a_group_the_bot_only_links_to_a_private_chat(bot, registry_data):
    chat = bot.chat("ne")
    calls = bot.deliver(group_update(chat, "/report"), stopped=True)
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert len(texts) == 1 and "https://t.me/FairRecruitBot" in texts[0]
    assert texts[0] == gettext_for("ne")(
        "I answer only in a private chat, so that no one else sees what you ask or report. Write to me here: {link}"
    ).format(link="https://t.me/FairRecruitBot")
    assert all(str(c.params.get("chat_id")) == "-1001234" for c in calls if c.method == "sendMessage")
    calls = bot.deliver(group_update(chat, "Himal Sunrise"), stopped=True)  # not addressed to the bot
    assert [c for c in calls if c.method == "sendMessage"] == []
    calls = bot.deliver(group_update(chat, "@FairRecruitBot is Himal Sunrise good?"), stopped=True)
    assert [c.text for c in calls if c.method == "sendMessage"] == texts


def test_country_names_in_buttons_are_in_the_workers_language(bot, registry_data):
    chat = bot.chat("ne")
    walk(chat, registry_data["ok"], 0)
    r = chat.send("Himal Sunrise")
    assert any("नेपाल" in b for b in r.buttons)  # the recruiter's country, in Nepali
    r = chat.tap(f"r:rec:{registry_data['ok']}")
    assert "नेपाल" in r.buttons
    r = chat.tap("r:org:NP")
    assert "कतार" in r.buttons


def test_an_amount_out_of_bounds_keeps_every_earlier_answer(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], AMOUNT)
    assert Q_AMOUNT in chat.send("0.10 USD").text
    assert Q_MORE in chat.send("100 USD").text
    assert Q_DATE in chat.tap("r:done").text
    assert Q_PHOTO in chat.send("15.03.2024").text
    r = chat.tap("r:skip")
    assert (
        "Recruiter: Himal Sunrise Overseas Pvt. Ltd." in r.text
        and "Recruitment or placement fee: 100 USD" in r.text
    )


def test_country_names_in_follow_buttons_are_in_the_workers_language(bot, registry_data):
    chat = bot.chat("bn")
    r = chat.send("/follow Everest Bridge")
    assert any(b.endswith("(নেপাল)") for b in r.buttons), r.buttons


def test_an_update_outside_a_report_neither_reads_nor_writes_the_bots_state(bot_db, registry_data_db):
    """The chats' rows are read at start; an update that changes no draft costs no statement on them."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if "bot_state" in statement:
            seen.append(statement)

    engine = bot_db.services.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        new, known = bot_db.chat("en"), bot_db.chat("ne")
        known.send("/verify " + registry_data_db["ok"])
        seen.clear()
        assert "Himal Sunrise Overseas" in new.send("/verify " + registry_data_db["ok"]).text
        assert "Himal Sunrise Overseas" in known.send("/verify Himal Sunrise Overseas").text
        assert seen == []
        walk(known, registry_data_db["ok"], AMOUNT)  # a draft: written
        assert seen and all("SELECT" not in s.upper().split()[0] for s in seen)
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_rows_not_stored_for_an_outage_are_written_with_the_next_update(engine):
    """A write that fails (the database out of reach) is not lost: the next write carries it."""
    import asyncio

    from bot.persistence import DatabasePersistence

    persistence = DatabasePersistence(engine)
    real, calls = persistence._put_many, []

    def failing_once(items):
        calls.append(dict(items))
        if len(calls) == 1:
            raise OSError("connection refused")
        real(items)

    persistence._put_many = failing_once

    async def go():
        await persistence.update_chat_data(901, {"draft": "A", "step": 3})
        await persistence.update_conversation("report", (901, 901), 3)
        with pytest.raises(OSError):
            await persistence.write_pending()
        await persistence.update_chat_data(902, {"draft": "B", "step": 1})
        await persistence.write_pending()

    asyncio.run(go())
    assert set(calls[1]) == {("chat", "901"), ("conv:report", "[901, 901]"), ("chat", "902")}
    with Session(engine) as s:
        rows = {(r.kind, r.key): r.data for r in s.scalars(select(BotState))}
    assert rows[("chat", "901")] == '{"draft":"A","step":3}' and rows[("conv:report", "[901, 901]")] == "3"
    assert rows[("chat", "902")] == '{"draft":"B","step":1}'
