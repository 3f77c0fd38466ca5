"""/report: recruiter -> fee category -> amount and currency -> date paid -> destination -> receipt
photo (optional) -> consent -> case code. Back and Cancel at every step.

The report is stored once: its submission key comes from the chat's pseudonym and the message whose
button gave consent, so a repeated update or a second tap finds the first report. The case code is
sent only after the commit.
"""

from __future__ import annotations

import logging

from babel.numbers import format_decimal
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.cards import CATEGORIES, CLDR, country
from bot.context import BotContext
from bot.handlers.common import END, button, cancel, conversation, interrupt, keyboard, reply
from bot.i18n import HOME_COUNTRY
from bot.services import Draft
from registry.errors import InvalidInput
from registry.parsing.dates import format_date_reading, parse_date
from registry.parsing.money import check_amount_bounds, parse_amount, with_currency
from registry.services.countries import default_currency, is_country, match_country
from registry.services.reports import LimitReached
from registry.timeutil import today

log = logging.getLogger("bot.report")

RECRUITER, CATEGORY, AMOUNT, DATE, DESTINATION, PHOTO, CONSENT = range(7)
ORDER = [RECRUITER, CATEGORY, AMOUNT, DATE, DESTINATION, PHOTO, CONSENT]
# Where most workers who use the bot are sent; the recruiter's own corridors come first.
DESTINATIONS = ["QA", "SA", "AE", "KW", "OM", "BH", "MY", "JP", "KR", "SG"]


def _draft(context: BotContext) -> Draft:
    return context.chat_data.setdefault("draft", Draft())


def nav(context: BotContext, back: bool = True) -> list:
    _ = context._
    row = [button(_("« Back"), "r:back")] if back else []
    return row + [button(_("✖ Cancel"), "x")]


# --- questions -----------------------------------------------------------------------------------


async def ask(update: Update, context: BotContext, step: int, problem: str = "") -> int:
    context.chat_data["step"] = step
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


def q_category(context: BotContext):
    _ = context._
    items = [button(_(label), f"r:cat:{key}") for key, label in CATEGORIES.items()]
    rows = [items[i : i + 2] for i in range(0, len(items), 2)]
    d = _draft(context)
    return (
        _("Paying: {recruiter}.").format(recruiter=d.recruiter_name) + "\n" + _("What was the fee for?"),
        keyboard(*rows, nav(context)),
    )


def q_amount(context: BotContext):
    _ = context._
    d = _draft(context)
    cur = d.currency or (default_currency(d.origin_country) if d.origin_country else None)
    if cur:
        text = _(
            "How much did you pay? Send the number, for example 1500. I will count it in {currency}. For another currency add its code, for example 200 USD."
        ).format(currency=cur)
    else:
        text = _("How much did you pay? Send the number and the currency, for example 1500 NPR or 200 USD.")
    return text, keyboard(nav(context))


def q_date(context: BotContext):
    _ = context._
    return (
        _("When did you pay? Send the date, for example 15.03.2024."),
        keyboard([button(_("Today"), "r:today"), button(_("I don't remember"), "r:nodate")], nav(context)),
    )


def q_destination(context: BotContext):
    _ = context._
    d = _draft(context)
    codes = list(dict.fromkeys([dest for _o, dest in d.corridors] + DESTINATIONS))[:10]
    items = [button(country(c, context.lang), f"r:dst:{c}") for c in codes]
    rows = [items[i : i + 2] for i in range(0, len(items), 2)]
    return (
        _("In which country is (or was) the job? Tap it, or type the country's name."),
        keyboard(*rows, nav(context)),
    )


def q_photo(context: BotContext):
    _ = context._
    return (
        _("Do you have a receipt? You can send a photo of it now. This is optional."),
        keyboard([button(_("Skip"), "r:skip")], nav(context)),
    )


