"""/report: recruiter -> the worker's country (asked once per chat) -> destination -> fees (category,
amount, currency; one or more) -> date paid -> receipt (photo or PDF, optional) -> consent -> case code.
Back and Cancel at every step.

The daily limit is told before the first question. The draft and the step are kept in the registry
database (``bot.persistence``): a restart or another bot process continues it. A command sent in the
middle is answered, then the worker may continue or drop the draft. A draft idle for 24 hours ends
with a message (``expire_drafts``).

The report is stored once: its submission key comes from the chat's pseudonym and the message whose
button gave consent, so a repeated update or a second tap finds the first report. The case code is
sent only after the commit.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.cards import CATEGORIES, country
from bot.context import BotContext
from bot.handlers.common import END, button, cancel, conversation, keyboard, reply
from bot.handlers.report_drafts import pause
from bot.handlers.report_fees import add_line, amount_problem, can_add_more, read_amount
from bot.handlers.report_questions import (
    AMOUNT,
    CATEGORY,
    CONSENT,
    CURRENCY,
    DATE,
    DESTINATION,
    MORE,
    ORIGIN,
    PHOTO,
    PREVIOUS,
    QUESTIONS,
    READING,
    RECRUITER,
    ask,
    draft_of,
    lost,
    nav,
    needs_draft,
    q_consent,
    summary,
    touch,
)
from bot.services import Draft
from registry.errors import InvalidInput
from registry.parsing.dates import parse_date
from registry.services import phrases
from registry.services.countries import is_country, match_country
from registry.services.reports import LimitReached
from registry.timeutil import today

log = logging.getLogger("bot.report")

# --- entry ---------------------------------------------------------------------------------------


async def _opening(update: Update, context: BotContext) -> str | None:
    """Before any question: the daily limit. Returns the sentence that tells it (shown above the first
    question), or None when no report is left today (then that is said and nothing is asked)."""
    _ = context._
    left = await context.run(context.services.reports_left, update.effective_chat.id)
    if left <= 0:
        context.chat_data.pop("draft", None)
        await reply(
            update, _("You have sent many reports today. Thank you! Please send the next one tomorrow.")
        )
        return None
    limit = context.services.settings.reports_per_chat_per_day
    context.chat_data["draft"] = Draft()
    return _("You can send up to {limit} reports a day. Reports left today: {left}.").format(
        limit=limit, left=left
    )


async def start(update: Update, context: BotContext) -> int:
    notice = await _opening(update, context)
    if notice is None:
        return END
    return await ask(update, context, RECRUITER, notice)


async def start_for(update: Update, context: BotContext) -> int:
    """'Report a fee' under a recruiter's card: the recruiter is already known."""
    public_id = update.callback_query.data.split(":", 1)[1]
    card = await context.lookups.card(public_id)
    notice = await _opening(update, context)
    if notice is None:
        return END
    await update.callback_query.answer()  # the question comes as a new message, under the card
    if card is None:
        return await ask(update, context, RECRUITER, notice)
    _set_recruiter(context, card)
    return await _after_recruiter(update, context, notice)


def _set_recruiter(context: BotContext, card) -> None:
    d = draft_of(context)
    d.recruiter_id, d.recruiter_text, d.recruiter_name = card.id, "", card.name
    d.corridors = card.corridors


async def _after_recruiter(update: Update, context: BotContext, notice: str = "") -> int:
    """The worker's country is asked once in a chat; an earlier answer is used again."""
    d = draft_of(context)
    known = context.chat_data.get("origin")
    if not known:
        known = await context.run(context.services.origin, update.effective_chat.id)
    if known and is_country(known):
        context.chat_data["origin"] = known
        d.origin_country = known
        return await ask(update, context, DESTINATION, notice)
    return await ask(update, context, ORIGIN, notice)


async def resume(update: Update, context: BotContext) -> int:
    """'Continue my report' after a command sent in the middle of it."""
    if "draft" not in context.chat_data:
        await lost(update, context)
        return END
    step = context.chat_data.get("step", RECRUITER)
    return await ask(update, context, step if step in QUESTIONS else RECRUITER)


