"""/verify [text]: find a recruiter and show its status card with what to do.

A card is shown directly only when there is no doubt which recruiter is meant (an id, a licence
number, or the name exactly or up to spelling: registry.services.lookup); otherwise the candidates
are listed with their full names, countries and licence numbers, one button each, and "None of
these" for the not-listed advice. A greeting or "help" gets the help text."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.cards import country, did_you_mean, not_listed, status_card
from bot.context import BotContext
from bot.handlers.common import END, button, cancel, conversation, help_text, interrupt, keyboard, reply
from registry.services import lookup

QUERY = 1


def card_keyboard(context: BotContext, public_id: str):
    _ = context._
    return keyboard(
        [button(_("🔔 Follow"), f"fol:{public_id}"), button(_("Report a fee"), f"rep:{public_id}")]
    )


async def show_card(update: Update, context: BotContext, public_id: str) -> None:
    card = await context.lookups.card(public_id)
    if card is None:
        await reply(update, not_listed(public_id, context.lang))
        return
    await reply(update, status_card(card, context.lang), card_keyboard(context, card.public_id))


async def search(update: Update, context: BotContext, query: str) -> None:
    _ = context._
    query = " ".join(query.split())[: lookup.MAX_QUERY]
    kind, cards = await context.lookups.lookup(query)
    if kind == lookup.HELP:
        await reply(update, help_text(context))
        return
    context.chat_data["last_query"] = query
    if kind == lookup.EXACT and cards:
        card = cards[0]
        await reply(update, status_card(card, context.lang), card_keyboard(context, card.public_id))
        return
    if not cards:
        await reply(update, not_listed(query, context.lang))
        return
    rows = [
        [button(f"{c.name} ({country(c.country, context.lang)})"[:60], f"card:{c.public_id}")] for c in cards
    ]
    rows.append([button(_("None of these"), "v:none")])
    await reply(update, did_you_mean(cards, context.lang), keyboard(*rows))


async def verify(update: Update, context: BotContext) -> int:
    if context.args:
        await search(update, context, " ".join(context.args))
        return END
    _ = context._
    await update.effective_chat.send_message(
        _("Send the recruiter's name, licence number or FairRecruit ID (like RA-7K3Q9).")
    )
    return QUERY


async def got_query(update: Update, context: BotContext) -> int:
    await search(update, context, update.effective_message.text)
    return END


async def reask(update: Update, context: BotContext) -> int | None:
    _ = context._
    hint = (
        _("Sorry, I cannot read stickers.")
        if update.effective_message and update.effective_message.sticker
        else _("Please send text.")
    )
    await update.effective_chat.send_message(
        hint + " " + _("Send the recruiter's name, licence number or FairRecruit ID (like RA-7K3Q9).")
    )
    return None


async def card_button(update: Update, context: BotContext) -> None:
    await show_card(update, context, update.callback_query.data.split(":", 1)[1])


async def none_of_these(update: Update, context: BotContext) -> None:
    await reply(update, not_listed(context.chat_data.get("last_query", "?"), context.lang))


async def free_text(update: Update, context: BotContext) -> None:
    """Text outside any flow is taken as a recruiter to check."""
    await search(update, context, update.effective_message.text)


def handlers() -> list:
    return [
        conversation(
            entry_points=[CommandHandler("verify", verify)],
            states={QUERY: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_query)]},
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, pattern=r"^x$"),
                MessageHandler(filters.COMMAND, interrupt),
                MessageHandler(filters.ALL, reask),
            ],
            name="verify",
        ),
        CallbackQueryHandler(card_button, pattern=r"^card:RA-[0-9A-Z]{5}$"),
        CallbackQueryHandler(none_of_these, pattern=r"^v:none$"),
    ]


def text_fallback():
    return MessageHandler(filters.TEXT & ~filters.COMMAND, free_text)
