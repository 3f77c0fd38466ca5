"""/mycases, /follow (and stopping), /language for followers, /forget."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.i18n import gettext_for
from registry.db import session_scope
from registry.models import ChatPreference, FeeReport, Follower
from registry.services import reports as report_service
from tests.functional.bot.test_report import case_code_in, walk


def followers(engine) -> list[Follower]:
    with Session(engine) as s:
        return list(s.exec(select(Follower)))


def test_mycases_lists_codes_and_triage_status(bot, registry_data):
    chat = bot.chat("en")
    assert "You have no cases yet." in chat.send("/mycases").text
    walk(chat, registry_data["ok"], 8)
    code = case_code_in(chat.tap("rc:yes").text)
    text = chat.send("/mycases").text
    assert code in text and "Himal Sunrise Overseas Pvt. Ltd." in text
    assert "received, waiting for review" in text
    with session_scope(bot.services.engine) as s:
        rep = s.exec(select(FeeReport).where(FeeReport.case_code == code)).one()
        report_service.triage(
            s, rep, status="substantiated", note="receipt checked", actor="auditor@example.org"
        )
    assert "confirmed by our reviewers" in chat.send("/mycases").text
    # another chat sees none of it
    assert "You have no cases yet." in bot.chat("en").send("/mycases").text


def test_mycases_in_nepali(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 8)
    code = case_code_in(chat.tap("rc:yes").text)
    chat.send("/language")
    chat.tap("lang:ne")
    text = chat.send("/mycases").text
    _ = gettext_for("ne")
    assert _("Your cases:") in text and code in text
    assert _("received, waiting for review") in text


def test_follow_by_name_then_stop(bot, registry_data):
    engine = bot.services.engine
    chat = bot.chat("en")
    r = chat.send("/follow")
    assert "Send the name or FairRecruit ID of a recruiter to follow." in r.text
    r = chat.send("Himal Sunrise Overseas")
    pid = registry_data["ok"]
    assert f"fol:{pid}" in r.callback_data
    r = chat.tap(f"fol:{pid}")
    assert "I will send you a message when the status of Himal Sunrise Overseas Pvt. Ltd. changes" in r.text
    [f] = followers(engine)
    assert (f.chat_id, f.recruiter_id, f.language) == (chat.id, registry_data["ok_id"], "en")
    # following twice stores it once
    chat.send("/follow Himal Sunrise Overseas")
    chat.tap(f"fol:{pid}")
    assert len(followers(engine)) == 1
    r = chat.send("/follow")
    assert "You follow:" in r.text and "Himal Sunrise Overseas Pvt. Ltd." in r.text
    r = chat.tap(f"unf:{pid}")
    assert "You no longer follow Himal Sunrise Overseas Pvt. Ltd." in r.text
    assert followers(engine) == []


def test_follow_from_the_status_card_and_language_follows_the_choice(bot, registry_data):
    chat = bot.chat("en")
    pid = registry_data["suspended"]
    chat.send(f"/verify {pid}")
    chat.tap(f"fol:{pid}")
    assert [f.language for f in followers(bot.services.engine)] == ["en"]
    chat.send("/language")
    chat.tap("lang:id")
    assert [f.language for f in followers(bot.services.engine)] == ["id"]


def test_follow_unknown_name_and_bad_input(bot, registry_data):
    chat = bot.chat("en")
    chat.send("/follow")
    r = chat.send("Nobody Such Agency")
    assert "is not in the FairRecruit registry" in r.text
    r = chat.sticker()
    assert "Sorry, I cannot read stickers." in r.text and "Send the name or FairRecruit ID" in r.text
    assert "OK, stopped" in chat.tap("x").text


def test_forget_erases_follows_language_and_the_link_to_reports(bot, registry_data):
    engine = bot.services.engine
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 8)
    code = case_code_in(chat.tap("rc:yes").text)
    chat.send(f"/verify {registry_data['ok']}")
    chat.tap(f"fol:{registry_data['ok']}")
    chat.send("/language")
    chat.tap("lang:tl")
    other = bot.chat("en")
    other.send(f"/verify {registry_data['ok']}")
    other.tap(f"fol:{registry_data['ok']}")

    r = chat.send("/forget")
    _ = gettext_for("tl")
    assert _("Erase now?") in r.text
    assert chat.sticker().text.startswith(_("Sorry, I cannot read stickers."))  # same question again
    r = chat.tap("f:yes")
    assert _("Done. Everything linked to this chat is erased.") in r.text
    assert [f.chat_id for f in followers(engine)] == [other.id]
    with Session(engine) as s:
        rep = s.exec(select(FeeReport).where(FeeReport.case_code == code)).one()
        assert rep.reporter_key is None and rep.receipt_file_id is None and rep.erased_at is not None
        assert s.exec(select(ChatPreference)).all() == []
    # the chat starts afresh: Telegram's language, no cases
    assert "You have no cases yet." in chat.send("/mycases").text


def test_forget_can_be_declined(bot, registry_data):
    chat = bot.chat("en")
    chat.send(f"/verify {registry_data['ok']}")
    chat.tap(f"fol:{registry_data['ok']}")
    chat.send("/forget")
    chat.tap("x")
    assert len(followers(bot.services.engine)) == 1
