"""Every handler of the bot, in the order they are tried (one ConversationHandler per flow)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers import common, follow, forget, mycases, report, report_drafts, start, verify
from bot.persistence import persist_now

GUARD = -2  # private chats only
PRE = -1  # group that runs before the flows (language of the chat)
AFTER = 1  # after the answer: offer to continue a report interrupted by a command
PERSIST = 98  # last: write the chat's data and conversation steps to the database


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, common.private_only), group=GUARD)
    app.add_handler(TypeHandler(Update, common.ensure_language), group=PRE)
    flows = [
        *report.handlers(),
        *verify.handlers(),
        *follow.handlers(),
        *forget.handlers(),
        *start.handlers(),
        *mycases.handlers(),
    ]
    for h in flows:
        app.add_handler(h)
    # Outside any flow.
    app.add_handler(CommandHandler("cancel", common.cancel_outside))
    app.add_handler(MessageHandler(filters.Sticker.ALL, common.sticker_outside))
    app.add_handler(verify.text_fallback())
    app.add_handler(CallbackQueryHandler(common.stale_button))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, common.other_input))
    app.add_handler(MessageHandler(filters.COMMAND, start.unknown_command))
    app.add_handler(TypeHandler(Update, report_drafts.offer_resume), group=AFTER)
    app.add_handler(TypeHandler(Update, persist_now), group=PERSIST)
    app.add_error_handler(common.on_error)
