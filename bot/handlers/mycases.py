"""/mycases: the chat's case codes and what happened to them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.cards import CASE_STATUS, fmt_date
from bot.context import BotContext
from registry.parsing.dates import format_date_reading


async def mycases(update: Update, context: BotContext) -> None:
    _ = context._
    cases = await context.run(context.services.cases, update.effective_chat.id)
    if not cases:
        await update.effective_chat.send_message(
            _("You have no cases yet. Use /report to tell us about a fee you had to pay.")
        )
        return
    lines = [_("Your cases:")]
    for c in cases[:20]:
        status = _(CASE_STATUS.get(c.status, CASE_STATUS["new"]))
        lines += ["", f"{c.case_code} · {c.recruiter}", f"{fmt_date(c.created, context.lang)}: {status}"]
        if c.paid_on is not None:
            paid = format_date_reading(c.paid_on, c.paid_on_precision, context.lang)
            lines.append(_("Paid on: {date}").format(date=paid))
    await update.effective_chat.send_message("\n".join(lines))


def handlers() -> list:
    return [CommandHandler("mycases", mycases)]
