"""The fees of a report: category -> amount -> currency (asked when the answer names none) -> another
fee? The currency is the worker's: one named in the answer wins; otherwise the worker picks it, from
their home currency and the destination's. Never the recruiter's country's.

Bounds (per currency, from the FX table) are checked when the amount is given, not at the end.
"""

from __future__ import annotations

from decimal import Decimal

from bot.cards import CATEGORIES
from bot.context import BotContext
from bot.services import Draft
from registry.errors import InvalidInput
from registry.parsing.money import check_amount_bounds, format_amount, parse_amount
from registry.services.countries import default_currency
from registry.services.fees import MAX_LINES
from registry.timeutil import today

CURRENCY_BUTTONS = 4


def draft(context: BotContext) -> Draft:
    return context.chat_data.setdefault("draft", Draft())


def offered_currencies(d: Draft, named: tuple[str, ...] = ()) -> list[str]:
    """The currencies offered as buttons: those the answer may mean (e.g. "$", "rupees"), the worker's
    home currency and the destination's first."""
    own = [default_currency(c) for c in (d.origin_country, d.destination_country) if c]
    mine = [c for c in own if c]
    ordered = mine
    if named:
        ordered = [c for c in mine if c in named] + [c for c in named if c not in mine]
    return list(dict.fromkeys(ordered))[:CURRENCY_BUTTONS]


def line_text(context: BotContext, line: dict) -> str:
    _ = context._
    category = _(CATEGORIES.get(line["category"], CATEGORIES["other"]))
    return f"{category}: {format_amount(line['amount'], line['currency'], context.lang)}"


def fee_lines(context: BotContext) -> list[str]:
    return ["• " + line_text(context, line) for line in draft(context).lines]


def amount_problem(context: BotContext, e: InvalidInput) -> str:
    _ = context._
    p = e.params
    if e.code == "amount_too_small" and "min" not in p:
        return _("That amount is too small.")
    if e.code == "amount_too_small":
        return _("That amount is too small. The smallest amount I can take in {currency} is {min}.").format(
            currency=p.get("currency", ""), min=format_amount(Decimal(str(p["min"])), None, context.lang)
        )
    if e.code == "amount_too_large" and "max" in p:
        return _(
            "That amount looks too large. The largest amount I can take in {currency} is {max}. Please check it."
        ).format(
            currency=p.get("currency", ""), max=format_amount(Decimal(str(p["max"])), None, context.lang)
        )
    if e.code == "unknown_currency":
        return _(
            "I do not know the currency “{code}”. Use a 3-letter code like NPR, BDT, PHP, IDR or USD."
        ).format(code=p.get("currency", ""))
    problems = {
        "amount_not_positive": _("The amount must be more than zero."),
        "amount_too_large": _("That amount looks too large. Please check it."),
        "amount_currency_conflict": _("That answer names two currencies. Please name only one."),
    }
    return problems.get(e.code, _("I could not read a number there."))


def read_amount(context: BotContext, text: str, currency: str | None = None):
    """The amount of an answer, in the currency it names or the one chosen; bounds checked.
    Returns the reading (its currency None when it must be asked). Raises InvalidInput."""
    d = draft(context)
    fx, on = context.services.fx, today()
    mine = tuple(offered_currencies(d))
    reading = parse_amount(
        text, language=context.lang, context_currencies=mine, currency=currency, on=on, fx=fx
    )
    if reading.currency is not None:
        check_amount_bounds(reading.amount, reading.currency, on, fx)
    return reading


def add_line(context: BotContext, amount: Decimal, currency: str) -> None:
    d = draft(context)
    d.lines.append({"category": d.category, "amount": amount, "currency": currency})
    d.category, d.amount, d.currency = "", None, ""
    d.extra.pop("amount_text", None)


def can_add_more(context: BotContext) -> bool:
    return len(draft(context).lines) < MAX_LINES
