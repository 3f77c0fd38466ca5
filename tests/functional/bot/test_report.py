"""/report: each step, back and cancel, bad input, a repeated update, a database failure."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.i18n import gettext_for, pick_language
from registry.models import AuditLogEntry, FeeReport
from registry.services.reports import pseudonym

Q_RECRUITER = "Which recruiter or agent did you pay?"
Q_ORIGIN = "Which country are you from?"
Q_DEST = "In which country is (or was) the job?"
Q_CATEGORY = "What was the fee for?"
Q_AMOUNT = "How much did you pay?"
Q_CURRENCY = "In which currency did you pay?"
Q_MORE = "Did you pay this recruiter another fee"
Q_DATE = "When did you pay?"
Q_PHOTO = "Do you have a receipt?"
Q_CONSENT = "Please check your report:"
QUESTIONS = [Q_RECRUITER, Q_ORIGIN, Q_DEST, Q_CATEGORY, Q_AMOUNT, Q_MORE, Q_DATE, Q_PHOTO, Q_CONSENT]
# Indexes of the questions, for walk().
ORIGIN, DEST, CATEGORY, AMOUNT, MORE, DATE, PHOTO, CONSENT = range(1, 9)


def reports(engine) -> list[FeeReport]:
    with Session(engine) as s:
        return list(s.scalars(select(FeeReport).order_by(FeeReport.id)))


# The questions in full, as written in the bot (for chats in other languages).
MSGIDS = [
    "Which recruiter or agent did you pay? Send its name, licence number or FairRecruit ID.",
    "Which country are you from? Tap it, or type the country's name.",
    "In which country is (or was) the job? Tap it, or type the country's name.",
    "What was the fee for?",
    "How much did you pay? Send the number, for example 1500, or the number and the currency, for example 200 USD.",
    "Did you pay this recruiter another fee, for example for the medical check or the visa?",
    "When did you pay? Send the date, for example 15.03.2024.",
    "Do you have a receipt? You can send a photo or a PDF of it now. This is optional.",
    "Please check your report:",
]


def walk(chat, pid: str, upto: int):
    """Answer the report's questions up to (and showing) question number `upto`; return the last reply.
    The worker's country is asked once in a chat: a second report skips it."""
    _ = gettext_for(pick_language(chat.language_code))
    asked = [_(m) for m in MSGIDS]
    r = chat.send("/report")
    assert asked[0] in r.text
    steps = [
        lambda: (chat.send("Himal Sunrise Overseas"), chat.tap(f"r:rec:{pid}"))[1],
        lambda: chat.tap("r:org:NP"),
        lambda: chat.tap("r:dst:QA"),
        lambda: chat.tap("r:cat:recruitment_fee"),
        lambda: chat.send("1,500 NPR"),
        lambda: chat.tap("r:done"),
        lambda: chat.send("15.03.2024"),
        lambda: chat.photo("AgACAgIAAxkBAAIreceipt"),
    ]
    i = 0
    while i < upto:
        r = steps[i]()
        if i == 0 and asked[DEST] in r.text and asked[ORIGIN] not in r.text:
            i += 1  # the country was given in an earlier report of this chat
            if upto == ORIGIN:
                return r
        assert asked[i + 1] in r.text, (i, r.text)
        i += 1
    return r


def case_code_in(text: str) -> str:
    import re

    m = re.search(r"FR-[0-9A-Z]{4}-[0-9A-Z]{4}", text)
    assert m, text
    return m.group(0)


def test_full_report_gives_a_case_code_after_commit(bot_db, registry_data_db):
    chat = bot_db.chat("en")
    r = walk(chat, registry_data_db["ok"], CONSENT)
    assert "Recruiter: Himal Sunrise Overseas Pvt. Ltd." in r.text
    assert "You are from: Nepal" in r.text
    assert "Fees you paid:\n• Recruitment or placement fee: 1,500 NPR" in r.text
    assert "Paid on: Mar 15, 2024" in r.text
    assert "Job in: Qatar" in r.text
    assert "Receipt: yes" in r.text
    r = chat.tap("rc:yes")
    code = case_code_in(r.text)
    assert (
        f"Your case code is {code}. Keep it: with /mycases you can see what happens to your case." in r.text
    )
    assert "We will send you a message here when your report has been decided." in r.text
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


