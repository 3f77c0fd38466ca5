"""/report: each step, back and cancel, bad input, a repeated update, a database failure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.i18n import gettext_for
from registry.models import AuditLogEntry, FeeReport
from registry.services.reports import pseudonym

Q_RECRUITER = "Which recruiter or agent did you pay?"
Q_CATEGORY = "What was the fee for?"
Q_AMOUNT = "How much did you pay?"
Q_DATE = "When did you pay?"
Q_DEST = "In which country is (or was) the job?"
Q_PHOTO = "Do you have a receipt?"
Q_CONSENT = "Please check your report:"
QUESTIONS = [Q_RECRUITER, Q_CATEGORY, Q_AMOUNT, Q_DATE, Q_DEST, Q_PHOTO, Q_CONSENT]


def reports(engine) -> list[FeeReport]:
    with Session(engine) as s:
        return list(s.scalars(select(FeeReport).order_by(FeeReport.id)))


def walk(chat, pid: str, upto: int):
    """Answer the report's questions up to (and showing) question number `upto`; return the last reply."""
    r = chat.send("/report")
    assert Q_RECRUITER in r.text
    steps = [
        lambda: (chat.send("Himal Sunrise Overseas"), chat.tap(f"r:rec:{pid}"))[1],
        lambda: chat.tap("r:cat:recruitment_fee"),
        lambda: chat.send("1,500"),
        lambda: chat.send("15.03.2024"),
        lambda: chat.tap("r:dst:QA"),
        lambda: chat.photo("AgACAgIAAxkBAAIreceipt"),
    ]
    for i in range(upto):
        r = steps[i]()
        assert QUESTIONS[i + 1] in r.text, (i, r.text)
    return r


def case_code_in(text: str) -> str:
    import re

    m = re.search(r"FR-[0-9A-Z]{4}-[0-9A-Z]{4}", text)
    assert m, text
    return m.group(0)


def test_full_report_gives_a_case_code_after_commit(bot_db, registry_data_db):
    chat = bot_db.chat("en")
    r = walk(chat, registry_data_db["ok"], 6)
    assert "Recruiter: Himal Sunrise Overseas Pvt. Ltd." in r.text
    assert "Fee: Recruitment or placement fee" in r.text
    assert "Amount: 1,500 NPR" in r.text  # currency from the recruiter's country (Nepal)
    assert "Paid on: Mar 15, 2024" in r.text
    assert "Job in: Qatar" in r.text
    assert "Receipt photo: yes" in r.text
    r = chat.tap("rc:yes")
    code = case_code_in(r.text)
    [rep] = reports(bot_db.services.engine)
    assert rep.case_code == code
    assert rep.recruiter_id == registry_data_db["ok_id"]
    assert (rep.category, str(rep.amount), rep.currency) == ("recruitment_fee", "1500.00", "NPR")
    assert (rep.paid_on, rep.origin_country, rep.destination_country) == (date(2024, 3, 15), "NP", "QA")
    assert rep.receipt_file_id == "AgACAgIAAxkBAAIreceipt"
    assert rep.channel == "telegram" and rep.consent_at is not None
    assert rep.reporter_key == pseudonym(bot_db.settings.pseudonym_key, chat.id)
    # the raw chat id is nowhere in the report
    assert all(str(chat.id) not in str(v) for v in rep.model_dump().values())


def test_free_text_recruiter_and_currency_from_the_workers_language(bot, registry_data):
    chat = bot.chat("bn")
    chat.send("/report")
    r = chat.send("Shapla Dalal Office")
    assert "r:free" in r.callback_data
    r = chat.tap("r:free")
    assert gettext_for("bn")("What was the fee for?") in r.text
    chat.tap("r:cat:medical")
    r = chat.send("৮০০০")  # Bengali digits
    assert gettext_for("bn")("When did you pay? Send the date, for example 15.03.2024.") in r.text
    chat.tap("r:nodate")
    r = chat.send("Saudi Arabia")
    assert (
        gettext_for("bn")("Do you have a receipt? You can send a photo of it now. This is optional.")
        in r.text
    )
    r = chat.tap("r:skip")
    assert "BDT" in r.text
    code = case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert (rep.case_code, rep.recruiter_id, rep.recruiter_text) == (code, None, "Shapla Dalal Office")
    assert (rep.currency, str(rep.amount), rep.paid_on, rep.destination_country) == (
        "BDT",
        "8000.00",
        None,
        "SA",
    )
    assert rep.receipt_file_id is None


