"""The bot's Application: python-telegram-bot v22, asyncio, Bot API base URL from the settings."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from telegram import BotCommand, Update
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, ContextTypes

from bot.context import BotContext
from bot.i18n import DEFAULT, LANGUAGES, N_, gettext_for
from bot.lookups import LookupProcesses
from bot.persistence import DatabasePersistence
from bot.services import BotServices
from bot.telegram_http import AiohttpRequest, RegistryBot
from registry import logs
from registry.settings import Settings

COMMANDS = {
    "start": N_("Start"),
    "verify": N_("Check a recruiter"),
    "report": N_("Report a fee you paid"),
    "mycases": N_("My cases"),
    "follow": N_("Follow a recruiter"),
    "language": N_("Change language"),
    "privacy": N_("What we keep"),
    "forget": N_("Erase my data"),
    "help": N_("Help"),
    "cancel": N_("Stop"),
}
# Request URLs contain the bot token: keep the HTTP client loggers quiet (registry.logs quiets httpx and
# httpcore in every process; these are the bot's own).
QUIET_LOGGERS = ("telegram", "telegram.ext", "apscheduler", "tornado.access")


def quiet_loggers() -> None:
    logs.quiet_http_clients()
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class RedactToken(logs.RedactSecrets):
    """Replace the bot token wherever a log record would show it (e.g. in a request URL of an error)."""

    def __init__(self, token: str):
        super().__init__([token])


def install_log_redaction(settings: Settings) -> None:
    """Mask the bot token and every other secret in every log record of the bot's process."""
    logs.setup(settings)


def file_base_url(base_url: str) -> str:
    """https://api.telegram.org/bot -> https://api.telegram.org/file/bot (the same for a local server)."""
    head, sep, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else base_url


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; updates of one chat run one after the other,
    in order, so a conversation never sees two of its answers at once."""

    def __init__(self, max_concurrent_updates: int = 16):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def _warm(app: Application) -> None:
    """Before the first update: the search index over every recruiter is built once, here, so the
    first /verify after a start does not wait for it (seconds at 100,000 recruiters)."""
    services: BotServices = app.bot_data["services"]
    if services.settings.bot_lookup_processes > 0:
        return  # the lookup processes build theirs (bot.lookups); this process searches only if one fails
    try:
        await asyncio.to_thread(services.warm)
    except SQLAlchemyError:  # the database is not reachable yet: the first search builds it
        logging.getLogger("bot").warning("could not build the search index at start")
        return
    gc.freeze()  # the index's objects: out of the collector's full passes (bot.lookups does the same)


async def _post_init_warm(app: Application) -> None:
    await _warm(app)


class BotApplication(Application):
    """The Application, plus a task that ends drafts idle for a day (``bot.handlers.report``)."""

    sweep_every = 300.0  # seconds between two looks for idle drafts

    async def start(self) -> None:
        lookups = self.bot_data.get("lookups")
        if lookups is not None:
            await lookups.start()  # before the first update: each lookup process has its index
        await super().start()
        self._sweeper = asyncio.create_task(self._sweep_drafts())

    async def stop(self) -> None:
        sweeper = getattr(self, "_sweeper", None)
        if sweeper is not None:
            sweeper.cancel()
        await super().stop()
        lookups = self.bot_data.get("lookups")
        if lookups is not None:
            await lookups.stop()

    async def _sweep_drafts(self) -> None:
        from bot.handlers.report_drafts import expire_drafts

        while True:
            await asyncio.sleep(self.sweep_every)
            try:
                await expire_drafts(self)
            except Exception:  # noqa: BLE001 - a failed sweep is tried again at the next one
                logging.getLogger("bot").exception("could not end idle drafts")


async def _post_init(app: Application) -> None:
    """The search index, then the command menu in each language."""
    await _warm(app)
    try:
        for lang in LANGUAGES:
            _ = gettext_for(lang)
            commands = [BotCommand(c, _(label)) for c, label in COMMANDS.items()]
            await app.bot.set_my_commands(commands, language_code=None if lang == DEFAULT else lang)
    except Exception:  # noqa: BLE001 - a menu is nice to have; never fatal
        logging.getLogger("bot").warning("could not set the command menu")


def application_builder(settings: Settings, *, concurrency: int = 16) -> ApplicationBuilder:
    """The Application's setup without handlers: Bot API address, update processor, HTTP pool."""
    if not settings.telegram_bot_token:
        raise ValueError("FAIRRECRUIT_TELEGRAM_BOT_TOKEN is not set")
    quiet_loggers()
    return (
        ApplicationBuilder()
        .application_class(BotApplication)
        .bot(
            RegistryBot(
                settings.telegram_bot_token,
                base_url=settings.telegram_api_base_url,
                base_file_url=file_base_url(settings.telegram_api_base_url),
                # The Bot API over aiohttp (bot.telegram_http): a third of the CPU of an update was the
                # default client's. Long polling gets a connection of its own, as python-telegram-bot's
                # default does.
                request=AiohttpRequest(concurrency + 2, pool_timeout=10.0),
                get_updates_request=AiohttpRequest(1, pool_timeout=10.0),
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(PerChatUpdateProcessor(concurrency))
    )


def build_application(
    settings: Settings, engine: Engine, *, concurrency: int = 16, set_commands: bool = True
) -> Application:
    """The bot, wired to the registry. The caller runs it (polling or webhook)."""
    from bot.handlers import register

    builder = application_builder(settings, concurrency=concurrency).persistence(DatabasePersistence(engine))
    builder = builder.post_init(_post_init if set_commands else _post_init_warm)
    app = builder.build()
    app.bot_data["settings"] = settings
    services = app.bot_data["services"] = BotServices(settings, engine)
    app.bot_data["lookups"] = LookupProcesses(settings, services, settings.bot_lookup_processes)
    register(app)
    return app


def tune_process() -> None:
    """The bot is one asyncio loop plus database threads: hand the GIL back to the loop quickly
    (1 ms instead of 5 ms), so replies are not held up behind a thread's database work."""
    sys.setswitchinterval(0.001)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The bot's event loop: uvloop's where it is installed (Linux and macOS; a tenth less CPU per update
    than asyncio's own loop on the capacity benchmark), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - not on Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def use_fast_event_loop() -> None:
    """Make the loop python-telegram-bot's ``run_polling``/``run_webhook`` create the bot's own."""
    asyncio.set_event_loop(new_event_loop())


def run_polling(settings: Settings, engine: Engine) -> None:
    tune_process()
    use_fast_event_loop()
    install_log_redaction(settings)
    app = build_application(settings, engine)
    app.run_polling(allowed_updates=["message", "callback_query"], drop_pending_updates=False)


def run_webhook(
    settings: Settings,
    engine: Engine,
    *,
    listen: str = "0.0.0.0",  # noqa: S104 - a webhook receiver is reached from outside
    port: int = 8443,
    url_path: str = "telegram",
) -> None:
    """Webhook mode: Telegram posts updates to settings.telegram_webhook_url; requests without the
    secret-token header (X-Telegram-Bot-Api-Secret-Token) are refused with 403."""
    if not settings.telegram_webhook_secret:
        raise ValueError("FAIRRECRUIT_TELEGRAM_WEBHOOK_SECRET is required in webhook mode")
    tune_process()
    use_fast_event_loop()
    install_log_redaction(settings)
    app = build_application(settings, engine)
    app.run_webhook(
        listen=listen,
        port=port,
        url_path=url_path,
        webhook_url=settings.telegram_webhook_url,
        secret_token=settings.telegram_webhook_secret,
        allowed_updates=["message", "callback_query"],
    )
