"""The bot's old reader names (over registry.parsing), its languages and file URLs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.app import file_base_url
from bot.i18n import pick_language
from bot.parsing import BadInput, match_country, parse_amount_text, parse_date_text

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500", (Decimal("1500.00"), "NPR")),
        ("1,500", (Decimal("1500.00"), "NPR")),
        ("1500.50", (Decimal("1500.50"), "NPR")),
        ("200 usd", (Decimal("200.00"), "USD")),
        ("USD 200", (Decimal("200.00"), "USD")),
        ("QAR200", (Decimal("200.00"), "QAR")),
        ("१५००", (Decimal("1500.00"), "NPR")),  # Devanagari digits
        ("৮০০০ BDT", (Decimal("8000.00"), "BDT")),  # Bengali digits
        ("1500 rupees", (Decimal("1500.00"), "NPR")),  # the default settles a shared name
        ("1.5 lakh", (Decimal("150000.00"), "NPR")),
    ],
)
def test_amounts(text, expected):
    assert parse_amount_text(text, "NPR") == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("abc", "not_number"),
        ("", "not_number"),
        ("1500 and more", "not_number"),
        ("-5", "not_positive"),
        ("0", "not_positive"),
        ("−20", "not_positive"),
        ("99999999999999", "too_large"),
        ("1500 XYZ", "unknown_currency"),
        ("1500 USD QAR", "no_currency"),
        ("$ 200", "no_currency"),  # several dollars, none of them the default
    ],
)
def test_bad_amounts(text, kind):
    with pytest.raises(BadInput) as e:
        parse_amount_text(text, "NPR")
    assert e.value.kind == kind


def test_amount_needs_a_currency_when_there_is_no_default():
    with pytest.raises(BadInput) as e:
        parse_amount_text("300", None)
    assert e.value.kind == "no_currency"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", date(2024, 3, 15)),
        ("15.03.2024", date(2024, 3, 15)),
        ("15/3/2024", date(2024, 3, 15)),
        ("15-03-2024", date(2024, 3, 15)),
        ("03/2024", date(2024, 3, 1)),  # a month: its first day (registry.parsing keeps the precision)
        ("yesterday", date(2026, 11, 25)),
        ("२०२४-०३-१५", date(2024, 3, 15)),
        ("26.11.2026", TODAY),
    ],
)
def test_dates(text, expected):
    assert parse_date_text(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("27.11.2026", "future"),
        ("2030-01-01", "future"),
        ("last year", "unreadable"),
        ("31.02.2024", "unreadable"),
        ("01.01.1980", "too_old"),
    ],
)
def test_bad_dates(text, kind):
    with pytest.raises(BadInput) as e:
        parse_date_text(text, TODAY)
    assert e.value.kind == kind


@pytest.mark.parametrize(
    ("text", "locale", "code"),
    [
        ("Qatar", "en", "QA"),
        ("qa", "en", "QA"),
        ("  saudi   arabia ", "en", "SA"),
        ("UAE", "en", "AE"),
        ("कतार", "ne", "QA"),
        ("Malaysia", "id", "MY"),
        ("Atlantis", "en", None),
        ("", "en", None),
    ],
)
def test_countries(text, locale, code):
    assert match_country(text, locale) == code


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("ne", "ne"),
        ("ne-NP", "ne"),
        ("bn", "bn"),
        ("bn_BD", "bn"),
        ("tl", "tl"),
        ("fil", "tl"),
        ("id", "id"),
        ("in", "id"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_from_telegram(code, lang):
    assert pick_language(code) == lang


def test_file_base_url():
    assert file_base_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_base_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