def test_report_from_a_card_button_skips_the_recruiter_question(bot, registry_data):
    chat = bot.chat("en")
    pid = registry_data["suspended"]
    chat.send(f"/verify {pid}")
    r = chat.tap(f"rep:{pid}")
    assert "Paying: Coral Bay Manpower Agency." in r.text and Q_CATEGORY in r.text
    chat.tap("r:cat:deposit_or_bond")
    r = chat.send("250 usd")
    assert Q_DATE in r.text
    chat.tap("r:today")
    r = chat.tap("r:dst:SA")  # the recruiter's corridor comes first
    assert Q_PHOTO in r.text
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert (rep.currency, rep.paid_on, rep.category) == ("USD", date.today(), "deposit_or_bond")


@pytest.mark.parametrize("step", range(1, 7))
def test_back_returns_to_the_previous_question(bot, registry_data, step):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], step)
    r = chat.tap("r:back")
    assert QUESTIONS[step - 1] in r.text


@pytest.mark.parametrize("step", range(0, 7))
def test_cancel_at_every_step_saves_nothing(bot, registry_data, step):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], step)
    r = chat.tap("x")
    assert "OK, stopped. Nothing was saved." in r.text
    assert reports(bot.services.engine) == []
    assert "There is nothing to stop" in chat.send("/cancel").text


def test_cancel_command_in_the_middle(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 3)
    assert "OK, stopped." in chat.send("/cancel").text
    assert reports(bot.services.engine) == []


def test_no_at_consent_saves_nothing(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 6)
    assert "Nothing was saved" in chat.tap("rc:no").text
    assert reports(bot.services.engine) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fifteen hundred", "I could not read a number there."),
        ("-500", "The amount must be more than zero."),
        ("0", "The amount must be more than zero."),
        ("99999999999 NPR", "That amount looks too large. Please check it."),
        ("250000 USD", "That amount looks too large. Please check it."),
        ("1500 XYZ", "I do not know the currency “XYZ”."),
        ("1500 USD NPR", "Please add the currency."),
    ],
)
def test_bad_amount_is_explained_and_asked_again(bot, registry_data, text, problem):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 2)
    r = chat.send(text)
    assert problem in r.text
    assert Q_AMOUNT in r.text
    assert Q_DATE not in r.text
    assert Q_DATE in chat.send("1500").text  # and the flow goes on


def test_amount_without_a_currency_when_none_can_be_guessed(bot, registry_data):
    chat = bot.chat("en")
    chat.send("/report")
    chat.send("Unknown Agent")
    chat.tap("r:free")
    r = chat.tap("r:cat:other")
    assert "Send the number and the currency" in r.text
    r = chat.send("300")
    assert "Please add the currency." in r.text
    assert Q_DATE in chat.send("300 QAR").text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ((date.today() + timedelta(days=3)).strftime("%d.%m.%Y"), "That date is in the future."),
        ("last year", "I could not read that date."),
        ("31.02.2024", "I could not read that date."),
        ("01.01.1975", "That date is too long ago."),
    ],
)
def test_bad_date_is_explained_and_asked_again(bot, registry_data, text, problem):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 3)
    r = chat.send(text)
    assert problem in r.text and Q_DATE in r.text
    assert Q_DEST in chat.send("2024-01-31").text


def test_unknown_country_is_explained_and_asked_again(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 4)
    r = chat.send("Atlantis")
    assert "I do not know that country." in r.text and Q_DEST in r.text
    assert Q_PHOTO in chat.send("Malaysia").text


def test_text_where_a_photo_is_asked(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 5)
    r = chat.send("I lost it")
    assert "Please send a photo of the receipt, or tap Skip." in r.text
    assert Q_PHOTO in r.text
    assert "r:skip" in r.callback_data


def test_text_where_a_button_is_asked(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 1)
    r = chat.send("medical")
    assert "Please tap one of the buttons." in r.text and Q_CATEGORY in r.text


@pytest.mark.parametrize("step", range(0, 7))
def test_sticker_at_any_step_gets_the_same_question(bot, registry_data, step):
    chat = bot.chat("ne")
    walk_ne = walk if step == 0 else None
    chat.language_code = "en"
    walk(chat, registry_data["ok"], step)
    r = chat.sticker()
    assert "Sorry, I cannot read stickers." in r.text
    assert QUESTIONS[step] in r.text
    assert walk_ne is None or reports(bot.services.engine) == []