def summary(context: BotContext) -> str:
    _ = context._
    d = _draft(context)
    amount = format_decimal(d.amount, locale=CLDR.get(context.lang, "en")) if d.amount is not None else "?"
    lines = [
        _("Please check your report:"),
        "",
        _("Recruiter: {name}").format(name=d.recruiter_name),
        _("Fee: {category}").format(category=_(CATEGORIES.get(d.category, CATEGORIES["other"]))),
        _("Amount: {amount} {currency}").format(amount=amount, currency=d.currency),
        _("Paid on: {date}").format(
            date=format_date_reading(d.paid_on, d.paid_on_precision, context.lang)
            if d.paid_on
            else _("not known")
        ),
        _("Job in: {country}").format(country=country(d.destination_country, context.lang)),
        _("Receipt photo: {answer}").format(answer=_("yes") if d.receipt_file_id else _("no")),
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
    CATEGORY: q_category,
    AMOUNT: q_amount,
    DATE: q_date,
    DESTINATION: q_destination,
    PHOTO: q_photo,
    CONSENT: q_consent,
}


# --- entry ---------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> int:
    context.chat_data["draft"] = Draft()
    return await ask(update, context, RECRUITER)


async def start_for(update: Update, context: BotContext) -> int:
    """'Report a fee' under a recruiter's card: the recruiter is already known."""
    public_id = update.callback_query.data.split(":", 1)[1]
    card = await context.run(context.services.card, public_id)
    context.chat_data["draft"] = Draft()
    if card is None:
        return await ask(update, context, RECRUITER)
    _set_recruiter(context, card)
    return await ask(update, context, CATEGORY)


def _set_recruiter(context: BotContext, card) -> None:
    d = _draft(context)
    d.recruiter_id, d.recruiter_text, d.recruiter_name = card.id, "", card.name
    d.origin_country, d.corridors = card.country, card.corridors
    d.currency = ""


# --- answers -------------------------------------------------------------------------------------


async def recruiter_text(update: Update, context: BotContext) -> int:
    _ = context._
    text = " ".join(update.effective_message.text.split())[:200]
    d = _draft(context)
    d.extra["typed"] = text
    cards = await context.run(context.services.search, text)
    rows = [[button(f"{c.name} ({c.country})"[:60], f"r:rec:{c.public_id}")] for c in cards]
    rows.append([button(_("Use “{name}” as I wrote it").format(name=text[:30]), "r:free")])
    if cards:
        msg = _("Is it one of these? If not, use the name as you wrote it, or type it again.")
    else:
        msg = _(
            "“{name}” is not in the registry. You can still report it: use the name as you wrote it, or type it again."
        ).format(name=text)
    context.chat_data["step"] = RECRUITER
    await update.effective_chat.send_message(msg, reply_markup=keyboard(*rows, nav(context, back=False)))
    return RECRUITER


async def recruiter_pick(update: Update, context: BotContext) -> int:
    public_id = update.callback_query.data.split(":", 2)[2]
    card = await context.run(context.services.card, public_id)
    if card is None:
        return await ask(update, context, RECRUITER)
    _set_recruiter(context, card)
    return await ask(update, context, CATEGORY)


async def recruiter_free(update: Update, context: BotContext) -> int:
    d = _draft(context)
    typed = d.extra.get("typed", "")
    if not typed:
        return await ask(update, context, RECRUITER)
    d.recruiter_id, d.recruiter_text, d.recruiter_name = None, typed, typed
    d.origin_country = HOME_COUNTRY.get(context.lang, "")
    d.corridors, d.currency = (), ""
    return await ask(update, context, CATEGORY)


async def category_pick(update: Update, context: BotContext) -> int:
    key = update.callback_query.data.split(":", 2)[2]
    if key not in CATEGORIES:
        return await ask(update, context, CATEGORY)
    _draft(context).category = key
    return await ask(update, context, AMOUNT)


