"""The callback context of every handler: settings, engine, services and the chat's language."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import DEFAULT, gettext_for


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def settings(self):
        return self.application.bot_data["settings"]

    @property
    def services(self):
        return self.application.bot_data["services"]

    @property
    def lookups(self):
        """Verify lookups, in their own process (bot.lookups)."""
        return self.application.bot_data["lookups"]

    @property
    def engine(self):
        return self.services.engine

    @property
    def lang(self) -> str:
        data = self.chat_data
        return (data or {}).get("lang", DEFAULT) if data is not None else DEFAULT

    @property
    def _(self) -> Callable[[str], str]:
        return gettext_for(self.lang)

    async def run(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        """Run a blocking (database) call in a worker thread."""
        return await asyncio.to_thread(fn, *args, **kwargs)
