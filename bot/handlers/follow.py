"""/follow: get a message when a recruiter's status changes; see and stop follows."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.cards import country
from bot.context import BotContext
from bot.handlers.common import END, button, cancel, conversation, interrupt, keyboard, reply

QUERY = 1


async def follow(update: Update, context: BotContext) -> int:
    _ = context._
    if context.args:
        return await got_query(update, context, " ".join(context.args))
    follows = await context.run(context.services.following, update.effective_chat.id)
    lines, rows = [], []
    if follows:
        lines.append(_("You follow:"))
        for c in follows:
            lines.append(f"• {c.name} ({c.public_id})")
            rows.append([button(_("Stop: {name}").format(name=c.name)[:60], f"unf:{c.public_id}")])
        lines.append("")
    lines.append(
        _(
            "Send the name or FairRecruit ID of a recruiter to follow. I will tell you when its status changes."
        )
    )
    rows.append([button(_("✖ Cancel"), "x")])
    await update.effective_chat.send_message("\n".join(lines), reply_markup=keyboard(*rows))
    return QUERY


async def got_query(update: Update, context: BotContext, text: str | None = None) -> int:
    _ = context._
    query = " ".join((text or update.effective_message.text).split())[:200]
    cards = await context.lookups.search(query)
    if not cards:
        await update.effective_chat.send_message(
            _("“{query}” is not in the FairRecruit registry.").format(query=query[:100])
            + " "
            + _("Send another name, or /cancel.")
        )
        return QUERY
    rows = [
        [button(f"🔔 {c.name} ({country(c.country, context.lang)})"[:60], f"fol:{c.public_id}")]
        for c in cards
    ]
    rows.append([button(_("✖ Cancel"), "x")])
    await update.effective_chat.send_message(
        _("Which one do you want to follow?"), reply_markup=keyboard(*rows)
    )
    return QUERY


async def reask(update: Update, context: BotContext) -> int | None:
    _ = context._
    hint = (
        _("Sorry, I cannot read stickers.")
        if update.effective_message and update.effective_message.sticker
        else _("Please send text.")
    )
    await update.effective_chat.send_message(
        hint
        + " "
        + _(
            "Send the name or FairRecruit ID of a recruiter to follow. I will tell you when its status changes."
        )
    )
    return None


async def follow_button(update: Update, context: BotContext) -> int:
    _ = context._
    public_id = update.callback_query.data.split(":", 1)[1]
    card, _created = await context.run(
        context.services.follow, update.effective_chat.id, public_id, context.lang
    )
    if card is None:
        await reply(update, _("This button is no longer active."))
        return END
    await reply(
        update,
        _(
            "🔔 Done. I will send you a message when the status of {name} changes. Send /follow to stop."
        ).format(name=card.name),
    )
    return END


async def unfollow_button(update: Update, context: BotContext) -> int:
    _ = context._
    public_id = update.callback_query.data.split(":", 1)[1]
    card = await context.run(context.services.unfollow, update.effective_chat.id, public_id)
    name = card.name if card else public_id
    await reply(update, _("You no longer follow {name}.").format(name=name))
    return END


def handlers() -> list:
    return [
        conversation(
            entry_points=[CommandHandler("follow", follow)],
            states={QUERY: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_query)]},
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, pattern=r"^x$"),
                CallbackQueryHandler(follow_button, pattern=r"^fol:RA-[0-9A-Z]{5}$"),
                CallbackQueryHandler(unfollow_button, pattern=r"^unf:RA-[0-9A-Z]{5}$"),
                MessageHandler(filters.COMMAND, interrupt),
                MessageHandler(filters.ALL, reask),
            ],
            name="follow",
        ),
        # The same buttons under a status card, outside the flow.
        CallbackQueryHandler(follow_button, pattern=r"^fol:RA-[0-9A-Z]{5}$"),
        CallbackQueryHandler(unfollow_button, pattern=r"^unf:RA-[0-9A-Z]{5}$"),
    ]