def test_bad_input_is_explained_in_the_workers_language(bot, registry_data):
    chat = bot.chat("tl")
    chat.send("/report")
    chat.send("Himal Sunrise")
    chat.tap(f"r:rec:{registry_data['ok']}")
    chat.tap("r:cat:medical")
    r = chat.send("abc")
    _ = gettext_for("tl")
    assert _("I could not read a number there.") in r.text
    r = chat.send("-3")
    assert _("The amount must be more than zero.") in r.text


def test_repeated_update_creates_no_second_report(bot_db, registry_data_db):
    chat = bot_db.chat("en")
    walk(chat, registry_data_db["ok"], 6)
    update = chat.callback_update("rc:yes")
    bot_db.api.push(update)  # the same update twice (e.g. re-delivered after a restart)
    calls = bot_db.deliver(dict(update))
    codes = {case_code_in(c.text) for c in calls if c.text and "FR-" in c.text}
    assert len(codes) == 1
    assert len(reports(bot_db.services.engine)) == 1
    # a second tap on the same button (a new update for the same message): still one report
    r = chat.tap("rc:yes", message_id=update["callback_query"]["message"]["message_id"])
    assert case_code_in(r.text) in codes
    assert len(reports(bot_db.services.engine)) == 1


def test_database_failure_at_commit_saves_nothing_and_the_worker_can_retry(bot_db, registry_data_db):
    engine = bot_db.services.engine
    chat = bot_db.chat("en")
    walk(chat, registry_data_db["ok"], 6)
    with Session(engine) as s:
        log_entries = s.scalar(select(func.count()).select_from(AuditLogEntry))
    failures = {"left": 1}

    def fail_commit(conn):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    event.listen(engine, "commit", fail_commit)
    try:
        r = chat.tap("rc:yes")
    finally:
        event.remove(engine, "commit", fail_commit)
    assert "we cannot save your report right now. Nothing was saved." in r.text
    assert "FR-" not in r.text
    assert "rc:yes" in r.callback_data
    assert reports(engine) == []
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLogEntry)) == log_entries
    code = case_code_in(chat.tap("rc:yes").text)
    assert [x.case_code for x in reports(engine)] == [code]


def test_database_unreachable_during_a_report(bot, registry_data, tmp_path):
    from registry.db import make_engine

    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 6)
    good = bot.services.engine
    bot.services.engine = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    try:
        r = chat.tap("rc:yes")
        assert "Nothing was saved. Please try again in a few minutes" in r.text
        r = bot.chat("en").send("/mycases")  # another worker, outside a flow
        assert "we cannot reach our records right now" in r.text
    finally:
        bot.services.engine.dispose()
        bot.services.engine = good
    assert reports(good) == []
    case_code_in(chat.tap("rc:yes").text)
    assert len(reports(good)) == 1


def test_daily_limit_is_polite(bot, registry_data):
    bot.services.settings = bot.services.settings.model_copy(update={"reports_per_chat_per_day": 1})
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 6)
    case_code_in(chat.tap("rc:yes").text)
    walk(chat, registry_data["ok"], 6)
    r = chat.tap("rc:yes")
    assert "You have sent many reports today. Thank you!" in r.text
    assert len(reports(bot.services.engine)) == 1
    # another chat is not limited
    other = bot.chat("en")
    walk(other, registry_data["ok"], 6)
    case_code_in(other.tap("rc:yes").text)


def test_a_command_in_the_middle_leaves_the_report(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], 2)
    r = chat.send(f"/verify {registry_data['ok']}")
    assert "Accredited until" in r.text
    r = chat.send("1500")  # no longer an answer to the amount question
    assert Q_DATE not in r.text


def test_case_code_lost_on_the_way_is_sent_again_on_the_next_tap(bot_db, registry_data_db):
    """Committed, but Telegram failed to deliver the answer: tapping again shows the same case code."""
    chat = bot_db.chat("en")
    walk(chat, registry_data_db["ok"], 6)
    message_id = chat.message_with("rc:yes")
    bot_db.api.fail_methods["editMessageText"] = 1
    r = chat.tap("rc:yes", message_id=message_id)
    assert "FR-" not in r.text
    assert "Sorry, something went wrong. Please try again." in r.text
    [stored] = reports(bot_db.services.engine)
    r = chat.tap("rc:yes", message_id=message_id)
    assert case_code_in(r.text) == stored.case_code
    assert len(reports(bot_db.services.engine)) == 1
