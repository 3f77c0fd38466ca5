"""/forget: erase everything linked to this chat (after a confirmation)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.common import END, button, cancel, conversation, interrupt, keyboard, reply

CONFIRM = 1


def question(context: BotContext):
    _ = context._
    text = "\n\n".join(
        [
            _(
                "This erases everything linked to this chat: your follows, your language, and the link between you and your reports."
            ),
            _(
                "Your reports stay, without any link to you, so they still help other workers. You will no longer see them in /mycases."
            ),
            _("Erase now?"),
        ]
    )
    return text, keyboard([button(_("Yes, erase"), "f:yes"), button(_("No, keep"), "x")])


async def forget(update: Update, context: BotContext) -> int:
    text, markup = question(context)
    await update.effective_chat.send_message(text, reply_markup=markup)
    return CONFIRM


async def confirmed(update: Update, context: BotContext) -> int:
    _ = context._
    await context.run(context.services.forget, update.effective_chat.id)
    text = _("Done. Everything linked to this chat is erased.")
    context.chat_data.clear()
    await reply(update, text)
    return END


async def reask(update: Update, context: BotContext) -> int | None:
    _ = context._
    text, markup = question(context)
    hint = (
        _("Sorry, I cannot read stickers.")
        if update.effective_message and update.effective_message.sticker
        else _("Please tap one of the buttons.")
    )
    await update.effective_chat.send_message(hint + "\n\n" + text, reply_markup=markup)
    return None


def handlers() -> list:
    return [
        conversation(
            entry_points=[CommandHandler("forget", forget)],
            states={CONFIRM: [CallbackQueryHandler(confirmed, pattern=r"^f:yes$")]},
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, pattern=r"^x$"),
                MessageHandler(filters.COMMAND, interrupt),
                MessageHandler(filters.ALL, reask),
            ],
            name="forget",
        ),
    ]
