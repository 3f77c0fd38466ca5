"""Helpers shared by the flows: replies, keyboards, the chat's language, errors, stray input."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
import warnings
from typing import cast

from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import BotContext
from bot.i18n import LANGUAGES, gettext_for, pick_language
from bot.telegram_http import RegistryBot

log = logging.getLogger("bot")

END = ConversationHandler.END


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(*rows) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in rows if r])


def language_keyboard(current: str | None = None) -> InlineKeyboardMarkup:
    items = [
        button(("✓ " if code == current else "") + name, f"lang:{code}") for code, name in LANGUAGES.items()
    ]
    return keyboard(items[:2], items[2:4], items[4:])


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, edit: bool = True
) -> None:
    """Answer a message, or (for a button press) replace the message that carried the button."""
    bot = cast(RegistryBot, update.get_bot())
    chat_id = update.effective_chat.id
    query = update.callback_query
    if query is None:
        await bot.send_text(chat_id, text, markup)
        return
    # Stop the button's spinner while the answer is being written (two requests at once).
    answered = asyncio.ensure_future(query.answer())
    try:
        if edit and query.message is not None:
            try:
                await bot.edit_text(chat_id, query.message.message_id, text, markup)
                return
            except BadRequest:
                pass  # the same text, or a message too old to edit: send a new one
        await bot.send_text(chat_id, text, markup)
    finally:
        with contextlib.suppress(TelegramError):
            await answered


async def private_only(update: Update, context: BotContext) -> None:
    """Workers talk to the bot one to one: in a group, others would see what they report. A command
    or a mention in a group is answered only with a link to a private chat."""
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        msg = update.message
        if msg is not None and _addressed_to_bot(msg.text or msg.caption or "", context.bot.username):
            lang = pick_language(msg.from_user.language_code if msg.from_user else None)
            _ = gettext_for(lang)
            text = _(
                "I answer only in a private chat, so that no one else sees what you ask or report. Write to me here: {link}"
            ).format(link=f"https://t.me/{context.bot.username}")
            with contextlib.suppress(TelegramError):
                await chat.send_message(text)
        raise ApplicationHandlerStop


def _addressed_to_bot(text: str, username: str) -> bool:
    return text.startswith("/") or f"@{username}".lower() in text.lower()


async def ensure_language(update: Update, context: BotContext) -> None:
    """Before any handler: know the chat's language (remembered choice, else Telegram's)."""
    if update.effective_chat is None or context.chat_data is None or "lang" in context.chat_data:
        return
    user = update.effective_user
    fallback = pick_language(user.language_code if user else None)
    try:
        saved = await context.run(context.services.language, update.effective_chat.id)
    except SQLAlchemyError:
        context.chat_data["lang"] = fallback  # not remembered: ask the database again next time
        context.chat_data["lang_tentative"] = True
        return
    context.chat_data["lang"] = saved or fallback
    context.chat_data.pop("lang_tentative", None)


def describe(err: BaseException) -> str:
    """Name and place of an error without its message (messages can carry SQL parameters)."""
    frames = traceback.extract_tb(err.__traceback__)[-3:]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames))
    return f"{type(err).__module__}.{type(err).__name__} at {where}"


async def on_error(update: object, context: BotContext) -> None:
    err = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s", update_id, describe(err) if err else "?")
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    _ = context._
    if isinstance(err, SQLAlchemyError):
        text = _(
            "Sorry, we cannot reach our records right now. Nothing was saved. Please try again in a few minutes."
        )
    else:
        text = _("Sorry, something went wrong. Please try again.")
    with contextlib.suppress(TelegramError):
        await reply(update, text, edit=False)


async def sticker_outside(update: Update, context: BotContext) -> None:
    _ = context._
    await update.effective_chat.send_message(
        _("Sorry, I cannot read stickers. Send /help to see what I can do.")
    )


async def stale_button(update: Update, context: BotContext) -> None:
    _ = context._
    await update.callback_query.answer(
        _("This button is no longer active. Send /help to see what I can do."), show_alert=True
    )


async def other_input(update: Update, context: BotContext) -> None:
    _ = context._
    await update.effective_chat.send_message(
        _("Please type the name of a recruiter to check it, or send /help.")
    )


async def interrupt(update: Update, context: BotContext) -> int:
    """Another command during a flow: leave the flow and run that command (a report's draft stays)."""
    await context.update_queue.put(update)
    return END


def conversation(**kwargs) -> ConversationHandler:
    """A ConversationHandler that mixes messages and buttons (per chat, not per message)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        return ConversationHandler(**kwargs)


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel or the Cancel button, in any flow: forget the unfinished answers."""
    context.chat_data.pop("draft", None)
    context.chat_data.pop("step", None)
    _ = context._
    await reply(update, _("OK, stopped. Nothing was saved. Send /help to see what I can do."))
    return END


async def cancel_outside(update: Update, context: BotContext) -> None:
    _ = context._
    if context.chat_data.pop("draft", None) is not None:  # a report left for another command
        context.chat_data.pop("step", None)
        context.chat_data.pop("paused", None)
        await update.effective_chat.send_message(
            _("OK, stopped. Nothing was saved. Send /help to see what I can do.")
        )
        return
    await update.effective_chat.send_message(_("There is nothing to stop. Send /help to see what I can do."))


def help_text(context: BotContext) -> str:
    _ = context._
    return "\n".join(
        [
            _("What I can do:"),
            "",
            _("/verify - check if a recruiter is registered and accredited"),
            _("/report - tell us about a fee you had to pay"),
            _("/mycases - see your case codes and what happened"),
            _("/follow - get a message when a recruiter's status changes"),
            _("/language - change the language"),
            _("/privacy - what we keep and who sees it"),
            _("/forget - erase everything linked to this chat"),
            _("/cancel - stop what you are doing"),
            "",
            _("You can also just type a recruiter's name."),
        ]
    )
