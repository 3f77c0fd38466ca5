"""The questions of /report, its summary, and the guard of its steps (see ``bot.handlers.report``)."""

from __future__ import annotations

import functools
from datetime import timedelta
from decimal import Decimal

from telegram import Update

from bot.cards import CATEGORIES, country
from bot.context import BotContext
from bot.handlers.common import END, button, keyboard, reply
from bot.handlers.report_fees import can_add_more, draft, fee_lines, line_text, offered_currencies
from bot.i18n import HOME_COUNTRY
from bot.services import Draft
from registry.parsing.dates import format_date_reading
from registry.parsing.money import format_amount
from registry.timeutil import utcnow

RECRUITER, ORIGIN, DESTINATION, CATEGORY, AMOUNT, CURRENCY, MORE, DATE, PHOTO, CONSENT, READING = range(11)
# The step "Back" returns to from each step.
PREVIOUS = {
    ORIGIN: RECRUITER,
    DESTINATION: ORIGIN,
    CATEGORY: DESTINATION,
    AMOUNT: CATEGORY,
    CURRENCY: AMOUNT,
    MORE: AMOUNT,
    DATE: MORE,
    PHOTO: DATE,
    CONSENT: PHOTO,
    READING: AMOUNT,
}
# Where most workers who use the bot come from and are sent.
ORIGINS = ["NP", "BD", "PH", "ID", "IN", "LK", "PK", "MM", "VN", "KH"]
DESTINATIONS = ["QA", "SA", "AE", "KW", "OM", "BH", "MY", "JP", "KR", "SG"]
DRAFT_IDLE = timedelta(hours=24)  # an unfinished report idle this long ends


def draft_of(context: BotContext) -> Draft:
    return draft(context)


def touch(context: BotContext) -> None:
    context.chat_data["touched"] = utcnow()


def nav(context: BotContext, back: bool = True) -> list:
    _ = context._
    row = [button(_("« Back"), "r:back")] if back else []
    return row + [button(_("✖ Cancel"), "x")]


def _grid(items: list, width: int = 2) -> list[list]:
    return [items[i : i + width] for i in range(0, len(items), width)]


# --- questions -----------------------------------------------------------------------------------


async def ask(update: Update, context: BotContext, step: int, problem: str = "") -> int:
    """Ask a step's question. `problem`: what to say first (why the answer was refused, or a notice),
    in a new message under the worker's answer."""
    context.chat_data["step"] = step
    context.chat_data.pop("paused", None)
    touch(context)
    text, markup = QUESTIONS[step](context)
    if problem:
        # Wrong input: explain and ask again, as a new message under the worker's answer.
        await update.effective_chat.send_message(problem + "\n\n" + text, reply_markup=markup)
    else:
        await reply(update, text, markup)
    return step


def q_recruiter(context: BotContext):
    _ = context._
    return (
        _("Which recruiter or agent did you pay? Send its name, licence number or FairRecruit ID."),
        keyboard(nav(context, back=False)),
    )


def q_origin(context: BotContext):
    _ = context._
    home = HOME_COUNTRY.get(context.lang)
    codes = list(dict.fromkeys(([home] if home else []) + ORIGINS))[:10]
    items = [button(country(c, context.lang), f"r:org:{c}") for c in codes]
    return (
        _("Which country are you from? Tap it, or type the country's name."),
        keyboard(*_grid(items), nav(context)),
    )


def q_destination(context: BotContext):
    _ = context._
    d = draft_of(context)
    codes = list(dict.fromkeys([dest for _o, dest in d.corridors] + DESTINATIONS))[:10]
    items = [button(country(c, context.lang), f"r:dst:{c}") for c in codes]
    return (
        _("In which country is (or was) the job? Tap it, or type the country's name."),
        keyboard(*_grid(items), nav(context)),
    )


def q_category(context: BotContext):
    _ = context._
    items = [button(_(label), f"r:cat:{key}") for key, label in CATEGORIES.items()]
    d = draft_of(context)
    if d.lines:
        text = _("What was the next fee for?")
    else:
        text = (
            _("Paying: {recruiter}.").format(recruiter=d.recruiter_name) + "\n" + _("What was the fee for?")
        )
    return text, keyboard(*_grid(items), nav(context))