async def drop(update: Update, context: BotContext) -> int:
    """'Cancel the report' after a command sent in the middle of it."""
    context.chat_data.pop("paused", None)
    return await cancel(update, context)


# --- answers -------------------------------------------------------------------------------------


@needs_draft
async def recruiter_text(update: Update, context: BotContext) -> int:
    _ = context._
    text = " ".join(update.effective_message.text.split())[:200]
    if phrases.is_help(text):  # "hello", "thanks", "menu": not a name to report
        context.chat_data["step"] = RECRUITER
        touch(context)
        await update.effective_chat.send_message(
            _("That is not a recruiter's name. Type the name of the agency you paid (or /cancel).")
        )
        return RECRUITER
    d = draft_of(context)
    d.extra["typed"] = text
    cards = await context.lookups.search(text)
    rows = [
        [button(f"{c.name} ({country(c.country, context.lang)})"[:60], f"r:rec:{c.public_id}")] for c in cards
    ]
    rows.append([button(_("Use “{name}” as I wrote it").format(name=text[:30]), "r:free")])
    if cards:
        msg = _("Is it one of these? If not, use the name as you wrote it, or type it again.")
    else:
        msg = _(
            "“{name}” is not in the registry. You can still report it: use the name as you wrote it, or type it again."
        ).format(name=text)
    context.chat_data["step"] = RECRUITER
    touch(context)
    await update.effective_chat.send_message(msg, reply_markup=keyboard(*rows, nav(context, back=False)))
    return RECRUITER


@needs_draft
async def recruiter_pick(update: Update, context: BotContext) -> int:
    public_id = update.callback_query.data.split(":", 2)[2]
    card = await context.lookups.card(public_id)
    if card is None:
        return await ask(update, context, RECRUITER)
    _set_recruiter(context, card)
    return await _after_recruiter(update, context)


@needs_draft
async def recruiter_free(update: Update, context: BotContext) -> int:
    d = draft_of(context)
    typed = d.extra.get("typed", "")
    if not typed:
        return await ask(update, context, RECRUITER)
    d.recruiter_id, d.recruiter_text, d.recruiter_name = None, typed, typed
    d.corridors = ()
    return await _after_recruiter(update, context)


async def _set_origin(update: Update, context: BotContext, code: str) -> int:
    draft_of(context).origin_country = code
    # Asked once: kept with the chat's pseudonym, like its language.
    await context.run(context.services.set_origin, update.effective_chat.id, code, context.lang)
    context.chat_data["origin"] = code
    return await ask(update, context, DESTINATION)


@needs_draft
async def origin_pick(update: Update, context: BotContext) -> int:
    code = update.callback_query.data.split(":", 2)[2]
    if not is_country(code):
        return await ask(update, context, ORIGIN)
    return await _set_origin(update, context, code)


@needs_draft
async def origin_text(update: Update, context: BotContext) -> int:
    _ = context._
    code = match_country(update.effective_message.text, context.lang)
    if code is None:
        return await ask(
            update,
            context,
            ORIGIN,
            _("I do not know that country. Tap a button, or write its name, for example Nepal."),
        )
    return await _set_origin(update, context, code)


@needs_draft
async def destination_pick(update: Update, context: BotContext) -> int:
    code = update.callback_query.data.split(":", 2)[2]
    if not is_country(code):
        return await ask(update, context, DESTINATION)
    draft_of(context).destination_country = code
    return await ask(update, context, CATEGORY)


@needs_draft
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
    draft_of(context).destination_country = code
    return await ask(update, context, CATEGORY)


@needs_draft
async def category_pick(update: Update, context: BotContext) -> int:
    key = update.callback_query.data.split(":", 2)[2]
    if key not in CATEGORIES:
        return await ask(update, context, CATEGORY)
    draft_of(context).category = key
    return await ask(update, context, AMOUNT)


@needs_draft
async def amount_text(update: Update, context: BotContext) -> int:
    d = draft_of(context)
    text = update.effective_message.text
    try:
        reading = read_amount(context, text)
    except InvalidInput as e:
        return await ask(update, context, AMOUNT, amount_problem(context, e))
    if reading.currency is None:
        d.extra["amount_text"] = text
        d.extra["currency_candidates"] = list(reading.currency_candidates)
        return await ask(update, context, CURRENCY)
    return await _take(update, context, reading)


