"""Amounts as workers write them, in the bot's five languages: what is stored for each text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import InvalidInput
from registry.parsing.money import (
    AmountReading,
    amount_bounds,
    check_amount_bounds,
    choose,
    format_amount,
    parse_amount,
    with_currency,
)
from registry.services.fees import FxTable

ON = date(2026, 3, 1)
FX = FxTable(
    [
        (date(2025, 1, 1), "USD", Decimal("1")),
        (date(2025, 1, 1), "NPR", Decimal("0.00729")),
        (date(2025, 1, 1), "BDT", Decimal("0.0082")),
        (date(2025, 1, 1), "PHP", Decimal("0.0172")),
        (date(2025, 1, 1), "IDR", Decimal("0.0000615")),
        (date(2025, 1, 1), "KWD", Decimal("3.25")),
        (date(2025, 1, 1), "QAR", Decimal("0.2747")),
    ]
)
RUPEES = ("NPR", "INR", "PKR", "LKR")
DOLLARS = ("USD", "HKD", "SGD", "TWD", "AUD", "CAD")
RIYALS = ("SAR", "QAR", "OMR")


def D(x: str | int) -> Decimal:
    return Decimal(x).quantize(Decimal("0.01"))


# text, language, amount, currency (None: the text names none or an ambiguous one), other readings,
# currency candidates
AMOUNTS = [
    # --- English ------------------------------------------------------------------------------
    ("1500", "en", D(1500), None, (), ()),
    ("1,500", "en", D(1500), None, (), ()),
    ("1500.50", "en", D("1500.50"), None, (), ()),
    ("1.500", "en", D(1500), None, (D("1.5"),), ()),  # both readings possible: asked back
    ("150.000", "en", D(150000), None, (), ()),  # three zeros are never decimals
    ("150 000", "en", D(150000), None, (), ()),
    ("1,50,000", "en", D(150000), None, (), ()),
    ("1.5 lakh", "en", D(150000), None, (), ()),
    ("2 lakhs", "en", D(200000), None, (), ()),
    ("1.2 crore", "en", D(12000000), None, (), ()),
    ("150k", "en", D(150000), None, (), ()),
    ("1.5K", "en", D(1500), None, (), ()),
    ("2 million", "en", D(2000000), None, (), ()),
    ("1 lakh 50 thousand", "en", D(150000), None, (), ()),
    ("one lakh", "en", D(100000), None, (), ()),
    ("$1,200", "en", D(1200), None, (), DOLLARS),
    ("US$ 1,200", "en", D(1200), "USD", (), ()),
    ("200 usd", "en", D(200), "USD", (), ()),
    ("USD200", "en", D(200), "USD", (), ()),
    ("500 dollars", "en", D(500), None, (), DOLLARS),
    ("HK$4,500", "en", D(4500), "HKD", (), ()),
    ("Rs. 150000", "en", D(150000), None, (), RUPEES),
    ("Rs 1,50,000/- only", "en", D(150000), None, (), RUPEES),
    ("150000 rupees", "en", D(150000), None, (), RUPEES),
    ("₹50,000", "en", D(50000), "INR", (), ()),
    ("NRs 80,000", "en", D(80000), "NPR", (), ()),
    ("3000 riyal", "en", D(3000), None, (), RIYALS),
    ("QR 3,000", "en", D(3000), "QAR", (), ()),
    ("SR 2500", "en", D(2500), "SAR", (), ()),
    ("1500 dirham", "en", D(1500), "AED", (), ()),
    ("AED 1,500", "en", D(1500), "AED", (), ()),
    ("RM 3,000", "en", D(3000), "MYR", (), ()),
    ("3000 ringgit", "en", D(3000), "MYR", (), ()),
    ("€900", "en", D(900), "EUR", (), ()),
    ("about 2000 QAR", "en", D(2000), "QAR", (), ()),
    ("150.000 KWD", "en", D(150000), "KWD", (D(150),), ()),  # three-decimal currency
    # --- Nepali -------------------------------------------------------------------------------
    ("१५००", "ne", D(1500), None, (), ()),
    ("१,५०,०००", "ne", D(150000), None, (), ()),
    ("रु १,५०,०००", "ne", D(150000), "NPR", (), ()),
    ("रू. १५०००", "ne", D(15000), "NPR", (), ()),
    ("Rs. 150000", "ne", D(150000), "NPR", (), ()),  # a Nepali worker's rupees are NPR
    ("150000 rupiya", "ne", D(150000), "NPR", (), ()),
    ("ने.रु. ५०,०००", "ne", D(50000), "NPR", (), ()),
    ("डेढ लाख", "ne", D(150000), None, (), ()),
    ("डेढ लाख रुपैयाँ", "ne", D(150000), "NPR", (), ()),
    ("२ लाख", "ne", D(200000), None, (), ()),
    ("दुई लाख", "ne", D(200000), None, (), ()),
    ("साढे ३ लाख", "ne", D(350000), None, (), ()),
    ("अढाई लाख", "ne", D(250000), None, (), ()),
    ("सवा लाख", "ne", D(125000), None, (), ()),
    ("५० हजार", "ne", D(50000), None, (), ()),
    ("५० हज़ार", "ne", D(50000), None, (), ()),  # with a nukta
    ("१ लाख ५० हजार", "ne", D(150000), None, (), ()),
    ("1.5 lakh", "ne", D(150000), None, (), ()),
    ("2 karod", "ne", D(20000000), None, (), ()),
    ("3000 रियाल", "ne", D(3000), None, (), RIYALS),
    ("१,५०० कतारी", "ne", None, None, (), ()),  # an unknown word: unreadable (see the errors)
    # --- Bengali ------------------------------------------------------------------------------
    ("৩৫০০০০", "bn", D(350000), None, (), ()),  # no currency named: none guessed
    ("৳50000", "bn", D(50000), "BDT", (), ()),
    ("Tk 50,000", "bn", D(50000), "BDT", (), ()),
    ("Tk. 50,000/=", "bn", D(50000), "BDT", (), ()),
    ("50000 taka", "bn", D(50000), "BDT", (), ()),
    ("৫০ হাজার টাকা", "bn", D(50000), "BDT", (), ()),
    ("৫০ হাজার", "bn", D(50000), None, (), ()),
    ("দেড় লাখ", "bn", D(150000), None, (), ()),
    ("দেড় লাখ টাকা", "bn", D(150000), "BDT", (), ()),
    ("আড়াই লাখ টাকা", "bn", D(250000), "BDT", (), ()),
    ("সাড়ে ৩ লাখ", "bn", D(350000), None, (), ()),
    ("২ লাখ", "bn", D(200000), None, (), ()),
    ("দুই লাখ টাকা", "bn", D(200000), "BDT", (), ()),
    ("১ কোটি", "bn", D(10000000), None, (), ()),
    ("৳ ১,৫০,০০০", "bn", D(150000), "BDT", (), ()),
    ("3000 রিয়াল", "bn", D(3000), None, (), RIYALS),
    ("500 ডলার", "bn", D(500), None, (), DOLLARS),
    # --- Tagalog ------------------------------------------------------------------------------
    ("₱50,000", "tl", D(50000), "PHP", (), ()),
    ("P50,000", "tl", D(50000), "PHP", (), ()),
    ("PHP 50,000.00", "tl", D(50000), "PHP", (), ()),
    ("50,000 pesos", "tl", D(50000), "PHP", (), ()),
    ("50000 piso", "tl", D(50000), "PHP", (), ()),
    ("50 libo", "tl", D(50000), None, (), ()),
    ("50 libong piso", "tl", D(50000), "PHP", (), ()),
    ("apat na libo", "tl", D(4000), None, (), ()),
    ("1.5 milyon", "tl", D(1500000), None, (), ()),
    ("mga 20k", "tl", D(20000), None, (), ()),
    ("1.500", "tl", D(1500), None, (D("1.5"),), ()),
    ("SGD 1,800", "tl", D(1800), "SGD", (), ()),
    # --- Indonesian ---------------------------------------------------------------------------
    ("150.000", "id", D(150000), None, (), ()),
    ("15.000.000", "id", D(15000000), None, (), ()),
    ("Rp 2.500.000", "id", D(2500000), "IDR", (), ()),
    ("Rp2.500.000,-", "id", D(2500000), "IDR", (), ()),
    ("Rp 150.000,00", "id", D(150000), "IDR", (), ()),
    ("Rp15jt", "id", D(15000000), "IDR", (), ()),
    ("15 juta", "id", D(15000000), None, (), ()),
    ("15 juta rupiah", "id", D(15000000), "IDR", (), ()),
    ("2 jt", "id", D(2000000), None, (), ()),
    ("1,5 juta", "id", D(1500000), None, (), ()),
    ("1.5 juta", "id", D(1500000), None, (), ()),
    ("50 ribu", "id", D(50000), None, (), ()),
    ("50rb", "id", D(50000), None, (), ()),
    ("seratus ribu", "id", D(100000), None, (), ()),
    ("5 ratus ribu", "id", D(500000), None, (), ()),
    ("sejuta", "id", D(1000000), None, (), ()),
    ("satu setengah juta", "id", D(1500000), None, (), ()),
    ("setengah juta", "id", D(500000), None, (), ()),
    ("IDR 5.000.000", "id", D(5000000), "IDR", (), ()),
    ("1,500", "id", D(1500), None, (D("1.5"),), ()),  # the comma is the decimal mark here
    ("NT$ 30,000", "id", D(30000), "TWD", (), ()),
    ("HK$ 4.500", "id", D(4500), "HKD", (), ()),
    ("3.000 ringgit", "id", D(3000), "MYR", (), ()),
    ("2 juta 500 ribu", "id", D(2500000), None, (), ()),
]


@pytest.mark.parametrize(("text", "language", "amount", "currency", "alternatives", "candidates"), AMOUNTS)
def test_amounts_as_written(text, language, amount, currency, alternatives, candidates):
    if amount is None:
        with pytest.raises(InvalidInput):
            parse_amount(text, language=language)
        return
    reading = parse_amount(text, language=language)
    assert (reading.amount, reading.currency, reading.alternatives, reading.currency_candidates) == (
        amount,
        currency,
        alternatives,
        candidates,
    )


def test_the_table_covers_five_languages_with_at_least_80_inputs():
    assert len(AMOUNTS) >= 80
    counts = {lang: sum(1 for row in AMOUNTS if row[1] == lang) for lang in ("en", "ne", "bn", "tl", "id")}
    assert min(counts.values()) >= 10, counts


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "amount_unreadable"),
        ("abc", "amount_unreadable"),
        ("fifteen hundred", "amount_unreadable"),
        ("1500 and more", "amount_unreadable"),
        ("1500 2000", "amount_unreadable"),
        ("1500-2000", "amount_unreadable"),
        ("1,5,00", "amount_unreadable"),
        ("1,50000", "amount_unreadable"),  # likely 1,50,000 mistyped: not silently 1.5
        ("lakh", "amount_unreadable"),
        ("50 thousand 2 lakh", "amount_unreadable"),  # parts must get smaller
        ("१,५०० कतारी", "amount_unreadable"),
        ("-500", "amount_not_positive"),
        ("−20", "amount_not_positive"),
        ("0", "amount_not_positive"),
        ("Rs -1500", "amount_not_positive"),
        ("99999999999999", "amount_too_large"),
        ("1500 XYZ", "unknown_currency"),
        ("USD 500 NPR", "amount_currency_conflict"),
        ("Rs 500 taka", "amount_currency_conflict"),
    ],
)
def test_unreadable_amounts_have_codes(text, code):
    with pytest.raises(InvalidInput) as e:
        parse_amount(text, language="ne")
    assert e.value.code == code


def test_unknown_currency_names_the_code():
    with pytest.raises(InvalidInput) as e:
        parse_amount("1500 XYZ")
    assert (e.value.field, e.value.params) == ("currency", {"currency": "XYZ"})


def test_context_currencies_settle_a_shared_name():
    assert parse_amount("Rs 5000", language="en", context_currencies=("INR",)).currency == "INR"
    assert parse_amount("3000 riyal", context_currencies=("QAR", "NPR")).currency == "QAR"
    # two candidates in the context: still asked
    assert parse_amount("$500", context_currencies=("USD", "HKD")).currency_candidates == (
        "USD",
        "HKD",
        "SGD",
        "TWD",
        "AUD",
        "CAD",
    )
    # the context never invents a currency the text did not name
    assert parse_amount("৩৫০০০০", language="bn", context_currencies=("AED",)).currency is None


def test_a_known_currency_drops_implausible_readings():
    # 1.5 NPR is worth less than a dollar: only 1,500 is plausible
    r = parse_amount("1.500 NPR", language="en", on=ON, fx=FX)
    assert (r.amount, r.alternatives) == (D(1500), ())
    # 1.5 USD and 1,500 USD are both plausible: asked back
    r = parse_amount("1.500 USD", language="en", on=ON, fx=FX)
    assert r.readings == (D(1500), D("1.5"))
    # 150,000 KWD is far too much; 150.000 KWD is 150 dinars
    r = parse_amount("150.000 KWD", language="en", on=ON, fx=FX)
    assert (r.amount, r.alternatives) == (D(150), ())


def test_with_currency_reads_again_and_choose_picks_a_reading():
    r = parse_amount("1.500", language="en")
    assert r.is_ambiguous and r.currency is None
    npr = with_currency(r, "NPR", on=ON, fx=FX)
    assert (npr.amount, npr.currency, npr.alternatives) == (D(1500), "NPR", ())
    usd = with_currency(r, "USD", on=ON, fx=FX)
    assert usd.readings == (D(1500), D("1.5"))
    picked = choose(usd, D("1.5"))
    assert (picked.amount, picked.alternatives, picked.currency) == (D("1.5"), (), "USD")
    with pytest.raises(InvalidInput):
        choose(usd, D(7))
    # a chosen currency must be one the text could mean
    assert with_currency(parse_amount("Rs 5000", language="en"), "INR").currency == "INR"
    with pytest.raises(InvalidInput) as e:
        with_currency(parse_amount("Rs 5000", language="en"), "USD")
    assert e.value.code == "amount_currency_conflict"


def test_bounds_per_currency():
    low, high = amount_bounds("NPR", ON, FX)
    assert low == Decimal(138) and high == Decimal(13717421)
    check_amount_bounds(D(1500), "NPR", ON, FX)
    with pytest.raises(InvalidInput) as e:
        check_amount_bounds(D(100), "NPR", ON, FX)
    assert e.value.code == "amount_too_small" and e.value.params["min"] == "138"
    with pytest.raises(InvalidInput) as e:
        check_amount_bounds(D(20000000), "NPR", ON, FX)
    assert e.value.code == "amount_too_large" and e.value.params["currency"] == "NPR"
    assert amount_bounds("KWD", ON, FX)[0] == Decimal("0.31")
    check_amount_bounds(D(5), "XAF", ON, FX)  # no rate: nothing to compare with
    assert amount_bounds("XAF", ON, FX) is None


def test_format_amount_for_buttons():
    assert format_amount(D(150000), "NPR", "ne") == "1,50,000 NPR"
    assert format_amount(D(1500), "IDR", "id") == "1.500 IDR"
    assert format_amount(D("1.5"), None, "en") == "1.5"
    assert format_amount(D(1500), "PHP", "tl") == "1,500 PHP"


def test_a_reading_keeps_what_the_flow_needs():
    r = parse_amount("Rs 5000", language="en")
    assert r == AmountReading(D(5000), None, ("NPR", "INR", "PKR", "LKR"), (), "Rs 5000", "en")
    assert parse_amount("Rs 5000", language="fil").language == "tl"


# Every Unicode decimal digit script: the same number in any of them reads the same.
DIGIT_ZEROS = sorted({ord(c) - int(c) for c in map(chr, range(0x110000)) if c.isdecimal() and int(c) == 0})


def in_script(number: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in number)


@given(
    value=st.integers(min_value=1, max_value=10**9),
    zero=st.sampled_from(DIGIT_ZEROS),
    grouping=st.sampled_from(["plain", "western", "indian"]),
)
def test_every_digit_script_reads_the_same(value, zero, grouping):
    if grouping == "western":
        text = f"{value:,}"
    elif grouping == "indian":
        s = str(value)
        head, tail = s[:-3], s[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        text = ",".join(([head] if head else []) + groups + [tail])
    else:
        text = str(value)
    assert parse_amount(in_script(text, zero), language="ne").amount == Decimal(value)


@given(
    value=st.integers(min_value=1, max_value=10**7), language=st.sampled_from(["en", "ne", "bn", "tl", "id"])
)
def test_a_plain_number_is_itself_in_every_language(value, language):
    assert parse_amount(str(value), language=language).readings == (Decimal(value),)
