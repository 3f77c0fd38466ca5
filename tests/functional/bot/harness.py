"""Runs the real bot Application (real python-telegram-bot networking, long polling) against the fake
Bot API in a background event loop, and plays workers' chats."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

from telegram import Update
from telegram.ext import TypeHandler

from bot.app import build_application, new_event_loop
from tests.functional.bot.fakebotapi import Call, FakeBotAPI

SEEN_GROUP = -99  # before every handler of the bot
DONE_GROUP = 99  # after every handler of the bot


class BotHarness:
    def __init__(self, settings, engine, api: FakeBotAPI | None = None, *, concurrency: int = 16):
        self.api = api or FakeBotAPI().start()
        self.settings = settings.model_copy(
            update={"telegram_bot_token": self.api.token, "telegram_api_base_url": self.api.base_url}
        )
        self.app = build_application(self.settings, engine, concurrency=concurrency)
        self.processed: dict[int, int] = {}
        self._lock = threading.Lock()
        self.seen: set[int] = set()
        self.app.add_handler(TypeHandler(Update, self._seen), group=SEEN_GROUP)
        self.app.add_handler(TypeHandler(Update, self._done), group=DONE_GROUP)
        self.loop = new_event_loop()  # the loop `fairrecruit bot` runs on
        self._thread = threading.Thread(target=self.loop.run_forever, name="bot-loop", daemon=True)
        self._chat_ids = itertools.count(7_000_001)

    @property
    def services(self):
        return self.app.bot_data["services"]

    async def _seen(self, update: Update, _context) -> None:
        with self._lock:
            self.seen.add(update.update_id)

    async def _done(self, update: Update, _context) -> None:
        with self._lock:
            self.processed[update.update_id] = self.processed.get(update.update_id, 0) + 1

    def _run(self, coro, timeout=30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, webhook: dict | None = None) -> BotHarness:
        """Long polling (as `fairrecruit bot`), or webhook mode with webhook=dict(port=, secret=)."""
        self._thread.start()

        async def up():
            await self.app.initialize()
            if self.app.post_init:  # as Application.run_polling does
                await self.app.post_init(self.app)
            if webhook:
                await self.app.updater.start_webhook(
                    listen="127.0.0.1",
                    port=webhook["port"],
                    url_path="telegram",
                    webhook_url=f"http://127.0.0.1:{webhook['port']}/telegram",
                    secret_token=webhook["secret"],
                    allowed_updates=["message", "callback_query"],
                )
            else:
                await self.app.updater.start_polling(
                    poll_interval=0.0, timeout=1, allowed_updates=["message", "callback_query"]
                )
            await self.app.start()

        self._run(up())
        return self

    def stop(self) -> None:
        async def down():
            if self.app.updater.running:
                await self.app.updater.stop()
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()

        self.api.release_polls()
        try:
            self._run(down())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()
            self.api.stop()

    def idle(self) -> bool:
        q = self.app.update_queue.qsize()
        busy = self.app.update_processor.current_concurrent_updates
        return q == 0 and busy == 0 and self.api.pending() == 0

    def deliver(self, update: dict, timeout: float = 15.0, *, stopped: bool = False) -> list[Call]:
        """Queue an update on the fake server; return the Bot API calls the bot made for it.

        stopped=True: the bot is expected to stop processing it early (it never reaches the last group).
        """
        start = len(self.api.calls)
        self.api.push(update)
        uid = update["update_id"]
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            time.sleep(0.005)
            if uid in (self.seen if stopped else self.processed) and self.idle():
                quiet += 1
                if quiet >= 3:
                    return self.api.calls[start:]
            else:
                quiet = 0
        raise AssertionError(f"update {uid} not handled within {timeout}s; calls: {self.api.calls[start:]}")

    def chat(self, language_code: str | None = "en", chat_id: int | None = None) -> Chat:
        return Chat(self, chat_id or next(self._chat_ids), language_code)


class Reply(list):
    """The calls the bot made for one update."""

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self if c.method in ("sendMessage", "editMessageText") and c.text]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[str]:
        return [b for c in self for b in c.buttons]

    @property
    def callback_data(self) -> list[str]:
        return [d for c in self for d in c.callback_data]


class Chat:
    """A worker's private chat with the bot."""

    def __init__(self, harness: BotHarness, chat_id: int, language_code: str | None):
        self.h = harness
        self.id = chat_id
        self.language_code = language_code

    @property
    def user(self) -> dict:
        u = {"id": self.id, "is_bot": False, "first_name": "Worker"}
        if self.language_code:
            u["language_code"] = self.language_code
        return u

    @property
    def chat_obj(self) -> dict:
        return {"id": self.id, "type": "private", "first_name": "Worker"}

    def message_update(self, **content) -> dict:
        msg = {
            "message_id": self.h.api.next_message_id(),
            "date": int(time.time()),
            "chat": self.chat_obj,
            "from": self.user,
            **content,
        }
        return {"update_id": self.h.api.next_update_id(), "message": msg}

    def send(self, text: str) -> Reply:
        content = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return Reply(self.h.deliver(self.message_update(**content)))

    def sticker(self) -> Reply:
        return Reply(
            self.h.deliver(
                self.message_update(
                    sticker={
                        "file_id": "CAACAgIAAxkBAAIBsticker",
                        "file_unique_id": "AgADsticker",
                        "type": "regular",
                        "width": 512,
                        "height": 512,
                        "is_animated": False,
                        "is_video": False,
                    }
                )
            )
        )

    def photo(self, file_id: str = "AgACAgIAAxkBAAIBreceipt") -> Reply:
        return Reply(
            self.h.deliver(
                self.message_update(
                    photo=[
                        {"file_id": file_id + "-small", "file_unique_id": "s1", "width": 90, "height": 90},
                        {"file_id": file_id, "file_unique_id": "s2", "width": 1280, "height": 960},
                    ]
                )
            )
        )

    def message_with(self, data: str) -> int:
        """The id of the latest bot message that carries a button with this callback data."""
        for call in reversed(self.h.api.calls):
            if str(call.params.get("chat_id")) == str(self.id) and data in call.callback_data:
                result = call.result if isinstance(call.result, dict) else {}
                return int(result.get("message_id") or call.params.get("message_id"))
        raise AssertionError(f"no message with button {data!r} in chat")

    def callback_update(self, data: str, message_id: int | None = None) -> dict:
        mid = message_id or self.message_with(data)
        return {
            "update_id": self.h.api.next_update_id(),
            "callback_query": {
                "id": f"cq{self.h.api.next_message_id()}",
                "from": self.user,
                "chat_instance": f"ci{self.id}",
                "data": data,
                "message": {
                    "message_id": mid,
                    "date": int(time.time()),
                    "chat": self.chat_obj,
                    "from": {"id": 4242, "is_bot": True, "first_name": "FairRecruit"},
                    "text": "…",
                },
            },
        }

    def tap(self, data: str, message_id: int | None = None) -> Reply:
        return Reply(self.h.deliver(self.callback_update(data, message_id)))