async def _take(update: Update, context: BotContext, reading) -> int:
    """The amount read, in its currency: a fee line, unless it reads two ways (then asked)."""
    d = draft_of(context)
    d.extra.pop("currency_candidates", None)
    if reading.is_ambiguous:
        d.extra["readings"] = [str(x) for x in reading.readings]
        d.extra["reading_currency"] = reading.currency
        return await ask(update, context, READING)
    add_line(context, reading.amount, reading.currency)
    return await ask(update, context, MORE)


@needs_draft
async def reading_pick(update: Update, context: BotContext) -> int:
    d = draft_of(context)
    readings = d.extra.get("readings", [])
    i = int(update.callback_query.data.split(":", 2)[2])
    currency = d.extra.get("reading_currency")
    if i >= len(readings) or not currency:
        return await ask(update, context, AMOUNT)
    d.extra.pop("readings", None)
    d.extra.pop("reading_currency", None)
    add_line(context, Decimal(readings[i]), currency)
    return await ask(update, context, MORE)


@needs_draft
async def currency_pick(update: Update, context: BotContext) -> int:
    d = draft_of(context)
    code = update.callback_query.data.split(":", 2)[2]
    text = d.extra.get("amount_text")
    if not text:
        return await ask(update, context, AMOUNT)
    try:
        reading = read_amount(context, text, currency=code)
    except InvalidInput as e:
        return await ask(update, context, AMOUNT, amount_problem(context, e))
    return await _take(update, context, reading)


@needs_draft
async def more_fees(update: Update, context: BotContext) -> int:
    if not can_add_more(context):
        return await ask(update, context, MORE)
    return await ask(update, context, CATEGORY)


@needs_draft
async def fees_done(update: Update, context: BotContext) -> int:
    if not draft_of(context).lines:
        return await ask(update, context, CATEGORY)
    return await ask(update, context, DATE)


@needs_draft
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
    d = draft_of(context)
    d.paid_on, d.paid_on_precision = paid.value, paid.precision
    return await ask(update, context, PHOTO)


@needs_draft
async def date_button(update: Update, context: BotContext) -> int:
    d = draft_of(context)
    d.paid_on = today() if update.callback_query.data == "r:today" else None
    d.paid_on_precision = "day"
    return await ask(update, context, PHOTO)


@needs_draft
async def photo(update: Update, context: BotContext) -> int:
    msg = update.effective_message
    file_id = msg.photo[-1].file_id if msg.photo else msg.document.file_id
    draft_of(context).receipt_file_id = file_id
    return await ask(update, context, CONSENT)