async def amount_text(update: Update, context: BotContext) -> int:
    _ = context._
    d = _draft(context)
    default = d.currency or (default_currency(d.origin_country) if d.origin_country else None)
    fx, on = context.services.fx, today()
    problems = {
        "amount_not_positive": _("The amount must be more than zero."),
        "amount_too_large": _("That amount looks too large. Please check it."),
        "amount_currency_conflict": _("Please add the currency."),
    }
    try:
        reading = parse_amount(
            update.effective_message.text,
            language=context.lang,
            context_currencies=(default,) if default else (),
            on=on,
            fx=fx,
        )
        if reading.currency is None and not reading.currency_candidates and default:
            reading = with_currency(reading, default, on=on, fx=fx)
    except InvalidInput as e:
        if e.code == "unknown_currency":
            problem = _(
                "I do not know the currency “{code}”. Use a 3-letter code like NPR, BDT, PHP, IDR or USD."
            ).format(code=e.params.get("currency", ""))
        else:
            problem = problems.get(e.code, _("I could not read a number there."))
        return await ask(update, context, AMOUNT, problem)
    if reading.currency is None:
        return await ask(update, context, AMOUNT, _("Please add the currency."))
    try:
        check_amount_bounds(reading.amount, reading.currency, on, fx)
    except InvalidInput as e:
        if e.code == "amount_too_large":  # a very small amount is kept as written
            return await ask(update, context, AMOUNT, problems[e.code])
    d.amount, d.currency = reading.amount, reading.currency
    return await ask(update, context, DATE)


async def date_text(update: Update, context: BotContext) -> int:
    _ = context._
    try:
        paid = parse_date(update.effective_message.text, today=today(), language=context.lang)
    except InvalidInput as e:
        problems = {
            "date_in_future": _("That date is in the future."),
            "date_too_old": _("That date is too long ago."),
        }
        return await ask(update, context, DATE, problems.get(e.code, _("I could not read that date.")))
    d = _draft(context)
    d.paid_on, d.paid_on_precision = paid.value, paid.precision
    return await ask(update, context, DESTINATION)


async def date_button(update: Update, context: BotContext) -> int:
    d = _draft(context)
    d.paid_on = today() if update.callback_query.data == "r:today" else None
    d.paid_on_precision = "day"
    return await ask(update, context, DESTINATION)


async def destination_pick(update: Update, context: BotContext) -> int:
    code = update.callback_query.data.split(":", 2)[2]
    if not is_country(code):
        return await ask(update, context, DESTINATION)
    _draft(context).destination_country = code
    return await ask(update, context, PHOTO)


async def destination_text(update: Update, context: BotContext) -> int:
    _ = context._
    code = match_country(update.effective_message.text, context.lang)
    if code is None:
        return await ask(
            update,
            context,
            DESTINATION,
            _("I do not know that country. Tap a button, or write its name, for example Qatar."),
        )
    _draft(context).destination_country = code
    return await ask(update, context, PHOTO)


async def photo(update: Update, context: BotContext) -> int:
    msg = update.effective_message
    file_id = msg.photo[-1].file_id if msg.photo else msg.document.file_id
    _draft(context).receipt_file_id = file_id
    return await ask(update, context, CONSENT)


async def photo_skip(update: Update, context: BotContext) -> int:
    _draft(context).receipt_file_id = None
    return await ask(update, context, CONSENT)


async def consent_no(update: Update, context: BotContext) -> int:
    return await cancel(update, context)


def _thanks(context: BotContext, code: str) -> str:
    _ = context._
    return "\n\n".join(
        [
            _("✅ Thank you. Your report is saved."),
            _(
                "Your case code is {code}. Keep it: with /mycases you can see what happens to your case."
            ).format(code=code),
            _("We will send you a message here when your report has been decided."),
            _("You did the right thing. No one will know it was you."),
        ]
    )