def test_free_text_recruiter_and_the_currency_is_asked_in_the_workers_language(bot, registry_data):
    _ = gettext_for("bn")
    chat = bot.chat("bn")
    chat.send("/report")
    r = chat.send("Shapla Dalal Office")
    assert "r:free" in r.callback_data
    r = chat.tap("r:free")
    assert _("Which country are you from? Tap it, or type the country's name.") in r.text
    assert r.callback_data[0] == "r:org:BD"  # the usual country of the chat's language first
    assert "বাংলাদেশ" in r.buttons  # country names in the worker's language
    r = chat.send("বাংলাদেশ")
    r = chat.send("Saudi Arabia")
    assert _("What was the fee for?") in r.text
    chat.tap("r:cat:medical")
    r = chat.send("৮০০০")  # Bengali digits, no currency: the worker's and the destination's offered
    assert r.callback_data[:2] == ["r:cur:BDT", "r:cur:SAR"]
    r = chat.tap("r:cur:BDT")
    r = chat.tap("r:done")
    assert _("When did you pay? Send the date, for example 15.03.2024.") in r.text
    r = chat.tap("r:nodate")
    assert _("Do you have a receipt? You can send a photo or a PDF of it now. This is optional.") in r.text
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
    assert rep.origin_country == "BD"
    assert rep.receipt_file_id is None


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "hello"), ("ne", "नमस्ते"), ("bn", "ধন্যবাদ"), ("id", "halo"), ("tl", "salamat po")]
)
def test_a_greeting_is_not_taken_as_the_recruiters_name(bot, registry_data, lang, text):
    _ = gettext_for(lang)
    chat = bot.chat(lang)
    chat.send("/report")
    r = chat.send(text)
    assert _("That is not a recruiter's name. Type the name of the agency you paid (or /cancel).") in r.text
    assert "r:free" not in r.callback_data  # not offered as a name to report
    r = chat.send("Shapla Dalal Office")  # the question is still open
    assert "r:free" in r.callback_data


def test_report_from_a_card_button_skips_the_recruiter_question(bot, registry_data):
    chat = bot.chat("en")
    pid = registry_data["suspended"]
    chat.send(f"/verify {pid}")
    r = chat.tap(f"rep:{pid}")
    assert Q_ORIGIN in r.text
    r = chat.tap("r:org:BD")
    assert r.callback_data[0] == "r:dst:SA"  # the recruiter's corridor comes first
    r = chat.tap("r:dst:SA")
    assert "Paying: Coral Bay Manpower Agency." in r.text and Q_CATEGORY in r.text
    chat.tap("r:cat:deposit_or_bond")
    r = chat.send("250 usd")
    assert Q_MORE in r.text
    assert Q_DATE in chat.tap("r:done").text
    assert Q_PHOTO in chat.tap("r:today").text
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert (rep.currency, rep.paid_on, rep.category) == ("USD", date.today(), "deposit_or_bond")


@pytest.mark.parametrize("step", range(1, 9))
def test_back_returns_to_the_previous_question(bot, registry_data, step):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], step)
    r = chat.tap("r:back")
    expected = QUESTIONS[AMOUNT if step == MORE else step - 1]  # back from "another fee?": its amount
    assert expected in r.text


@pytest.mark.parametrize("step", range(0, 9))
def test_cancel_at_every_step_saves_nothing(bot, registry_data, step):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], step)
    r = chat.tap("x")
    assert "OK, stopped. Nothing was saved." in r.text
    assert reports(bot.services.engine) == []
    assert "There is nothing to stop" in chat.send("/cancel").text


def test_cancel_command_in_the_middle(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], DATE)
    assert "OK, stopped." in chat.send("/cancel").text
    assert reports(bot.services.engine) == []


def test_no_at_consent_saves_nothing(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], CONSENT)
    assert "Nothing was saved" in chat.tap("rc:no").text
    assert reports(bot.services.engine) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fifteen hundred", "I could not read a number there."),
        ("-500", "The amount must be more than zero."),
        ("0", "The amount must be more than zero."),
        ("99999999999 NPR", "That amount looks too large."),
        ("250000 USD", "That amount looks too large. The largest amount I can take in USD is 100,000."),
        ("0.001 USD", "That amount is too small."),
        ("0.50 USD", "That amount is too small. The smallest amount I can take in USD is 1."),
        ("5 NPR", "That amount is too small. The smallest amount I can take in NPR is"),
        ("1500 XYZ", "I do not know the currency “XYZ”."),
        ("1500 USD NPR", "That answer names two currencies. Please name only one."),
    ],
)
def test_bad_amount_is_refused_at_the_step_and_asked_again(bot, registry_data, text, problem):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], AMOUNT)
    r = chat.send(text)
    assert problem in r.text
    assert Q_AMOUNT in r.text
    assert Q_MORE not in r.text
    assert Q_MORE in chat.send("1500 NPR").text  # and the flow goes on


