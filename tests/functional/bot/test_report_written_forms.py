"""/report reads amounts, dates and countries the way workers write them, and keeps a month-only date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.i18n import gettext_for
from tests.functional.bot.test_report import (
    AMOUNT,
    DEST,
    MORE,
    MSGIDS,
    PHOTO,
    Q_CATEGORY,
    Q_CURRENCY,
    Q_PHOTO,
    case_code_in,
    reports,
    walk,
)


def to_amount(chat, pid: str):
    return walk(chat, pid, AMOUNT)  # a worker from Nepal, a job in Qatar


def finish(chat):
    """From "another fee?" to the case code, with no date and no receipt."""
    chat.tap("r:done")
    chat.tap("r:nodate")
    chat.tap("r:skip")
    return case_code_in(chat.tap("rc:yes").text)


@pytest.mark.parametrize(
    ("lang", "typed", "amount", "currency"),
    [
        ("en", "1.5 lakh", "150000.00", "NPR"),  # no currency named: the worker taps theirs
        ("en", "Rs 1,50,000/-", "150000.00", "NPR"),  # rupees of a worker from Nepal
        ("ne", "रु १,५०,०००", "150000.00", "NPR"),
        ("ne", "डेढ लाख", "150000.00", "NPR"),
        ("bn", "৫০ হাজার টাকা", "50000.00", "BDT"),
        ("id", "Rp 2.500.000", "2500000.00", "IDR"),
        ("tl", "₱50,000", "50000.00", "PHP"),
    ],
)
def test_amounts_as_written_are_stored(bot, registry_data, lang, typed, amount, currency):
    chat = bot.chat(lang)
    to_amount(chat, registry_data["ok"])
    r = chat.send(typed)
    if f"r:cur:{currency}" in r.callback_data:
        assert "r:cur:QAR" in r.callback_data  # the destination's currency is offered too
        r = chat.tap(f"r:cur:{currency}")
    assert gettext_for(lang)(MSGIDS[MORE]) in r.text
    finish(chat)
    [rep] = reports(bot.services.engine)
    assert (str(rep.amount), rep.currency) == (amount, currency)


def test_dollars_are_asked_which_dollars(bot, registry_data):
    chat = bot.chat("en")
    to_amount(chat, registry_data["ok"])
    r = chat.send("$1,200")
    assert Q_CURRENCY in r.text and "r:cur:USD" in r.callback_data
    assert "r:cur:NPR" not in r.callback_data  # dollars are not rupees
    r = chat.tap("r:cur:USD")
    assert "Added: Recruitment or placement fee: 1,200 USD." in r.text


def test_a_month_only_date_is_kept_and_shown_as_a_month(bot_db, registry_data_db):
    chat = bot_db.chat("en")
    walk(chat, registry_data_db["ok"], DEST)
    assert Q_CATEGORY in chat.send("Hong Kong").text
    chat.tap("r:cat:recruitment_fee")
    chat.send("1500 NPR")
    chat.tap("r:done")
    r = chat.send("03/2024")
    assert Q_PHOTO in r.text
    r = chat.tap("r:skip")
    assert "Paid on: March 2024" in r.text and "Job in: Hong Kong" in r.text
    code = case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot_db.services.engine)
    assert (rep.paid_on, rep.paid_on_precision, rep.destination_country) == (date(2024, 3, 1), "month", "HK")
    text = chat.send("/mycases").text
    assert code in text and "Paid on: March 2024" in text


def test_a_bikram_sambat_date_and_a_local_country_name_from_a_nepali_worker(bot, registry_data):
    chat = bot.chat("ne")
    walk(chat, registry_data["ok"], DEST)
    chat.send("साउदी")
    chat.tap("r:cat:recruitment_fee")
    chat.send("५००० NPR")
    chat.tap("r:done")
    r = chat.send("२०८२/०५/१५")
    assert gettext_for("ne")(MSGIDS[PHOTO]) in r.text
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert (rep.amount, rep.paid_on, rep.paid_on_precision) == (Decimal("5000.00"), date(2025, 8, 31), "day")
    assert rep.destination_country == "SA"


def test_an_amount_that_reads_two_ways_is_asked_back(bot, registry_data):
    chat = bot.chat("en")
    to_amount(chat, registry_data["ok"])
    r = chat.send("1.500 USD")
    assert "That amount can be read in more than one way. Tap the amount you paid." in r.text
    assert r.callback_data[:2] == ["r:amt:0", "r:amt:1"]
    assert r.buttons[:2] == ["1,500 USD", "1.5 USD"]
    r = chat.tap("r:amt:1")
    assert "Added: Recruitment or placement fee: 1.5 USD." in r.text
    finish(chat)
    [rep] = reports(bot.services.engine)
    assert (str(rep.amount), rep.currency) == ("1.50", "USD")


def test_a_reading_outside_the_currencys_bounds_is_not_offered(bot, registry_data):
    chat = bot.chat("en")
    to_amount(chat, registry_data["ok"])
    chat.send("1.500")  # 1.5 QAR is less than a dollar: only fifteen hundred is plausible
    r = chat.tap("r:cur:QAR")
    assert "Added: Recruitment or placement fee: 1,500 QAR." in r.text
