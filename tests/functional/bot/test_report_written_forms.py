"""/report reads amounts, dates and countries the way workers write them, and keeps a month-only date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.i18n import gettext_for
from tests.functional.bot.test_report import Q_DATE, Q_DEST, Q_PHOTO, case_code_in, reports


def to_amount(chat, pid: str):
    chat.send("/report")
    chat.send("Himal Sunrise Overseas")
    chat.tap(f"r:rec:{pid}")
    return chat.tap("r:cat:recruitment_fee")


@pytest.mark.parametrize(
    ("lang", "typed", "amount", "currency"),
    [
        ("en", "1.5 lakh", "150000.00", "NPR"),
        ("en", "Rs 1,50,000/-", "150000.00", "NPR"),  # rupees of a Nepali recruiter
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
    assert gettext_for(lang)("When did you pay? Send the date, for example 15.03.2024.") in r.text
    chat.tap("r:nodate")
    chat.tap("r:dst:QA")
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert (str(rep.amount), rep.currency) == (amount, currency)


def test_dollars_that_are_not_the_recruiters_currency_are_asked(bot, registry_data):
    chat = bot.chat("en")
    to_amount(chat, registry_data["ok"])
    r = chat.send("$1,200")
    assert "Please add the currency." in r.text
    assert Q_DATE in chat.send("USD 1,200").text


def test_a_month_only_date_is_kept_and_shown_as_a_month(bot_db, registry_data_db):
    chat = bot_db.chat("en")
    to_amount(chat, registry_data_db["ok"])
    chat.send("1500")
    r = chat.send("03/2024")
    assert Q_DEST in r.text
    r = chat.send("Hong Kong")
    assert Q_PHOTO in r.text
    r = chat.tap("r:skip")
    assert "Paid on: March 2024" in r.text and "Job in: Hong Kong" in r.text
    code = case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot_db.services.engine)
    assert (rep.paid_on, rep.paid_on_precision, rep.destination_country) == (date(2024, 3, 1), "month", "HK")
    text = chat.send("/mycases").text
    assert code in text and "Paid on: March 2024" in text


def test_a_bikram_sambat_date_from_a_nepali_worker(bot, registry_data):
    chat = bot.chat("ne")
    to_amount(chat, registry_data["ok"])
    chat.send("५०००")
    r = chat.send("२०८२/०५/१५")
    assert (
        gettext_for("ne")("In which country is (or was) the job? Tap it, or type the country's name.")
        in r.text
    )
    chat.send("साउदी")
    chat.tap("r:skip")
    case_code_in(chat.tap("rc:yes").text)
    [rep] = reports(bot.services.engine)
    assert (rep.amount, rep.paid_on, rep.paid_on_precision) == (Decimal("5000.00"), date(2025, 8, 31), "day")
    assert rep.destination_country == "SA"