def test_the_currency_is_never_the_recruiters(bot, registry_data):
    """A Nepali worker's "150000" to a Qatar job with a recruiter of any country: asked, not guessed."""
    chat = bot.chat("ne")
    chat.send("/report")
    chat.send("Coral Bay")
    chat.tap(f"r:rec:{registry_data['suspended']}")  # a recruiter in Bangladesh
    chat.tap("r:org:NP")
    chat.tap("r:dst:QA")
    chat.tap("r:cat:recruitment_fee")
    r = chat.send("150000")
    assert (
        gettext_for("ne")(
            "In which currency did you pay? Tap it, or send the amount again with its currency, for example 200 USD."
        )
        in r.text
    )
    assert r.callback_data[:2] == ["r:cur:NPR", "r:cur:QAR"]
    assert "r:cur:BDT" not in r.callback_data
    r = chat.tap("r:cur:NPR")
    assert "1,50,000 NPR" in r.text
    chat.tap("r:done")
    chat.tap("r:nodate")
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert (str(rep.amount), rep.currency, rep.origin_country, rep.destination_country) == (
        "150000.00",
        "NPR",
        "NP",
        "QA",
    )


def test_a_currency_named_in_the_answer_wins_and_text_at_the_currency_question(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], AMOUNT)
    r = chat.send("300")
    assert Q_CURRENCY in r.text
    r = chat.send("300 QAR")  # typed again with its currency instead of a tap
    assert "Added: Recruitment or placement fee: 300 QAR." in r.text
    chat.tap("r:more")
    chat.tap("r:cat:medical")
    assert Q_MORE in chat.send("Rs 5000").text  # rupees of a worker from Nepal
    chat.tap("r:done")
    chat.tap("r:nodate")
    r = chat.tap("r:skip")
    assert "• Recruitment or placement fee: 300 QAR\n• Medical check: 5,000 NPR" in r.text


def test_a_currency_amount_out_of_bounds_after_the_currency_is_picked(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], AMOUNT)
    chat.send("3")
    r = chat.tap("r:cur:QAR")
    assert "That amount is too small. The smallest amount I can take in QAR is" in r.text
    assert Q_AMOUNT in r.text


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
    walk(chat, registry_data["ok"], DATE)
    r = chat.send(text)
    assert problem in r.text and Q_DATE in r.text
    assert Q_PHOTO in chat.send("2024-01-31").text


def test_unknown_country_is_explained_and_asked_again(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], DEST)
    r = chat.send("Atlantis")
    assert "I do not know that country." in r.text and Q_DEST in r.text
    assert Q_CATEGORY in chat.send("Malaysia").text


def test_text_where_a_photo_is_asked(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], PHOTO)
    r = chat.send("I lost it")
    assert "Please send a photo or a PDF of the receipt, or tap Skip." in r.text
    assert Q_PHOTO in r.text
    assert "r:skip" in r.callback_data


def test_text_where_a_button_is_asked(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], CATEGORY)
    r = chat.send("medical")
    assert "Please tap one of the buttons." in r.text and Q_CATEGORY in r.text


@pytest.mark.parametrize("step", range(0, 9))
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
    chat.tap("r:org:PH")
    chat.tap("r:dst:QA")
    chat.tap("r:cat:medical")
    r = chat.send("abc")
    _ = gettext_for("tl")
    assert _("I could not read a number there.") in r.text
    r = chat.send("-3")
    assert _("The amount must be more than zero.") in r.text


def test_repeated_update_creates_no_second_report(bot_db, registry_data_db):
    chat = bot_db.chat("en")
    walk(chat, registry_data_db["ok"], CONSENT)
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
    walk(chat, registry_data_db["ok"], CONSENT)
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
    walk(chat, registry_data["ok"], CONSENT)
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


