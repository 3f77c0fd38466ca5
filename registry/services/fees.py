"""What a fee report says and how it is checked, before anything is stored: the currency table (USD
value of an amount on the day paid), the report's input with its fee lines, and the validation every
channel (bot, admin, API, seed) goes through."""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from registry.errors import InvalidInput
from registry.models.reports import Channel, DatePrecision, FeeCategory
from registry.services import cleantext
from registry.services.countries import is_country, require_currency
from registry.timeutil import today

MAX_AMOUNT_USD = Decimal("100000")  # larger amounts are treated as typing mistakes

# --- currency conversion ----------------------------------------------------------------------


class FxTable:
    def __init__(self, rows: list[tuple[date, str, Decimal]]):
        self._by_cur: dict[str, tuple[list[date], list[Decimal]]] = {}
        for d, cur, rate in sorted(rows):
            dates, rates = self._by_cur.setdefault(cur, ([], []))
            dates.append(d)
            rates.append(rate)

    @classmethod
    def load(cls, path: Path) -> FxTable:
        rows = []
        with open(path, newline="", encoding="utf-8") as f:
            lines = (line for line in f if not line.startswith("#"))
            for r in csv.DictReader(lines):
                rows.append(
                    (date.fromisoformat(r["date"]), r["currency"].upper(), Decimal(r["usd_per_unit"]))
                )
        return cls(rows)

    def currencies(self) -> set[str]:
        return set(self._by_cur)

    def to_usd(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        series = self._by_cur.get(currency)
        if not series:
            return None
        dates, rates = series
        i = bisect_right(dates, on) - 1
        rate = rates[max(i, 0)]
        return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@lru_cache(maxsize=4)
def fx_table(path: str) -> FxTable:
    return FxTable.load(Path(path))


# --- submission --------------------------------------------------------------------------------


@dataclass
class ReportLine:
    """One fee of a report."""

    category: str
    amount: Decimal | str | float
    currency: str


MAX_LINES = 10


@dataclass
class ReportInput:
    category: str
    amount: Decimal | str | float
    currency: str
    paid_on: date | None
    destination_country: str
    # "day", or "month" when the worker gave only a month and year (paid_on: any day of it).
    paid_on_precision: str = DatePrecision.day
    origin_country: str = ""
    recruiter_id: int | None = None
    recruiter_text: str = ""
    channel: str = Channel.telegram
    free_text: str | None = None
    receipt_file_id: str | None = None
    consent: bool = False
    # Several fees paid to one recruiter; empty: one fee, the category/amount/currency above.
    lines: list[ReportLine] = field(default_factory=list)


def parse_amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            "the amount must be a number, e.g. 1500", field="amount", code="amount_not_a_number"
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(
            "the amount must be more than zero",
            field="amount",
            code="amount_too_small",
            params={"min": "0.01"},
        )
    if amount >= Decimal("1e12"):
        raise InvalidInput("the amount is too large", field="amount", code="amount_too_large")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _category(category: str) -> str:
    if category not in FeeCategory.__members__:
        raise InvalidInput(
            f"unknown fee category {category!r}",
            field="category",
            code="unknown_fee_category",
            params={"category": category},
        )
    return category


def _too_large(usd: Decimal | None) -> None:
    if usd is not None and usd > MAX_AMOUNT_USD:
        raise InvalidInput(
            "that amount looks too large; please check it",
            field="amount",
            code="amount_too_large",
            params={"max_usd": str(MAX_AMOUNT_USD)},
        )


@dataclass(frozen=True)
class ValidLine:
    category: str
    amount: Decimal
    currency: str
    amount_usd: Decimal | None


def validate_lines(data: ReportInput, fx: FxTable, *, on: date | None = None) -> list[ValidLine]:
    """The report's fees, each checked and valued in USD on the day paid (today when not known)."""
    given = data.lines or [ReportLine(data.category, data.amount, data.currency)]
    if len(given) > MAX_LINES:
        raise InvalidInput(
            f"at most {MAX_LINES} fees in one report",
            field="lines",
            code="too_many_lines",
            params={"max": MAX_LINES},
        )
    day = data.paid_on or (on or today())
    out = []
    for line in given:
        amount = parse_amount(line.amount)
        currency = require_currency(line.currency)
        usd = fx.to_usd(amount, currency, day)
        _too_large(usd)
        out.append(ValidLine(_category(line.category), amount, currency, usd))
    return out


def total_of(lines: list[ValidLine]) -> tuple[Decimal, str, Decimal | None]:
    """The report's own amount: the sum of its lines in their one currency, else in USD.
    The USD total is unknown (None) when a line has no rate."""
    usd_values = [x.amount_usd for x in lines]
    usd = (
        None
        if any(v is None for v in usd_values)
        else sum((v for v in usd_values if v is not None), Decimal(0))
    )
    currencies = {x.currency for x in lines}
    if len(currencies) == 1:
        return sum((x.amount for x in lines), Decimal(0)), lines[0].currency, usd
    if usd is None:
        return lines[0].amount, lines[0].currency, lines[0].amount_usd
    return usd, "USD", usd


def validate(
    data: ReportInput, fx: FxTable, *, on: date | None = None
) -> tuple[Decimal, str, Decimal | None]:
    _category(data.category)
    amount = parse_amount(data.amount)
    currency = require_currency(data.currency)
    if data.paid_on is not None and data.paid_on > (on or today()):
        raise InvalidInput("the date paid cannot be in the future", field="paid_on", code="date_in_future")
    if data.paid_on is not None and data.paid_on < date(1990, 1, 1):
        raise InvalidInput(
            "the date paid is too far in the past",
            field="paid_on",
            code="date_too_old",
            params={"min": "1990-01-01"},
        )
    if data.paid_on_precision not in DatePrecision.__members__:
        raise InvalidInput(
            f"unknown date precision {data.paid_on_precision!r}",
            field="paid_on",
            code="unknown_date_precision",
            params={"precision": data.paid_on_precision},
        )
    if not is_country(data.destination_country):
        raise InvalidInput("unknown destination country", field="destination_country", code="unknown_country")
    if data.origin_country and not is_country(data.origin_country):
        raise InvalidInput("unknown origin country", field="origin_country", code="unknown_country")
    if not data.consent:
        raise InvalidInput(
            "the report needs the reporter's consent", field="consent", code="consent_required"
        )
    if data.recruiter_id is None and not cleantext.clean_text(data.recruiter_text):
        raise InvalidInput("name the recruiter", field="recruiter", code="recruiter_required")
    usd = fx.to_usd(amount, currency, data.paid_on or (on or today()))
    _too_large(usd)
    return amount, currency, usd