async def consent_yes(update: Update, context: BotContext) -> int | None:
    _ = context._
    query = update.callback_query
    chat_id = update.effective_chat.id
    key = context.services.submission_key(chat_id, f"consent:{query.message.message_id}")
    try:
        code, _created = await context.run(
            context.services.submit, chat_id, _draft(context), key, context.lang
        )
    except LimitReached:
        context.chat_data.pop("draft", None)
        await reply(
            update, _("You have sent many reports today. Thank you! Please send the next one tomorrow.")
        )
        return END
    except InvalidInput as e:
        log.warning("report refused on field %s", e.field)
        context.chat_data.pop("draft", None)
        await reply(update, _("Something in this report is not right. Please start again with /report."))
        return END
    except SQLAlchemyError as e:
        log.error("report not saved: %s", type(e).__name__)
        text = _(
            "Sorry, we cannot save your report right now. Nothing was saved. Please try again in a few minutes: tap “Yes, send” again."
        )
        await reply(update, text + "\n\n" + summary(context), q_consent(context)[1])
        return None  # stay at the consent step; the answers are kept
    context.chat_data.pop("draft", None)
    context.chat_data.pop("step", None)
    await reply(update, _thanks(context, code))
    return END


async def consent_stale(update: Update, context: BotContext) -> None:
    """A consent button outside the flow: a repeated update or a second tap. Never a second report."""
    _ = context._
    query = update.callback_query
    if query.data == "rc:yes" and query.message is not None:
        key = context.services.submission_key(update.effective_chat.id, f"consent:{query.message.message_id}")
        code = await context.run(context.services.submitted, key)
        if code:
            await reply(update, _thanks(context, code))
            return
    await query.answer(_("This button is no longer active."))


async def back(update: Update, context: BotContext) -> int:
    step = context.chat_data.get("step", RECRUITER)
    i = ORDER.index(step) if step in ORDER else 0
    return await ask(update, context, ORDER[max(i - 1, 0)])


async def wrong(update: Update, context: BotContext) -> int:
    """Anything the current step cannot use: explain briefly and ask the same question again."""
    _ = context._
    step = context.chat_data.get("step", RECRUITER)
    msg = update.effective_message
    if msg is not None and msg.sticker:
        problem = _("Sorry, I cannot read stickers.")
    elif step == AMOUNT:
        problem = _("I could not read a number there.")
    elif step == DATE:
        problem = _("I could not read that date.")
    elif step == PHOTO:
        problem = _("Please send a photo of the receipt, or tap Skip.")
    elif step in (CATEGORY, CONSENT):
        problem = _("Please tap one of the buttons.")
    else:
        problem = _("Please send text.")
    if update.callback_query is not None:
        await update.callback_query.answer()
    return await ask(update, context, step, problem)


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    return [
        conversation(
            entry_points=[
                CommandHandler("report", start),
                CallbackQueryHandler(start_for, pattern=r"^rep:RA-[0-9A-Z]{5}$"),
            ],
            states={
                RECRUITER: [
                    MessageHandler(text, recruiter_text),
                    CallbackQueryHandler(recruiter_pick, pattern=r"^r:rec:RA-[0-9A-Z]{5}$"),
                    CallbackQueryHandler(recruiter_free, pattern=r"^r:free$"),
                ],
                CATEGORY: [CallbackQueryHandler(category_pick, pattern=r"^r:cat:\w+$")],
                AMOUNT: [MessageHandler(text, amount_text)],
                DATE: [
                    MessageHandler(text, date_text),
                    CallbackQueryHandler(date_button, pattern=r"^r:(today|nodate)$"),
                ],
                DESTINATION: [
                    CallbackQueryHandler(destination_pick, pattern=r"^r:dst:[A-Z]{2}$"),
                    MessageHandler(text, destination_text),
                ],
                PHOTO: [
                    MessageHandler(filters.PHOTO | filters.Document.IMAGE, photo),
                    CallbackQueryHandler(photo_skip, pattern=r"^r:skip$"),
                ],
                CONSENT: [
                    CallbackQueryHandler(consent_yes, pattern=r"^rc:yes$"),
                    CallbackQueryHandler(consent_no, pattern=r"^rc:no$"),
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, pattern=r"^x$"),
                CallbackQueryHandler(back, pattern=r"^r:back$"),
                MessageHandler(filters.COMMAND, interrupt),
                MessageHandler(filters.ALL, wrong),
                CallbackQueryHandler(wrong, pattern=r"^(r:|rc:)"),
            ],
            name="report",
        ),
        CallbackQueryHandler(consent_stale, pattern=r"^rc:(yes|no)$"),
    ]
