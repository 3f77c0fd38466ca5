"""Report drafts between updates: a command sent in the middle of a report is answered and the draft
kept (``pause``), the worker is then offered to continue or cancel it (``offer_resume``), and a draft idle
for DRAFT_IDLE ends with a message (``expire_drafts``, run by the bot's background job)."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop

from bot.context import BotContext
from bot.handlers.common import END, button, keyboard
from bot.handlers.report_questions import DRAFT_IDLE, touch
from bot.i18n import gettext_for
from bot.persistence import save
from registry.timeutil import utcnow

log = logging.getLogger("bot.report")


async def pause(update: Update, context: BotContext) -> int:
    """Another command in the middle of a report: the draft is kept, the command is answered (the
    update goes round again, outside this flow), then the worker may continue or cancel."""
    context.chat_data["paused"] = True
    touch(context)
    # Written now: the handlers that write after each update do not run for this one.
    context.application.mark_data_for_update_persistence(chat_ids=update.effective_chat.id)
    await save(context.application)
    await context.update_queue.put(update)
    raise ApplicationHandlerStop(END)


async def offer_resume(update: Update, context: BotContext) -> None:
    """After the answer to a command sent mid-report: continue or cancel the draft."""
    data = context.chat_data
    if data is None or not data.get("paused") or "draft" not in data or update.effective_message is None:
        return
    data.pop("paused", None)
    _ = context._
    await update.effective_chat.send_message(
        _("You have an unfinished report. Do you want to continue it?"),
        reply_markup=keyboard(
            [button(_("▶ Continue my report"), "r:resume")], [button(_("✖ Cancel the report"), "r:drop")]
        ),
    )


async def expire_drafts(app: Application, now: datetime | None = None) -> int:
    """End every draft idle for DRAFT_IDLE, with a message to its chat. Returns how many ended."""
    now = now or utcnow()
    ended = []
    for chat_id, data in list(app.chat_data.items()):
        touched = data.get("touched")
        if "draft" not in data or not isinstance(touched, datetime) or now - touched < DRAFT_IDLE:
            continue
        for key in ("draft", "step", "paused", "touched"):
            data.pop(key, None)
        ended.append(chat_id)
        _ = gettext_for(data.get("lang", "en"))
        try:
            await app.bot.send_message(
                chat_id,
                _(
                    "Your unfinished report was deleted because it was not finished within 24 hours. Nothing was saved. Send /report to start again."
                ),
            )
        except TelegramError as e:
            log.warning("could not tell a chat its draft ended: %s", type(e).__name__)
    if ended:
        app.mark_data_for_update_persistence(chat_ids=ended)
        if app.persistence is not None:
            for chat_id in ended:  # the stored step too (a private chat: the user is the chat)
                await app.persistence.update_conversation("report", (chat_id, chat_id), None)
        await save(app)
    return len(ended)
