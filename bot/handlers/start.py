"""/start (with the v_<public_id> deep link), /help, /privacy, /language and the language picker."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.handlers.common import help_text, language_keyboard, reply
from bot.i18n import LANGUAGES

DEEP_LINK_PREFIX = "v_"


async def start(update: Update, context: BotContext) -> None:
    payload = context.args[0] if context.args else ""
    if payload.startswith(DEEP_LINK_PREFIX):
        from bot.handlers.verify import show_card

        await show_card(update, context, payload[len(DEEP_LINK_PREFIX) :])
        return
    _ = context._
    text = "\n\n".join(
        [
            _(
                "Welcome to FairRecruit. I help workers check recruiters and report fees they should not have paid."
            ),
            _("You should never pay a fee to get a job abroad. Your employer pays."),
            _("I will never ask for your name, phone number or passport number."),
            _("Type a recruiter's name to check it, or send /help."),
            _("Language: choose below."),
        ]
    )
    await update.effective_chat.send_message(text, reply_markup=language_keyboard(context.lang))


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_chat.send_message(help_text(context))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have: what it can do."""
    _ = context._
    await update.effective_chat.send_message(_("I do not know that command.") + "\n\n" + help_text(context))


async def privacy(update: Update, context: BotContext) -> None:
    _ = context._
    days = context.settings.retention_days
    text = "\n\n".join(
        [
            _(
                "What we keep: the reports you send (recruiter, fee, amount, dates, countries, and the receipt photo if you send one)."
            ),
            _(
                "We never keep your name, phone number or username. Your reports are linked to a secret code made from this chat, not to the chat itself."
            ),
            _("If you follow a recruiter, we keep this chat's number only to send you the updates."),
            _(
                "While you write a report, we keep your answers with this chat's number, so that they are not lost. An unfinished report is deleted after 24 hours."
            ),
            _(
                "When you send a report, we also keep this chat's number, only to tell you the decision on your report."
            ),
            _("Who sees it: only FairRecruit's reviewers. Companies and the public see totals, never you."),
            _("How long: personal details of closed cases are erased after {days} days.").format(days=days),
            _("/forget erases everything linked to this chat now."),
        ]
    )
    await update.effective_chat.send_message(text)


async def language(update: Update, context: BotContext) -> None:
    _ = context._
    await update.effective_chat.send_message(
        _("Choose your language:"), reply_markup=language_keyboard(context.lang)
    )


async def choose_language(update: Update, context: BotContext) -> None:
    query = update.callback_query
    code = query.data.split(":", 1)[1]
    if code not in LANGUAGES:
        await query.answer()
        return
    await context.run(context.services.set_language, update.effective_chat.id, code)
    context.chat_data["lang"] = code
    context.chat_data.pop("lang_tentative", None)
    _ = context._
    await reply(update, _("Done. I will write in English.") + "\n\n" + help_text(context))


def handlers() -> list:
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("privacy", privacy),
        CommandHandler("language", language),
        CallbackQueryHandler(choose_language, pattern=r"^lang:[a-z]{2}$"),
    ]