def q_amount(context: BotContext):
    _ = context._
    return (
        _(
            "How much did you pay? Send the number, for example 1500, or the number and the currency, for example 200 USD."
        ),
        keyboard(nav(context)),
    )


def q_currency(context: BotContext):
    _ = context._
    d = draft_of(context)
    named = tuple(d.extra.get("currency_candidates", ()))
    items = [button(code, f"r:cur:{code}") for code in offered_currencies(d, named)]
    return (
        _(
            "In which currency did you pay? Tap it, or send the amount again with its currency, for example 200 USD."
        ),
        keyboard(items, nav(context)),
    )


def q_reading(context: BotContext):
    """An amount that reads two ways ("1.500": one and a half, or fifteen hundred): the worker picks."""
    _ = context._
    d = draft_of(context)
    currency = d.extra.get("reading_currency", "")
    items = [
        button(format_amount(Decimal(x), currency, context.lang), f"r:amt:{i}")
        for i, x in enumerate(d.extra.get("readings", []))
    ]
    return (
        _("That amount can be read in more than one way. Tap the amount you paid."),
        keyboard(*_grid(items), nav(context)),
    )


def q_more(context: BotContext):
    _ = context._
    d = draft_of(context)
    lines = [_("Added: {fee}.").format(fee=line_text(context, d.lines[-1]))] if d.lines else []
    rows = []
    if can_add_more(context):
        lines.append(
            _("Did you pay this recruiter another fee, for example for the medical check or the visa?")
        )
        rows.append([button(_("➕ Add another fee"), "r:more")])
    rows.append([button(_("No, that is all"), "r:done")])
    return "\n\n".join(lines), keyboard(*rows, nav(context))


def q_date(context: BotContext):
    _ = context._
    return (
        _("When did you pay? Send the date, for example 15.03.2024."),
        keyboard([button(_("Today"), "r:today"), button(_("I don't remember"), "r:nodate")], nav(context)),
    )


def q_photo(context: BotContext):
    _ = context._
    return (
        _("Do you have a receipt? You can send a photo or a PDF of it now. This is optional."),
        keyboard([button(_("Skip"), "r:skip")], nav(context)),
    )


def summary(context: BotContext) -> str:
    _ = context._
    d = draft_of(context)
    lines = [
        _("Please check your report:"),
        "",
        _("Recruiter: {name}").format(name=d.recruiter_name),
        _("You are from: {country}").format(country=country(d.origin_country, context.lang)),
        _("Job in: {country}").format(country=country(d.destination_country, context.lang)),
        _("Fees you paid:"),
        *fee_lines(context),
        _("Paid on: {date}").format(
            date=format_date_reading(d.paid_on, d.paid_on_precision, context.lang)
            if d.paid_on
            else _("not known")
        ),
        _("Receipt: {answer}").format(answer=_("yes") if d.receipt_file_id else _("no")),
        "",
        _("We keep this report to check the recruiter. We do not keep your name or phone number. Send it?"),
    ]
    return "\n".join(lines)


def q_consent(context: BotContext):
    _ = context._
    return summary(context), keyboard(
        [button(_("✅ Yes, send"), "rc:yes")], [button(_("No, do not send"), "rc:no")], nav(context)
    )


QUESTIONS = {
    RECRUITER: q_recruiter,
    ORIGIN: q_origin,
    DESTINATION: q_destination,
    CATEGORY: q_category,
    AMOUNT: q_amount,
    CURRENCY: q_currency,
    MORE: q_more,
    DATE: q_date,
    PHOTO: q_photo,
    CONSENT: q_consent,
    READING: q_reading,
}


def needs_draft(handler):
    """A step's handler, run only while the chat has a draft; else the flow was lost (e.g. it ended
    after 24 hours): say what to do next and end."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext):
        if "draft" not in context.chat_data:
            await lost(update, context)
            return END
        return await handler(update, context)

    return guarded


async def lost(update: Update, context: BotContext) -> None:
    """A report button or answer whose flow no longer exists (ended, expired, or from an old message)."""
    _ = context._
    text = _("This report is no longer open. Nothing was saved from it. Send /report to start a new one.")
    if update.callback_query is not None:
        await reply(update, text, edit=False)
    else:
        await update.effective_chat.send_message(text)
