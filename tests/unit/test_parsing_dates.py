"""Dates as workers write them: numbers, month names in five languages, Bikram Sambat, month only."""

from __future__ import annotations

from datetime import date

import nepali_datetime
import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import InvalidInput
from registry.parsing.dates import DateReading, format_date_reading, parse_date

TODAY = date(2026, 11, 26)


def day(y: int, m: int, d: int, *alts: date, cal: str = "gregorian") -> DateReading:
    return DateReading(date(y, m, d), "day", cal, tuple(alts))


def month(y: int, m: int, cal: str = "gregorian") -> DateReading:
    return DateReading(date(y, m, 1), "month", cal)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("15/05/2026", "en", day(2026, 5, 15)),
        ("15.05.2026", "ne", day(2026, 5, 15)),
        ("15-5-2026", "bn", day(2026, 5, 15)),
        ("2026-05-15", "en", day(2026, 5, 15)),
        ("2026/5/15", "id", day(2026, 5, 15)),
        ("15.03.24", "en", day(2024, 3, 15)),
        ("१५/०५/२०२६", "ne", day(2026, 5, 15)),
        ("১৫/০৫/২০২৬", "bn", day(2026, 5, 15)),
        # both orders possible: the language's first, the other as an alternative
        ("03/05/2026", "en", day(2026, 5, 3, date(2026, 3, 5))),
        ("03/05/2026", "tl", day(2026, 3, 5, date(2026, 5, 3))),
        ("05/13/2026", "en", day(2026, 5, 13)),  # only month-day works
        ("13/05/2026", "tl", day(2026, 5, 13)),  # only day-month works
        # month names
        ("15 May 2026", "en", day(2026, 5, 15)),
        ("May 15, 2026", "en", day(2026, 5, 15)),
        ("May 15th 2026", "en", day(2026, 5, 15)),
        ("3 Sept 2025", "en", day(2025, 9, 3)),
        ("15 Mei 2026", "id", day(2026, 5, 15)),
        ("tanggal 5 Agustus 2025", "id", day(2025, 8, 5)),
        ("ika-15 ng Mayo 2026", "tl", day(2026, 5, 15)),
        ("15 Hunyo 2025", "tl", day(2025, 6, 15)),
        ("१५ मे २०२६", "ne", day(2026, 5, 15)),
        ("१५ अगस्ट २०२५", "ne", day(2025, 8, 15)),
        ("১৫ই মে ২০২৬", "bn", day(2026, 5, 15)),
        ("১৫ আগস্ট ২০২৫", "bn", day(2025, 8, 15)),
        # a month and a year only: month precision, never a day
        ("03/2026", "en", month(2026, 3)),
        ("05/2026", "en", month(2026, 5)),
        ("2026-03", "en", month(2026, 3)),
        ("May 2026", "en", month(2026, 5)),
        ("Mei 2026", "id", month(2026, 5)),
        ("Marso 2026", "tl", month(2026, 3)),
        ("মার্চ ২০২৬", "bn", month(2026, 3)),
        ("मार्च २०२६", "ne", month(2026, 3)),
        ("Nov 2026", "en", month(2026, 11)),  # the current month is not in the future
        # Bikram Sambat
        ("२०८२/०५/१५", "ne", day(2025, 8, 31, cal="bikram_sambat")),
        ("2082-05-15", "en", day(2025, 8, 31, cal="bikram_sambat")),
        ("१५/०५/२०८२", "ne", day(2025, 8, 31, cal="bikram_sambat")),
        ("१५/०५/८२", "ne", day(2025, 8, 31, cal="bikram_sambat")),  # two-digit BS year
        ("२०८२ भदौ १५ गते", "ne", day(2025, 8, 31, cal="bikram_sambat")),
        ("15 Bhadra 2082", "en", day(2025, 8, 31, cal="bikram_sambat")),
        ("२०८२ साउन", "ne", month(2025, 7, cal="bikram_sambat")),
        ("Asar 2082", "en", month(2025, 6, cal="bikram_sambat")),
        ("२०८२/०५", "ne", month(2025, 8, cal="bikram_sambat")),
        ("२०८३ कात्तिक १०", "ne", day(2026, 10, 27, cal="bikram_sambat")),
        # relative words
        ("today", "en", day(2026, 11, 26)),
        ("yesterday", "en", day(2026, 11, 25)),
        ("आज", "ne", day(2026, 11, 26)),
        ("हिजो", "ne", day(2026, 11, 25)),
        ("গতকাল", "bn", day(2026, 11, 25)),
        ("kahapon", "tl", day(2026, 11, 25)),
        ("kemarin", "id", day(2026, 11, 25)),
        ("hari ini", "id", day(2026, 11, 26)),
    ],
)
def test_dates_as_written(text, language, expected):
    assert parse_date(text, today=TODAY, language=language) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "date_unreadable"),
        ("last year", "date_unreadable"),
        ("31.02.2024", "date_unreadable"),
        ("2082/13/01", "date_unreadable"),
        ("१५ मे जुन २०२६", "date_unreadable"),
        ("15 May Asar 2082", "date_unreadable"),
        ("2025", "date_needs_month"),
        ("15 May", "date_needs_year"),
        ("27.11.2026", "date_in_future"),
        ("December 2026", "date_in_future"),
        ("2083/09/01", "date_in_future"),  # BS 1 Poush 2083 is mid-December 2026
        ("02.12.2026", "date_in_future"),  # not silently read as 12 February
        ("01.01.2010", "date_too_old"),
        ("2060/01/01", "date_too_old"),  # BS 2060 is 2003
    ],
)
def test_refused_dates_have_codes(text, code):
    with pytest.raises(InvalidInput) as e:
        parse_date(text, today=TODAY, language="ne")
    assert (e.value.code, e.value.field) == (code, "paid_on")


def test_too_old_gives_the_oldest_date_taken():
    with pytest.raises(InvalidInput) as e:
        parse_date("01.01.2010", today=TODAY)
    assert e.value.params["min"] == "2016-11-26"


def test_month_only_is_shown_as_a_month():
    assert format_date_reading(date(2026, 3, 1), "month", "en") == "March 2026"
    assert format_date_reading(date(2026, 3, 1), "month", "tl") == "Marso 2026"
    assert format_date_reading(date(2026, 3, 1), "month", "id") == "Maret 2026"
    assert format_date_reading(date(2026, 3, 15), "day", "en") == "Mar 15, 2026"
    assert "15" not in format_date_reading(date(2026, 3, 15), "month", "en")


@given(st.dates(min_value=date(2017, 1, 1), max_value=TODAY))
def test_every_bs_day_converts_back_to_its_gregorian_day(d):
    bs = nepali_datetime.date.from_datetime_date(d)
    text = f"{bs.year}/{bs.month:02d}/{bs.day:02d}"
    assert parse_date(text, today=TODAY, language="ne").value == d


@given(st.dates(min_value=date(2017, 1, 1), max_value=TODAY))
def test_every_written_day_reads_back(d):
    for text in (d.isoformat(), d.strftime("%d.%m.%Y"), d.strftime("%d %B %Y")):
        assert parse_date(text, today=TODAY, language="en").value == d