def test_the_daily_limit_is_told_before_any_question(bot, registry_data):
    bot.services.settings = bot.services.settings.model_copy(update={"reports_per_chat_per_day": 2})
    chat = bot.chat("en")
    r = walk(chat, registry_data["ok"], 0)
    assert "You can send up to 2 reports a day. Reports left today: 2." in r.text
    chat.tap("x")
    walk(chat, registry_data["ok"], CONSENT)
    case_code_in(chat.tap("rc:yes").text)
    r = walk(chat, registry_data["ok"], 0)
    assert "Reports left today: 1." in r.text
    walk(chat, registry_data["ok"], CONSENT)
    case_code_in(chat.tap("rc:yes").text)
    r = chat.send("/report")
    assert "You have sent many reports today. Thank you!" in r.text
    assert Q_RECRUITER not in r.text  # nothing is asked
    assert "There is nothing to stop" in chat.send("/cancel").text
    assert len(reports(bot.services.engine)) == 2
    # another chat is not limited
    other = bot.chat("en")
    walk(other, registry_data["ok"], CONSENT)
    case_code_in(other.tap("rc:yes").text)


def test_the_limit_reached_meanwhile_is_still_polite_at_the_end(bot, registry_data):
    from bot.services import Draft

    bot.services.settings = bot.services.settings.model_copy(update={"reports_per_chat_per_day": 1})
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], CONSENT)
    other = Draft(
        recruiter_text="Other agent",
        category="medical",
        amount=Decimal("100"),
        currency="USD",
        destination_country="QA",
    )
    bot.services.submit(chat.id, other, "tg:elsewhere")  # sent meanwhile, e.g. from another device
    r = chat.tap("rc:yes")
    assert "You have sent many reports today. Thank you!" in r.text
    assert len(reports(bot.services.engine)) == 1


@pytest.mark.parametrize("command", ["/help", "/privacy", "/mycases", "/language", "/whatever"])
def test_a_command_in_the_middle_is_answered_and_the_report_can_go_on(bot, registry_data, command):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], AMOUNT)
    r = chat.send(command)
    assert r.texts[-1] == "You have an unfinished report. Do you want to continue it?"
    assert len(r.texts) >= 2  # the command's own answer came first
    assert r.callback_data[-2:] == ["r:resume", "r:drop"]
    r = chat.tap("r:resume")
    assert Q_AMOUNT in r.text
    assert Q_MORE in chat.send("1500 NPR").text
    chat.tap("r:done")
    chat.tap("r:nodate")
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    assert len(reports(bot.services.engine)) == 1


def test_a_report_left_for_another_command_can_be_dropped(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], DATE)
    r = chat.send(f"/verify {registry_data['ok']}")
    assert "Accredited until" in r.text
    assert "r:resume" in r.callback_data
    r = chat.tap("r:drop")
    assert "OK, stopped. Nothing was saved." in r.text
    r = chat.send("15.03.2024")  # no longer an answer to the date question
    assert Q_PHOTO not in r.text
    r = chat.tap("r:resume")  # the old offer: the report is gone, and the worker is told what to do
    assert (
        "This report is no longer open. Nothing was saved from it. Send /report to start a new one." in r.text
    )
    assert reports(bot.services.engine) == []


def test_report_again_in_the_middle_returns_to_the_open_question(bot, registry_data):
    chat = bot.chat("en")
    walk(chat, registry_data["ok"], DATE)
    r = chat.send("/report")
    assert "You are already writing a report." in r.text and Q_DATE in r.text


def test_case_code_lost_on_the_way_is_sent_again_on_the_next_tap(bot_db, registry_data_db):
    """Committed, but Telegram failed to deliver the answer: tapping again shows the same case code."""
    chat = bot_db.chat("en")
    walk(chat, registry_data_db["ok"], CONSENT)
    message_id = chat.message_with("rc:yes")
    bot_db.api.fail_methods["editMessageText"] = 1
    r = chat.tap("rc:yes", message_id=message_id)
    assert "FR-" not in r.text
    assert "Sorry, something went wrong. Please try again." in r.text
    [stored] = reports(bot_db.services.engine)
    r = chat.tap("rc:yes", message_id=message_id)
    assert case_code_in(r.text) == stored.case_code
    assert len(reports(bot_db.services.engine)) == 1