@needs_draft
async def photo_skip(update: Update, context: BotContext) -> int:
    draft_of(context).receipt_file_id = None
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
    if "draft" not in context.chat_data:  # already sent (a second tap), or the draft ended
        await consent_stale(update, context)
        return END
    query = update.callback_query
    chat_id = update.effective_chat.id
    key = context.services.submission_key(chat_id, f"consent:{query.message.message_id}")
    try:
        code, _created = await context.run(
            context.services.submit, chat_id, draft_of(context), key, context.lang
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
    await lost(update, context)


async def back(update: Update, context: BotContext) -> int:
    if "draft" not in context.chat_data:
        await lost(update, context)
        return END
    step = context.chat_data.get("step", RECRUITER)
    d = draft_of(context)
    if step == MORE and d.lines:
        # Back from "another fee?": the last fee's amount is asked again.
        last = d.lines.pop()
        d.category = last["category"]
        return await ask(update, context, AMOUNT)
    if step == CATEGORY and d.lines:
        return await ask(update, context, MORE)
    return await ask(update, context, PREVIOUS.get(step, RECRUITER))


async def wrong(update: Update, context: BotContext) -> int:
    """Anything the current step cannot use: explain briefly and ask the same question again."""
    _ = context._
    if "draft" not in context.chat_data:
        await lost(update, context)
        return END
    step = context.chat_data.get("step", RECRUITER)
    msg = update.effective_message
    if msg is not None and msg.sticker:
        problem = _("Sorry, I cannot read stickers.")
    elif step == AMOUNT:
        problem = _("I could not read a number there.")
    elif step == DATE:
        problem = _("I could not read that date.")
    elif step == PHOTO:
        problem = _("Please send a photo or a PDF of the receipt, or tap Skip.")
    elif step in (CATEGORY, CONSENT, CURRENCY, MORE, READING):
        problem = _("Please tap one of the buttons.")
    else:
        problem = _("Please send text.")
    if update.callback_query is not None:
        await update.callback_query.answer()
    return await ask(update, context, step, problem)


async def lost_button(update: Update, context: BotContext) -> None:
    await lost(update, context)


async def again(update: Update, context: BotContext) -> int:
    """/report in the middle of a report: where the worker was, not a second draft."""
    _ = context._
    if "draft" not in context.chat_data:
        return await start(update, context)
    step = context.chat_data.get("step", RECRUITER)
    return await ask(
        update,
        context,
        step if step in QUESTIONS else RECRUITER,
        _("You are already writing a report. Here is where you stopped. Send /cancel to drop it."),
    )


def handlers() -> list:
    text = filters.TEXT & ~filters.COMMAND
    receipt = filters.PHOTO | filters.Document.IMAGE | filters.Document.PDF
    return [
        conversation(
            entry_points=[
                CommandHandler("report", start),
                CallbackQueryHandler(start_for, pattern=r"^rep:RA-[0-9A-Z]{5}$"),
                CallbackQueryHandler(resume, pattern=r"^r:resume$"),
                CallbackQueryHandler(drop, pattern=r"^r:drop$"),
            ],
            states={
                RECRUITER: [
                    MessageHandler(text, recruiter_text),
                    CallbackQueryHandler(recruiter_pick, pattern=r"^r:rec:RA-[0-9A-Z]{5}$"),
                    CallbackQueryHandler(recruiter_free, pattern=r"^r:free$"),
                ],
                ORIGIN: [
                    CallbackQueryHandler(origin_pick, pattern=r"^r:org:[A-Z]{2}$"),
                    MessageHandler(text, origin_text),
                ],
                DESTINATION: [
                    CallbackQueryHandler(destination_pick, pattern=r"^r:dst:[A-Z]{2}$"),
                    MessageHandler(text, destination_text),
                ],
                CATEGORY: [CallbackQueryHandler(category_pick, pattern=r"^r:cat:\w+$")],
                AMOUNT: [MessageHandler(text, amount_text)],
                CURRENCY: [
                    CallbackQueryHandler(currency_pick, pattern=r"^r:cur:[A-Z]{3}$"),
                    MessageHandler(text, amount_text),
                ],
                READING: [
                    CallbackQueryHandler(reading_pick, pattern=r"^r:amt:\d$"),
                    MessageHandler(text, amount_text),
                ],
                MORE: [
                    CallbackQueryHandler(more_fees, pattern=r"^r:more$"),
                    CallbackQueryHandler(fees_done, pattern=r"^r:done$"),
                ],
                DATE: [
                    MessageHandler(text, date_text),
                    CallbackQueryHandler(date_button, pattern=r"^r:(today|nodate)$"),
                ],
                PHOTO: [
                    MessageHandler(receipt, photo),
                    CallbackQueryHandler(photo_skip, pattern=r"^r:skip$"),
                ],
                CONSENT: [
                    CallbackQueryHandler(consent_yes, pattern=r"^rc:yes$"),
                    CallbackQueryHandler(consent_no, pattern=r"^rc:no$"),
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel),
                CommandHandler("report", again),
                CallbackQueryHandler(cancel, pattern=r"^x$"),
                CallbackQueryHandler(back, pattern=r"^r:back$"),
                CallbackQueryHandler(resume, pattern=r"^r:resume$"),
                CallbackQueryHandler(drop, pattern=r"^r:drop$"),
                MessageHandler(filters.COMMAND, pause),
                MessageHandler(filters.ALL, wrong),
                CallbackQueryHandler(wrong, pattern=r"^(r:|rc:)"),
            ],
            name="report",
            persistent=True,
        ),
        CallbackQueryHandler(consent_stale, pattern=r"^rc:(yes|no)$"),
        CallbackQueryHandler(lost_button, pattern=r"^r:"),
    ]
